#!/usr/bin/env python3
"""checksum_agree.py [PARITY_CHECK]: the profile SQL of parity-check gives the same profile on
local Spark + Delta (the Databricks stand-in) and on the Snowflake stand-in's SQL (sqlglot ->
DuckDB, tests/stack/snowflake/engine.py) over the same rows, for every column type of the
sf-copy type map.

1. A Delta table partitioned by trip_date with one column of each Spark type, odd names, NULLs
   (a row NULL in every column too) and edge values (decimals below 1e-6, pre-1970 instants, a wall clock inside a DST gap…).
2. Its rows exported to Parquet by Spark, twice: INT96 timestamps (Spark's default) and
   TIMESTAMP(MICROS, utc) ones; the footers read with pyarrow into s3-ls-parquet's shape.
3. A target table created from that schema with the Snowflake type map and loaded from the
   same Parquet files.
4. parity-check --sql spark / --sql snowflake on the schema; each engine runs its SQL with a
   session time zone that is not UTC (America/New_York), to show the SQL does not depend on it.
5. Every metric must be byte-identical on both sides and parity-check must say "match"; then a
   changed value in the target must make parity-check exit 1 with a checksum difference.

Exit 0 when all holds; the first failure stops with a message.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "stack", "databricks"))
sys.path.insert(0, os.path.join(REPO, "tests", "stack", "snowflake"))
sys.path.insert(0, HERE)

import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import engine  # noqa: E402  the Snowflake stand-in's translation
import sparkenv  # noqa: E402
from parquet_samples import schema_json  # noqa: E402

PC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "bin", "parity-check")
ZONE = "America/New_York"
DATES = ("2025-11-15", "2025-11-16")

# Spark DDL of the source; names chosen to need quoting (case, quotes, backquote, dot).
COLUMNS = [
    ("trip_id", "BIGINT"),
    ("passengers", "INT"),
    ("seats", "SMALLINT"),
    ("Fare", "DECIMAL(10,2)"),
    ("tiny", "DECIMAL(38,10)"),
    ("dist", "DOUBLE"),
    ("ratio", "FLOAT"),
    ('rider"name', "STRING"),
    ("tick`s", "STRING"),
    ("raw", "BINARY"),
    ("ok", "BOOLEAN"),
    ("day", "DATE"),
    ("pickup_at", "TIMESTAMP"),
    ("local_at", "TIMESTAMP_NTZ"),
    ("tags", "ARRAY<STRING>"),
    ("attrs", "MAP<STRING,INT>"),
    ("loc", "STRUCT<lat: DOUBLE, lon: DOUBLE>"),
]

# Rows as Spark SQL literals, in COLUMNS order, then trip_date.
ROWS = [
    ["1", "2", "3", "12.50", "0.0000000100", "1.5", "0.25", "'Ann'", "'a|b'", "X'00ff10'", "true",
     "DATE'2025-11-15'", "TIMESTAMP'2025-11-15 08:00:00.123456 UTC'",
     "TIMESTAMP_NTZ'2025-03-09 02:30:00.5'", "array('x','y')", "map('k',1)",
     "named_struct('lat',1.5D,'lon',-2.25D)", "DATE'2025-11-15'"],
    ["9223372036854775807", "-2147483648", "-32768", "-99999999.99", "0.0000000000",
     "-0.0", "1e10", "'Émile \\'q\\' \\\\ \"dq\"'", "'<null>'", "X''", "false",
     "DATE'1969-12-31'", "TIMESTAMP'1969-12-31 23:59:59.5 UTC'",
     "TIMESTAMP_NTZ'1900-01-01 00:00:00'", "array()", "map()",
     "named_struct('lat',0D,'lon',0D)", "DATE'2025-11-15'"],
    ["-9223372036854775808", "NULL", "NULL", "NULL", "-1234567890123456789012345678.0123456789",
     "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL",
     "NULL", "DATE'2025-11-15'"],
    ["4", "5", "6", "0.01", "1.0000000000", "3.0", "NULL", "'日本'", "''", "X'41'", "true",
     "DATE'2000-02-29'", "TIMESTAMP'2025-03-09 07:30:00 UTC'",
     "TIMESTAMP_NTZ'2025-11-16 23:59:59.999999'", "array(NULL)", "map('a',NULL)", "NULL",
     "DATE'2025-11-16'"],
    # NULL in every column: the row's checksum term is the MD5 of NULL markers alone.
    ["NULL"] * len(COLUMNS) + ["DATE'2025-11-16'"],
]


TMP = tempfile.mkdtemp(prefix="checksum_agree.")


def fail(msg):
    sys.exit("checksum_agree.py: %s (work files in %s)" % (msg, TMP))


def run(args, stdin=None, want=0):
    p = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if p.returncode != want:
        fail("%s: exit %d, want %d: %s" % (" ".join(args), p.returncode, want, p.stderr.strip()))
    return p.stdout


def spark_ident(name):
    return "`" + name.replace("`", "``") + "`"


def sf_ident(name):
    return '"' + name.replace('"', '""') + '"'


def sf_type(col):
    """sf-copy's type map (sf-copy(1)) for one top-level schema element."""
    phys, log = col["physical"], col.get("logical")
    if phys == "GROUP" or col.get("repetition") == "REPEATED" or log in ("LIST", "MAP", "JSON"):
        return "VARIANT"
    if log in ("STRING", "ENUM", "UUID"):
        return "VARCHAR"
    if log == "DECIMAL":
        return "NUMBER(%d,%d)" % (col["precision"], col["scale"])
    if log == "INTEGER" or (log is None and phys in ("INT32", "INT64")):
        return "NUMBER(38,0)"
    if log == "DATE":
        return "DATE"
    if log == "TIMESTAMP":
        n = {"MILLIS": 3, "MICROS": 6, "NANOS": 9}[col["unit"]]
        return "TIMESTAMP_%s(%d)" % ("LTZ" if col["utc"] else "NTZ", n)
    if phys == "INT96":
        return "TIMESTAMP_NTZ(9)"
    if phys in ("FLOAT", "DOUBLE"):
        return "FLOAT"
    if phys == "BOOLEAN":
        return "BOOLEAN"
    if phys in ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"):
        return "BINARY"
    fail("no Snowflake type for %r" % col)


