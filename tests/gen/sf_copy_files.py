#!/usr/bin/env python3
"""sf_copy_files.py OUTDIR DATE FILES ROWS [corrupt]: the Parquet files of one export run, for
the sf-copy tests.       sf_copy_files.py OUTDIR types: one file with a column of every type.

Writes OUTDIR/part-00000.parquet ... (FILES files of ROWS rows each, zstd-compressed, the way
Spark writes them: no partition column inside the files) and prints one JSON line with what a
load of them must give: {"rows", "sum_id", "sum_fare"}. The data is fixed by DATE, so two dates
differ and a rerun gives the same bytes.

With "corrupt" the last file keeps a valid footer (s3-ls-parquet lists it with its schema and
rows) but its data pages are overwritten, so a reader fails on it: COPY must abort.
"""
import datetime
import decimal
import json
import os
import sys
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("Fare Amt", pa.decimal128(12, 2)),
    ("pickup", pa.timestamp("us")),
    ("zone", pa.string()),
    ("shared", pa.bool_()),
    ("mixedCase", pa.int32()),
])


def types(out):
    utc = datetime.timezone.utc
    t = pa.table({
        "b": pa.array([True, None], pa.bool_()),
        "i8": pa.array([-5, 7], pa.int8()),
        "u64": pa.array([2**64 - 1, 0], pa.uint64()),
        "f32": pa.array([1.5, -2.25], pa.float32()),
        "f64": pa.array([1e300, None], pa.float64()),
        "d38": pa.array([decimal.Decimal("1234567890123456789012345678.0123456789"), decimal.Decimal("-1")],
                        pa.decimal128(38, 10)),
        "s": pa.array(["h\u00e9llo", ""], pa.string()),
        "bin": pa.array([b"\x00\xff", b"ab"], pa.binary()),
        "fbin": pa.array([b"abcd", b"\x01\x02\x03\x04"], pa.binary(4)),
        "dt": pa.array([datetime.date(2025, 11, 15), datetime.date(1900, 1, 1)], pa.date32()),
        "tms": pa.array([datetime.time(1, 2, 3, 4000), None], pa.time32("ms")),
        "tus": pa.array([datetime.time(1, 2, 3, 4567), None], pa.time64("us")),
        "tsns": pa.array([1763168523000001000, None], pa.timestamp("ns")),
        "tsutc": pa.array([datetime.datetime(2025, 11, 15, 12, 0, 0, 123456, tzinfo=utc), None],
                          pa.timestamp("us", tz="UTC")),
        "lst": pa.array([[1, 2], []], pa.list_(pa.int32())),
        "st": pa.array([{"x": 1, "y": "a"}, None], pa.struct([("x", pa.int32()), ("y", pa.string())])),
        "mp": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int32())),
        "js": pa.array(['{"a": [1, 2]}', None], pa.json_()),
        "uu": pa.array([uuid.UUID(int=1).bytes, uuid.UUID(int=2).bytes], pa.uuid()),
    })
    os.makedirs(out, exist_ok=True)
    pq.write_table(t, os.path.join(out, "part-00000.parquet"))


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "types":
        return types(sys.argv[1])
    if len(sys.argv) not in (5, 6) or (len(sys.argv) == 6 and sys.argv[5] != "corrupt"):
        sys.exit("usage: sf_copy_files.py OUTDIR DATE FILES ROWS [corrupt]")
    out, date, nfiles, nrows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    corrupt = len(sys.argv) == 6
    day = datetime.date.fromisoformat(date)
    base = (day - datetime.date(2025, 1, 1)).days * 1_000_000
    os.makedirs(out, exist_ok=True)
    sum_id, sum_fare = 0, decimal.Decimal("0.00")
    for f in range(nfiles):
        ids = [base + f * nrows + r for r in range(nrows)]
        fares = [decimal.Decimal(i % 100000) * decimal.Decimal("1.25") for i in ids]
        t0 = datetime.datetime.combine(day, datetime.time(0, 0))
        table = pa.table({
            "id": ids,
            "Fare Amt": fares,
            "pickup": [t0 + datetime.timedelta(seconds=i % 86400, microseconds=i % 1000) for i in ids],
            "zone": ["zone-%d" % (i % 7) for i in ids],
            "shared": [i % 3 == 0 for i in ids],
            "mixedCase": [i % 1000 for i in ids],
        }, schema=SCHEMA)
        path = os.path.join(out, "part-%05d.parquet" % f)
        pq.write_table(table, path, compression="zstd", use_dictionary=False)
        sum_id += sum(ids)
        sum_fare += sum(fares)
        if corrupt and f == nfiles - 1:
            damage(path)
    print(json.dumps({"rows": nfiles * nrows, "sum_id": sum_id, "sum_fare": str(sum_fare)}))


def damage(path):
    """Overwrite the column chunks (between the leading magic and the footer) with garbage."""
    with open(path, "r+b") as fh:
        data = fh.read()
        footer_len = int.from_bytes(data[-8:-4], "little")
        end = len(data) - 8 - footer_len
        fh.seek(4)
        fh.write(bytes((i * 131 + 7) % 256 for i in range(end - 4)))
    try:
        pq.read_table(path)
    except Exception:
        return
    sys.exit("sf_copy_files.py: the damaged file still reads")


if __name__ == "__main__":
    main()
