#!/usr/bin/env python3
"""parity_edges.py [PARITY_CHECK]: the data that used to stop the proof, profiled by
parity-check's SQL on local Spark + Delta (the Databricks stand-in, ANSI mode as a SQL
warehouse) and on the Snowflake stand-in's SQL (sqlglot -> DuckDB) over the same rows.

1. An empty date: Spark writes one 0-row file; both profiles must still have the date's row
   (rows 0) and parity-check must say "match"; without the target's line, or without the
   files, the date is "missing".
2. Sums at the limits: DECIMAL(38,10) and DECIMAL(38,0) values at their maximum and BIGINT at
   +-(2^63-1), many rows: both engines sum without overflow, and parity-check's total equals
   Python's exact Decimal sum.
3. Doubles and floats: random bit patterns, subnormals, 1e308, the largest double, powers of
   two and their neighbours, -0.0, NaN, +-inf: every metric byte-identical on both engines, min and max equal to Python's
   exact m p q text, and a changed last bit, 0.0 for -0.0, or NaN for a value is reported.

Exit 0 when all holds; the first failure stops with a message.
"""
import datetime
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
from decimal import Decimal, getcontext

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "stack", "databricks"))
sys.path.insert(0, os.path.join(REPO, "tests", "stack", "snowflake"))
sys.path.insert(0, HERE)

import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import engine  # noqa: E402  the Snowflake stand-in's translation
from pyspark.sql.types import (DateType, DecimalType, DoubleType, FloatType, LongType,  # noqa: E402
                               StructField, StructType)
import sparkenv  # noqa: E402
from parquet_samples import schema_json  # noqa: E402

getcontext().prec = 200
PC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "bin", "parity-check")
FULL, EMPTY, FLOATS = "2025-11-15", "2025-11-16", "2025-11-17"
DATES = (FULL, EMPTY, FLOATS)
N = 1500

DEC38_10 = Decimal("9999999999999999999999999999.9999999999")
DEC38_0 = Decimal("99999999999999999999999999999999999999")
LONG_MAX = 2 ** 63 - 1

SPARK_COLS = [("id", "BIGINT"), ("big", "DECIMAL(38,10)"), ("whole", "DECIMAL(38,0)"),
              ("small", "DECIMAL(10,2)"), ("d", "DOUBLE"), ("f", "FLOAT")]
SF_TYPES = {"id": "NUMBER(38,0)", "big": "NUMBER(38,10)", "whole": "NUMBER(38,0)",
            "small": "NUMBER(10,2)", "d": "FLOAT", "f": "FLOAT"}

TMP = tempfile.mkdtemp(prefix="parity_edges.")


def fail(msg):
    sys.exit("parity_edges.py: %s (work files in %s)" % (msg, TMP))


def run(args, stdin=None, want=0):
    p = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if p.returncode != want:
        fail("%s: exit %d, want %d: %s%s" % (" ".join(args), p.returncode, want, p.stderr.strip(),
                                             p.stdout.strip()))
    return p.stdout


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def doubles():
    rnd = random.Random(20261129)
    out = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308,
           1e308, -1e308, 1.7976931348623157e308, 0.9999999999999999, 1.0, 2.0 ** 52 + 1,
           1 / 3, -2.5, 0.1, float("inf"), float("-inf"), 2.0 ** -1021 - 2.0 ** -1074]
    # Powers of two and the doubles just below them, where a logarithm rounds across.
    for k in range(-1074, 1024, 5):
        out += [2.0 ** k, math.nextafter(2.0 ** k, 0), -math.nextafter(2.0 ** k, math.inf)]
    n = len(out) + 300
    while len(out) < n:
        x = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        if not math.isnan(x):
            out.append(x)
    return out


def floats():
    rnd = random.Random(7)
    out = [0.0, -0.0, 1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 0.1]
    while len(out) < 60:
        x = struct.unpack("<f", rnd.getrandbits(32).to_bytes(4, "little"))[0]
        if not math.isnan(x) and not math.isinf(x):
            out.append(x)
    return [f32(x) for x in out]


def exact_text(x, signed_zero=True):
    """parity-check(1)'s text of a double: NaN, inf, -inf, 0, -0, else [-]m p q."""
    if x is None:
        return None
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0" if signed_zero and math.copysign(1, x) < 0 else "0"
    bits = struct.unpack("<Q", struct.pack("<d", abs(x)))[0]  # the IEEE 754 fields themselves
    exp, frac = bits >> 52, bits & (2 ** 52 - 1)
    mant, q = (frac, -1074) if exp == 0 else (frac | 2 ** 52, exp - 1075)
    return "%s%dp%d" % ("-" if x < 0 else "", int(mant), q)


