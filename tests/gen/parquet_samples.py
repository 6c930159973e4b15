#!/usr/bin/env python3
"""parquet_samples.py OUTDIR: write sample Parquet files and what pyarrow reads from them.

OUTDIR/*.parquet         real files written by pyarrow (pinned in requirements-parquet.txt)
OUTDIR/expected.jsonl    per file: {"file", "rows", "row_groups", "created_by", "schema"}, the
                         schema in the shape of parquet_schema_json() (src/lib/parquet.h), as
                         pyarrow itself reads the footer, so a test compares our decoder to it
OUTDIR/corrupt/*.parquet damaged files
OUTDIR/corrupt/expected.jsonl  per file: {"file", "error"}: a substring of our decoder's message

Output is deterministic: fixed data, fixed seeds.  Every corrupt file is checked to be
rejected by pyarrow too, so the corpus cannot drift from what a real reader refuses.
"""
import datetime
import decimal
import json
import os
import random
import re
import struct
import sys

import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20251125

# pyarrow's LogicalType.to_json() "Type" -> the logical names of parquet_schema_json()
LOGICAL = {
    "None": None, "String": "STRING", "Map": "MAP", "List": "LIST", "Enum": "ENUM",
    "Decimal": "DECIMAL", "Date": "DATE", "Time": "TIME", "Timestamp": "TIMESTAMP",
    "Int": "INTEGER", "Null": "UNKNOWN", "JSON": "JSON", "BSON": "BSON", "UUID": "UUID",
    "Float16": "FLOAT16", "Interval": "INTERVAL", "Variant": "VARIANT",
    "Geometry": "GEOMETRY", "Geography": "GEOGRAPHY",
}
# group annotations as pyarrow's schema printer writes them
GROUP_LOGICAL = {"List": "LIST", "Map": "MAP", "MapKeyValue": "MAP"}
UNIT = {"milliseconds": "MILLIS", "microseconds": "MICROS", "nanoseconds": "NANOS"}

NODE = re.compile(r"^\s*(required|optional|repeated) (\S+) field_id=-?\d+ (\S+)"
                  r"(?: \((.*)\))?( \{|;)$")


def leaf_json(rep, name, col):
    """One leaf, from pyarrow's ColumnSchema."""
    lt = json.loads(col.logical_type.to_json())
    if lt["Type"] not in LOGICAL:
        sys.exit("parquet_samples.py: unmapped pyarrow logical type %r" % lt["Type"])
    o = {"name": name, "physical": col.physical_type, "logical": LOGICAL[lt["Type"]],
         "repetition": rep}
    if o["logical"] == "DECIMAL":
        o["precision"], o["scale"] = lt["precision"], lt["scale"]
    if o["logical"] in ("TIME", "TIMESTAMP"):
        o["unit"], o["utc"] = UNIT[lt["timeUnit"]], lt["isAdjustedToUTC"]
    if o["logical"] == "INTEGER":
        o["bits"], o["signed"] = lt["bitWidth"], lt["isSigned"]
    if col.physical_type == "FIXED_LEN_BYTE_ARRAY":
        o["length"] = col.length
    return o


def schema_json(pschema):
    """The tree from pyarrow's schema printer, leaves completed from schema.column(i)."""
    lines = str(pschema).splitlines()
    # line 0 is the object's repr, line 1 the root group, the last line closes the root
    stack = [{"fields": []}]
    leaf = 0
    for line in lines[2:-1]:
        if line.strip() == "}":
            node = stack.pop()
            stack[-1]["fields"].append(node)
            continue
        m = NODE.match(line)
        if not m:
            sys.exit("parquet_samples.py: cannot read schema line %r" % line)
        rep, kind, name, ann, opener = m.groups()
        if opener == " {":
            stack.append({"name": name, "physical": "GROUP",
                          "logical": GROUP_LOGICAL.get(ann) if ann else None,
                          "repetition": rep.upper(), "fields": []})
        else:
            col = pschema.column(leaf)
            leaf += 1
            if col.name != name:
                sys.exit("parquet_samples.py: leaf order mismatch at %r" % name)
            stack[-1]["fields"].append(leaf_json(rep.upper(), name, col))
    if len(stack) != 1 or leaf != len(pschema):
        sys.exit("parquet_samples.py: schema printer output not understood")
    return stack[0]["fields"]


def d(s):
    return decimal.Decimal(s)