def export(spark, outdir, ts_type):
    """Spark writes each partition's rows as Parquet (what dbx-export does); the footers become
    s3-ls-parquet lines."""
    spark.conf.set("spark.sql.parquet.outputTimestampType", ts_type)
    cols = ", ".join(spark_ident(c) for c, _ in COLUMNS)
    lines = []
    for d in DATES:
        path = os.path.join(outdir, ts_type, "date=" + d)
        spark.sql("SELECT %s FROM parity.trips WHERE trip_date = DATE'%s'" % (cols, d)) \
            .coalesce(1).write.mode("overwrite").parquet(path)
        for f in sorted(glob.glob(os.path.join(path, "part-*.parquet"))):
            meta = pq.ParquetFile(f)
            lines.append({"url": "file://" + f, "partition": {"date": d},
                          "rows": meta.metadata.num_rows, "schema": schema_json(meta.schema)})
    return lines


def load_target(con, lines):
    """CREATE TABLE with the type map, through the stand-in's translation, then the Parquet
    files loaded into it (what COPY INTO does in the stand-in)."""
    schema = lines[0]["schema"]
    ddl = "CREATE OR REPLACE TABLE PARITY.PUBLIC.TRIPS (%s, \"trip_date\" DATE)" % ", ".join(
        "%s %s" % (sf_ident(c["name"]), sf_type(c)) for c in schema)
    duck = engine.translate(ddl)[0]
    # Stand-in gap: DuckDB's TIMESTAMPTZ takes no precision (TIMESTAMP_LTZ(6) is refused).
    duck = re.sub(r"TIMESTAMPTZ\(\d\)", "TIMESTAMPTZ", duck)
    con.execute(duck)
    for line in lines:
        sel = ", ".join(("to_json(%s)" if sf_type(c) == "VARIANT" else "%s") % sf_ident(c["name"])
                        for c in schema)
        con.execute("INSERT INTO \"PARITY\".\"PUBLIC\".\"TRIPS\" SELECT %s, DATE '%s' FROM read_parquet('%s')"
                    % (sel, line["partition"]["date"], line["url"][len("file://"):]))


def profile_snowflake(con, sql):
    duck, _ = engine.translate(sql)
    cur = con.execute(duck)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def profile_spark(spark, sql):
    return [r.asDict() for r in spark.sql(sql.rstrip().rstrip(";")).collect()]


def jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