def rows():
    ds, fs = doubles(), floats()
    out = []
    for i in range(N):
        out.append((LONG_MAX if i % 3 else -LONG_MAX,
                    Decimal("0.0000000001") if i == 0 else (-DEC38_10 if i % 4 == 3 else DEC38_10),
                    DEC38_0 if i % 5 else -DEC38_0 + 1,
                    Decimal("-99999999.99") if i % 2 else Decimal("99999999.99"),
                    None, None, FULL))
    for i, x in enumerate(ds):
        out.append((i, Decimal(i), Decimal(i), Decimal("0.01"), x, fs[i % len(fs)], FLOATS))
    out.append((-1, None, None, None, float("nan"), float("nan"), FLOATS))
    out.append((-2, None, None, None, None, None, FLOATS))
    return out


def sf_ident(name):
    return '"' + name.replace('"', '""') + '"'


def export(spark, outdir):
    cols = ", ".join(c for c, _ in SPARK_COLS)
    lines = []
    for d in DATES:
        path = os.path.join(outdir, "date=" + d)
        spark.sql("SELECT %s FROM edges.t WHERE trip_date = DATE'%s'" % (cols, d)) \
            .coalesce(1).write.mode("overwrite").parquet(path)
        for f in sorted(os.listdir(path)):
            if f.startswith("part-") and f.endswith(".parquet"):
                meta = pq.ParquetFile(os.path.join(path, f))
                lines.append({"url": "file://" + os.path.join(path, f), "partition": {"date": d},
                              "rows": meta.metadata.num_rows, "schema": schema_json(meta.schema)})
    return lines


def load_target(con, lines):
    ddl = "CREATE OR REPLACE TABLE EDGES.PUBLIC.T (%s, \"trip_date\" DATE)" % ", ".join(
        "%s %s" % (sf_ident(c), SF_TYPES[c]) for c, _ in SPARK_COLS)
    con.execute(engine.translate(ddl)[0])
    for line in lines:
        con.execute("INSERT INTO \"EDGES\".\"PUBLIC\".\"T\" SELECT %s, DATE '%s' FROM read_parquet('%s', "
                    "hive_partitioning = false)" % (", ".join(sf_ident(c) for c, _ in SPARK_COLS),
                                                    line["partition"]["date"], line["url"][len("file://"):]))


def profile_snowflake(con, sql):
    cur = con.execute(engine.translate(sql)[0])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def jsonl(rows_):
    return "".join(json.dumps(r) + "\n" for r in rows_)


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def parity(src, tgt, files, want=0):
    out = run([PC, write("s.jsonl", jsonl(src)), write("t.jsonl", jsonl(tgt)), write("f.jsonl", files)],
              want=want)
    return {g["partition"]: g for g in map(json.loads, out.splitlines())}