def samples():
    """(name, table, write_table keyword arguments)"""
    n = 5
    utc = datetime.timezone.utc
    ts = [datetime.datetime(2025, 11, i + 1, 12, 30, 15, 123456, tzinfo=utc) for i in range(n)]
    naive = [t.replace(tzinfo=None) for t in ts]
    yield "physical.parquet", pa.table({
        "b": pa.array([True, False, None, True, False], pa.bool_()),
        "i32": pa.array(range(n), pa.int32()),
        "i64": pa.array([2**62 + i for i in range(n)], pa.int64()),
        "f": pa.array([1.5] * n, pa.float32()),
        "dbl": pa.array([2.25] * n, pa.float64()),
        "bin": pa.array([b"\x00\xff"] * n, pa.binary()),
        "flba": pa.array([b"abcd"] * n, pa.binary(4)),
    }), {}
    yield "strings.parquet", pa.table({
        "s": pa.array(["a", "ß", "日本", None, ""], pa.string()),
        "ls": pa.array(["x"] * n, pa.large_string()),
        "dict": pa.array(["p", "q", "p", "q", "p"]).dictionary_encode(),
        "req": pa.array(["r"] * n, pa.string()),
    }, schema=pa.schema([pa.field("s", pa.string()), pa.field("ls", pa.large_string()),
                         pa.field("dict", pa.dictionary(pa.int32(), pa.string())),
                         pa.field("req", pa.string(), nullable=False)])), {}
    decs = {
        "d9": pa.array([d("1234567.89")] * n, pa.decimal128(9, 2)),
        "d18": pa.array([d("12345678901234.5678")] * n, pa.decimal128(18, 4)),
        "d38": pa.array([d("1234567890123456789012345678.0123456789")] * n,
                        pa.decimal128(38, 10)),
        "d0": pa.array([d("5")] * n, pa.decimal128(1, 0)),
        "d76": pa.array([d("1." + "0" * 40)] * n, pa.decimal256(76, 40)),
    }
    yield "decimals_flba.parquet", pa.table(decs), {}
    yield "decimals_int.parquet", pa.table(decs), {"store_decimal_as_integer": True}
    yield "dates.parquet", pa.table({
        "d32": pa.array([datetime.date(2025, 11, i + 1) for i in range(n)], pa.date32()),
        "d64": pa.array([datetime.date(1970, 1, 1)] * n, pa.date64()),
    }), {}
    tcols = {}
    for unit in ("ms", "us", "ns"):
        tcols["ts_" + unit] = pa.array(naive, pa.timestamp(unit))
        tcols["ts_%s_utc" % unit] = pa.array(ts, pa.timestamp(unit, tz="UTC"))
    tcols["ts_ms_berlin"] = pa.array(ts, pa.timestamp("ms", tz="Europe/Berlin"))
    tcols["t_ms"] = pa.array([datetime.time(1, 2, 3)] * n, pa.time32("ms"))
    tcols["t_us"] = pa.array([datetime.time(1, 2, 3, 4)] * n, pa.time64("us"))
    tcols["t_ns"] = pa.array([datetime.time(1, 2, 3, 4)] * n, pa.time64("ns"))
    yield "timestamps.parquet", pa.table(tcols), {}
    # parquet format 1.0 has no NANOS: pyarrow coerces, which exercises another writer path
    yield "timestamps_v1.parquet", pa.table(tcols), {"version": "1.0"}
    yield "int96.parquet", pa.table({
        "ts": pa.array(naive, pa.timestamp("us")),
        "ts_utc": pa.array(ts, pa.timestamp("ns", tz="UTC")),
    }), {"use_deprecated_int96_timestamps": True}
    yield "integers.parquet", pa.table({
        t: pa.array(range(n), getattr(pa, t)())
        for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
    }), {}
    yield "nulls.parquet", pa.table({
        "allnull": pa.array([None] * n, pa.null()),
        "somenull": pa.array([1, None, 3, None, 5], pa.int64()),
        "strnull": pa.array([None] * n, pa.string()),
    }), {}
    yield "nested.parquet", pa.table({
        "st": pa.array([{"x": i, "y": str(i), "z": {"deep": [i]}} for i in range(n)]),
        "li": pa.array([[i, i + 1] for i in range(n)], pa.list_(pa.int32())),
        "lli": pa.array([[[i]] for i in range(n)], pa.list_(pa.list_(pa.int64()))),
        "ls": pa.array([[{"a": i}] for i in range(n)]),
        "mp": pa.array([[("k%d" % i, i)] for i in range(n)],
                       pa.map_(pa.string(), pa.int32())),
        "mps": pa.array([[(i, {"v": "w"})] for i in range(n)],
                        pa.map_(pa.int64(), pa.struct([("v", pa.string())]))),
        "fl": pa.array([[1.0, 2.0]] * n, pa.list_(pa.float64(), 2)),
    }), {}
    yield "empty.parquet", pa.table({
        "a": pa.array([], pa.int64()), "b": pa.array([], pa.string()),
    }), {}
    yield "many_row_groups.parquet", pa.table({
        "id": pa.array(range(1000), pa.int64()),
        "v": pa.array(["v%d" % i for i in range(1000)]),
    }), {"row_group_size": 10}
    yield "wide.parquet", pa.table({
        "c%03d" % i: pa.array([i] * 2, pa.int32()) for i in range(300)
    }), {}
    fields = [pa.field("id", pa.int64(), nullable=False, metadata={"PARQUET:field_id": "7"}),
              pa.field("f16", pa.float16()),
              pa.field("name", pa.string(), metadata={"PARQUET:field_id": "8"})]
    yield "misc.parquet", pa.table({
        "id": pa.array(range(n), pa.int64()),
        "f16": pa.array([1.5] * n, pa.float16()),
        "name": pa.array(["n"] * n),
    }, schema=pa.schema(fields, metadata={b"origin": b"parquet_samples.py"})), {
        "compression": "zstd"}
    extra = {}
    if hasattr(pa, "uuid"):
        extra["uuid"] = pa.array([bytes(range(16))] * n, pa.uuid())
    if hasattr(pa, "json_"):
        extra["js"] = pa.array(['{"a": 1}'] * n, pa.json_())
    if extra:
        yield "extension.parquet", pa.table(extra), {}