def check(spark, con, tmp, ts_type):
    lines = export(spark, tmp, ts_type)
    files = jsonl(lines)
    with open(os.path.join(tmp, ts_type + "-files.jsonl"), "w") as f:
        f.write(files)
    load_target(con, lines)
    dflags = sum((["-d", d] for d in DATES), [])
    spark_sql = run([PC, "--sql", "spark", "-t", "parity.trips", "-p", "trip_date"] + dflags, files)
    sf_sql = run([PC, "--sql", "snowflake", "-t", "PARITY.PUBLIC.TRIPS", "-p", "trip_date"] + dflags,
                 files)
    src = profile_spark(spark, spark_sql)
    tgt = profile_snowflake(con, sf_sql)
    if len(src) != len(DATES) or len(tgt) != len(DATES):
        fail("%s: %d source and %d target partitions, want %d" % (ts_type, len(src), len(tgt), len(DATES)))
    for s, t in zip(src, tgt):
        if set(s) != set(t):
            fail("%s: metric names differ: %s" % (ts_type, sorted(set(s) ^ set(t))))
        for k in s:
            if not isinstance(s[k], (str, type(None))) or not isinstance(t[k], (str, type(None))):
                fail("%s: %s: not text: %r / %r" % (ts_type, k, s[k], t[k]))
            if s[k] != t[k]:
                fail("%s: partition %s: %s: Spark %r, Snowflake stand-in %r"
                     % (ts_type, s["partition"], k, s[k], t[k]))
    paths = {}
    for name, rows in (("source", src), ("target", tgt), ("files", None)):
        paths[name] = os.path.join(tmp, "%s-%s.jsonl" % (ts_type, name))
        with open(paths[name], "w") as f:
            f.write(files if rows is None else jsonl(rows))
    out = run([PC, paths["source"], paths["target"], paths["files"]])
    got = [json.loads(x) for x in out.splitlines()]
    if [g.get("status") for g in got] != ["match"] * len(DATES):
        fail("%s: parity-check: %s" % (ts_type, out))
    nulls_only = sorted(k[:-len(".nulls")] for k in src[0] if k.endswith(".nulls")
                        and k[:-len(".nulls")] + ".min" not in src[0]
                        and k[:-len(".nulls")] + ".trues" not in src[0])
    print("checksum_agree.py: %s: %d partitions, %d metrics each, identical on both engines "
          "(null counts only: %s)" % (ts_type, len(src), len(src[0]), ", ".join(nulls_only)))

    # The negative control: one changed character in the target is seen.
    con.execute("UPDATE \"PARITY\".\"PUBLIC\".\"TRIPS\" SET \"tick`s\" = 'a|c' WHERE \"tick`s\" = 'a|b'")
    with open(paths["target"], "w") as f:
        f.write(jsonl(profile_snowflake(con, sf_sql)))
    out = run([PC, paths["source"], paths["target"], paths["files"]], want=1)
    got = {g["partition"]: g for g in map(json.loads, out.splitlines())}
    bad = got.get(DATES[0], {})
    metrics = [x["metric"] for x in bad.get("diff", [])]
    if bad.get("status") != "mismatch" or "checksum" not in metrics or got[DATES[1]]["status"] != "match":
        fail("%s: a changed value was not reported: %s" % (ts_type, out))
    print("checksum_agree.py: %s: a changed value is reported: %s" % (ts_type, ", ".join(metrics)))


def main():
    if not os.access(PC, os.X_OK):
        fail("%s: not built" % PC)
    tmp = TMP
    spark = sparkenv.spark_session(os.path.join(tmp, "spark"), app="checksum_agree")
    spark.conf.set("spark.sql.session.timeZone", ZONE)
    spark.sql("CREATE DATABASE IF NOT EXISTS parity")
    spark.sql("CREATE OR REPLACE TABLE parity.trips (%s, trip_date DATE) USING DELTA PARTITIONED BY (trip_date)"
              % ", ".join("%s %s" % (spark_ident(c), t) for c, t in COLUMNS))
    spark.sql("INSERT INTO parity.trips VALUES %s" % ", ".join("(%s)" % ", ".join(r) for r in ROWS))

    con = duckdb.connect()
    con.execute("SET TimeZone = '%s'" % ZONE)
    con.execute("ATTACH ':memory:' AS \"PARITY\"")
    con.execute("CREATE SCHEMA \"PARITY\".\"PUBLIC\"")
    for ts_type in ("INT96", "TIMESTAMP_MICROS"):
        check(spark, con, tmp, ts_type)
    spark.stop()
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
