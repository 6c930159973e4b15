#!/usr/bin/env python3
"""sf_evolve_files.py OUTDIR VERSION: one Parquet file of 10 rows whose schema is the VERSION of
an evolving table, for the sf-copy -e tests (schema evolution):

  v1   id INT64, fare DECIMAL(10,2), zone STRING, note STRING        (the table is created from it)
  v2   id INT64, fare DECIMAL(18,2), Zone STRING, tip DECIMAL(8,2)    (fare widened, zone renamed
       by case only, tip added, note dropped)
  v3   id INT64, fare DECIMAL(10,2), zone INT64, note STRING         (zone STRING -> INT: incompatible)
  v4   id INT64, fare DECIMAL(10,4), zone STRING, note STRING        (fare's scale changed: narrowed)

ids are 1..10 (v1), 11..20 (v2), ...; fare = id * 1.25 (v2: plus 10^10, which DECIMAL(10,2)
cannot hold); tip = id / 4; zone "z<id>" (v3: id); note "n<id>".
"""
import decimal
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

D = decimal.Decimal


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("v1", "v2", "v3", "v4"):
        sys.exit("usage: sf_evolve_files.py OUTDIR v1|v2|v3|v4")
    out, v = sys.argv[1], sys.argv[2]
    n = int(v[1])
    ids = list(range((n - 1) * 10 + 1, n * 10 + 1))
    cols = {"id": pa.array(ids, pa.int64())}
    if v == "v2":
        cols["fare"] = pa.array([D(i) * D("1.25") + D(10) ** 10 for i in ids], pa.decimal128(18, 2))
        cols["Zone"] = pa.array(["z%d" % i for i in ids], pa.string())
        cols["tip"] = pa.array([D(i) / D(4) for i in ids], pa.decimal128(8, 2))
    else:
        scale = 4 if v == "v4" else 2
        cols["fare"] = pa.array([(D(i) * D("1.25")).quantize(D(1).scaleb(-scale)) for i in ids],
                                pa.decimal128(10, scale))
        cols["zone"] = pa.array(ids, pa.int64()) if v == "v3" else pa.array(["z%d" % i for i in ids], pa.string())
        cols["note"] = pa.array(["n%d" % i for i in ids], pa.string())
    os.makedirs(out, exist_ok=True)
    pq.write_table(pa.table(cols), os.path.join(out, "part-00000.parquet"))


if __name__ == "__main__":
    main()