def u32(n):
    return struct.pack("<I", n)


def corrupt(outdir, valid):
    """Damaged variants of a valid file; each with a substring of our expected error."""
    cdir = os.path.join(outdir, "corrupt")
    os.makedirs(cdir, exist_ok=True)
    rng = random.Random(SEED)
    flen = struct.unpack("<I", valid[-8:-4])[0]
    body, footer = valid[:-8 - flen], valid[-8 - flen:-8]
    garbage = bytes(rng.randrange(256) for _ in range(2000))
    cases = [
        ("too_short.parquet", valid[:7], "too short"),
        ("truncated_half.parquet", valid[:len(valid) // 2], "no PAR1 magic"),
        ("bad_magic.parquet", valid[:-4] + b"PAR2", "no PAR1 magic"),
        ("encrypted_footer.parquet", valid[:-4] + b"PARE", "encrypted footer not supported"),
        ("footer_past_start.parquet", valid[:-8] + u32(len(valid)) + b"PAR1",
         "exceeds the file"),
        ("footer_zero.parquet", valid[:-8] + u32(0) + b"PAR1", "footer length is 0"),
        ("garbage_thrift.parquet", b"PAR1" + garbage + u32(len(garbage)) + b"PAR1", ""),
        ("footer_cut.parquet", body + footer[:flen // 2] + u32(flen // 2) + b"PAR1",
         "truncated Thrift data"),
        ("footer_shifted.parquet", body + footer[1:] + u32(flen - 1) + b"PAR1", ""),
        # FileMetaData whose field 1 is a struct holding a struct holding … 10000 deep
        ("nesting_bomb.parquet", b"PAR1" + b"\x1c" * 10000 + u32(10000) + b"PAR1",
         "nesting deeper than"),
        # field 2 (schema): a list of 2^40 structs in a 9-byte footer
        ("huge_list.parquet", b"PAR1" + b"\x29\xfc\x80\x80\x80\x80\x80\x20\x00" + u32(9)
         + b"PAR1", "exceeds the"),
    ]
    with open(os.path.join(cdir, "expected.jsonl"), "w") as f:
        for name, data, error in cases:
            path = os.path.join(cdir, name)
            with open(path, "wb") as g:
                g.write(data)
            try:
                pq.ParquetFile(path).metadata
            except Exception:
                pass
            else:
                sys.exit("parquet_samples.py: pyarrow accepts corrupt %s" % name)
            f.write(json.dumps({"file": name, "error": error}) + "\n")


def footer_json(name, path):
    """What pyarrow reads from a file's footer, in s3-ls-parquet's shape."""
    pf = pq.ParquetFile(path)
    md = pf.metadata
    return json.dumps({
        "file": name, "rows": md.num_rows, "row_groups": md.num_row_groups,
        "created_by": md.created_by, "schema": schema_json(pf.schema),
    })


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: parquet_samples.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "expected.jsonl"), "w") as f:
        for name, table, kw in samples():
            path = os.path.join(outdir, name)
            pq.write_table(table, path, **kw)
            f.write(footer_json(name, path) + "\n")
    with open(os.path.join(outdir, "nested.parquet"), "rb") as g:
        corrupt(outdir, g.read())


if __name__ == "__main__":
    main()