def main():
    if not os.access(PC, os.X_OK):
        fail("%s: not built" % PC)
    spark = sparkenv.spark_session(os.path.join(TMP, "spark"), app="parity_edges")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    schema = StructType([StructField("id", LongType()), StructField("big", DecimalType(38, 10)),
                         StructField("whole", DecimalType(38, 0)), StructField("small", DecimalType(10, 2)),
                         StructField("d", DoubleType()), StructField("f", FloatType()),
                         StructField("trip_date", DateType())])
    data = [r[:-1] + (datetime.date.fromisoformat(r[-1]),) for r in rows()]
    spark.sql("CREATE DATABASE IF NOT EXISTS edges")
    spark.createDataFrame(data, schema).write.format("delta").partitionBy("trip_date") \
        .mode("overwrite").saveAsTable("edges.t")

    lines = export(spark, os.path.join(TMP, "export"))
    files = jsonl(lines)
    empty = [x for x in lines if x["partition"]["date"] == EMPTY]
    if [x["rows"] for x in empty] != [0]:
        fail("the empty date: want one 0-row file, got %r" % [x["rows"] for x in empty])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    con.execute("ATTACH ':memory:' AS \"EDGES\"")
    con.execute("CREATE SCHEMA \"EDGES\".\"PUBLIC\"")
    load_target(con, lines)

    dflags = sum((["-d", d] for d in DATES), [])
    spark_sql = run([PC, "--sql", "spark", "-t", "edges.t", "-p", "trip_date"] + dflags, files)
    sf_sql = run([PC, "--sql", "snowflake", "-t", "EDGES.PUBLIC.T", "-p", "trip_date"] + dflags, files)
    write("spark.sql", spark_sql)
    write("snowflake.sql", sf_sql)
    src = [r.asDict() for r in spark.sql(spark_sql.rstrip().rstrip(";")).collect()]
    tgt = profile_snowflake(con, sf_sql)

    # One value a partition, every double and every float.
    per_value, src_pv, tgt_pv = [], {}, {}
    for name, vals, stype, ftype in (("double", doubles() + [float("nan")], DoubleType(), "DOUBLE"),
                                     ("float", floats(), FloatType(), "FLOAT")):
        days = [(datetime.date(2000, 1, 1) + datetime.timedelta(days=i)).isoformat() for i in range(len(vals))]
        pv = list(zip(days, vals))
        per_value.append((name, pv, None))
        spark.createDataFrame([(x, datetime.date.fromisoformat(day)) for day, x in pv],
                              StructType([StructField("x", stype), StructField("dt", DateType())])) \
            .write.format("delta").mode("overwrite").saveAsTable("edges.pv_" + name)
        pschema = [{"name": "x", "physical": ftype, "logical": None, "repetition": "OPTIONAL"}]
        fl = json.dumps({"url": "file:///pv", "partition": {"date": days[0]}, "rows": 1, "schema": pschema})
        sql = run([PC, "--sql", "spark", "-t", "edges.pv_" + name, "-p", "dt"], fl)
        src_pv[name] = [r.asDict() for r in spark.sql(sql.rstrip().rstrip(";")).collect()]
        con.execute("CREATE TABLE \"EDGES\".\"PUBLIC\".\"PV_%s\" (\"x\" DOUBLE, \"dt\" DATE)" % name.upper())
        con.executemany("INSERT INTO \"EDGES\".\"PUBLIC\".\"PV_%s\" VALUES (?, ?)" % name.upper(),
                        [(x, datetime.date.fromisoformat(day)) for day, x in pv])
        sql = run([PC, "--sql", "snowflake", "-t", "EDGES.PUBLIC.PV_" + name.upper(), "-p", "dt"], fl)
        tgt_pv[name] = profile_snowflake(con, sql)
    spark.stop()

    # Every metric byte-identical, every date present on both sides.
    if [s["partition"] for s in src] != list(DATES) or [t["partition"] for t in tgt] != list(DATES):
        fail("partitions: Spark %r, Snowflake stand-in %r, want %r"
             % ([s["partition"] for s in src], [t["partition"] for t in tgt], DATES))
    for s, t in zip(src, tgt):
        if set(s) != set(t):
            fail("metric names differ: %s" % sorted(set(s) ^ set(t)))
        for k in s:
            if s[k] != t[k]:
                fail("partition %s: %s: Spark %r, Snowflake stand-in %r" % (s["partition"], k, s[k], t[k]))
    got = parity(src, tgt, files)
    if [g["status"] for g in got.values()] != ["match"] * 3:
        fail("parity-check: %r" % got)
    print("parity_edges.py: %d partitions, %d metrics each, identical on both engines: match"
          % (len(src), len(src[0])))

    # 1. The empty date proves as 0 = 0 = 0; a side that lacks it is missing.
    e = src[1]
    if e["rows"] != "0" or e["checksum"] != "0" or e["id.nulls"] != "0" or e["d.min"] is not None \
            or e["big.sum.e-10"] is not None:
        fail("the empty date's profile: %r" % e)
    got = parity(src, tgt[:1] + tgt[2:], files, want=1)
    if got[EMPTY] != {"partition": EMPTY, "status": "missing", "missing": ["target"]}:
        fail("no target line for the empty date: %r" % got[EMPTY])
    got = parity(src, tgt, jsonl(x for x in lines if x["partition"]["date"] != EMPTY), want=1)
    if got[EMPTY] != {"partition": EMPTY, "status": "missing", "missing": ["files"]}:
        fail("no files for the empty date: %r" % got[EMPTY])
    print("parity_edges.py: the empty date: rows 0 on both engines and in the footers: match; "
          "without its target line or its files: missing")

    # 2. Exact sums at the limits, as Python adds them.
    data_full = [r for r in rows() if r[-1] == FULL]
    want = {"id.sum": sum(r[0] for r in data_full), "big.sum": sum(r[1] for r in data_full),
            "whole.sum": sum(r[2] for r in data_full), "small.sum": sum(r[3] for r in data_full)}
    combined = dict(src[0])
    for k in list(combined):
        if ".sum.e" in k:
            del combined[k]
    for k, v in want.items():
        combined[k] = str(v)
    got = parity([src[0]], [combined], jsonl(x for x in lines if x["partition"]["date"] == FULL))
    if got[FULL]["status"] != "match":
        fail("the sums are not Python's %r: %r" % (want, got))
    wrong = dict(combined, **{"big.sum": str(want["big.sum"] + Decimal("0.0000000001"))})
    got = parity([src[0]], [wrong], jsonl(x for x in lines if x["partition"]["date"] == FULL), want=1)
    if [x["metric"] for x in got[FULL]["diff"]] != ["big.sum"] or \
            got[FULL]["diff"][0]["source"] != str(want["big.sum"]):
        fail("a sum off by 1e-10 is not reported exactly: %r" % got)
    print("parity_edges.py: %d rows at DECIMAL(38,10), DECIMAL(38,0) and BIGINT limits: sums exact "
          "(big.sum %s)" % (N, want["big.sum"]))

    # 3. Doubles: min and max are Python's exact text; changes the old profile missed are seen.
    fl = [r for r in rows() if r[-1] == FLOATS]
    dv = [r[4] for r in fl if r[4] is not None]
    fv = [r[5] for r in fl if r[5] is not None]
    finite = [x for x in dv if not math.isnan(x)]
    checks = {"d.min": exact_text(min(finite), False), "d.max": "NaN", "d.nans": "1", "d.negzeros": "1",
              "f.min": exact_text(min(x for x in fv if not math.isnan(x)), False), "f.max": "NaN",
              "f.nulls": "1"}
    for k, v in checks.items():
        if src[2][k] != v:
            fail("%s: %r, want %r" % (k, src[2][k], v))
    # Each value alone in a partition of its own: its min is its text, on both engines.
    for name, spark_rows, sf_rows in per_value:
        for (day, x), s, t in zip(spark_rows, src_pv[name], tgt_pv[name]):
            want_t = exact_text(x, False)
            if s["partition"] != day or s["x.min"] != want_t or t["x.min"] != want_t:
                fail("%s %r: Spark %r, Snowflake stand-in %r, want %r" % (name, x, s, t, want_t))
    print("parity_edges.py: %d doubles and %d floats (random bits, subnormals, 1e308, +-inf, -0.0, NaN): "
          "each one's text as Python's m p q on both engines" % (len(per_value[0][1]), len(per_value[1][1])))
    controls = [("nextafter(\"d\", CAST('inf' AS DOUBLE))", "\"d\" = 0.1", ["checksum"]),
                ("-CAST(0.0 AS DOUBLE)", "\"d\" = 0.0 AND CAST(\"d\" AS TEXT) = '0.0'", ["checksum", "d.negzeros"]),
                ("CAST('NaN' AS DOUBLE)", "\"d\" = -2.5", ["checksum", "d.nans"]),
                ("CAST('inf' AS DOUBLE)", "\"d\" = 1e308", ["checksum"])]
    for new, where, metrics in controls:
        con.execute("CREATE OR REPLACE TEMP TABLE saved AS SELECT * FROM \"EDGES\".\"PUBLIC\".\"T\"")
        # DELETE and INSERT: DuckDB's UPDATE of 0.0 to -0.0 changes nothing.
        con.execute("DELETE FROM \"EDGES\".\"PUBLIC\".\"T\" WHERE %s" % where)
        con.execute("INSERT INTO \"EDGES\".\"PUBLIC\".\"T\" SELECT * REPLACE (%s AS \"d\") FROM saved WHERE %s"
                    % (new, where))
        got = parity(src, profile_snowflake(con, sf_sql), files, want=1)
        seen = [x["metric"] for x in got[FLOATS].get("diff", [])]
        if any(m not in seen for m in metrics) or got[FULL]["status"] != "match":
            fail("d = %s where %s: %r, want %r among the differences" % (new, where, got[FLOATS], metrics))
        print("parity_edges.py: d = %s where %s: reported: %s" % (new, where, ", ".join(seen)))
        con.execute("DELETE FROM \"EDGES\".\"PUBLIC\".\"T\"")
        con.execute("INSERT INTO \"EDGES\".\"PUBLIC\".\"T\" SELECT * FROM saved")
    shutil.rmtree(TMP)


if __name__ == "__main__":
    main()
