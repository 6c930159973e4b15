"""Local Spark + Delta session for the Databricks stand-in and the seed script.

One Spark session per process, rooted in a state directory:
  DIR/metastore_db   Derby Hive metastore (schemas and table registrations persist)
  DIR/warehouse      managed Delta tables (spark.sql.warehouse.dir)
  DIR/tmp            scratch space (INSERT OVERWRITE DIRECTORY staging)
Derby allows one process at a time: run seed_trips.py directly only while the
server is stopped (or send its SQL through the server, see README.databricks).

Jars: the Delta jars resolved by ./install into REPO/.stack/jars (or $DBX_STACK_JARS).
"""

import glob
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
JAR_DIR = os.environ.get("DBX_STACK_JARS") or os.path.join(REPO, ".stack", "jars")
REQUIRED_JARS = ("delta-spark_2.12-3.3.2.jar", "delta-storage-3.3.2.jar")

# Catalog names (Unity Catalog style, first part of a three-part name) that map onto
# Spark's only catalog, spark_catalog.  tokens.json may add more ("catalogs").
DEFAULT_CATALOG_ALIASES = ("main", "hive_metastore", "spark_catalog")


def delta_jars():
    jars = [os.path.join(JAR_DIR, j) for j in REQUIRED_JARS]
    missing = [j for j in jars if not os.path.isfile(j)]
    if missing:
        raise SystemExit("databricks stand-in: missing jars %s; run tests/stack/databricks/install"
                         % ", ".join(missing))
    return jars


def spark_session(state_dir, app="dbx-standin", timestamp_type="INT96"):
    """Start (once) and return the base SparkSession rooted in state_dir."""
    state_dir = os.path.abspath(state_dir)
    for sub in ("warehouse", "tmp"):
        os.makedirs(os.path.join(state_dir, sub), exist_ok=True)
    # Python-side datetime conversion uses the process zone: keep everything in UTC,
    # the default TIMEZONE of a Databricks SQL warehouse.
    os.environ["TZ"] = "UTC"
    try:
        import time
        time.tzset()
    except AttributeError:
        pass
    os.environ.setdefault("PYSPARK_PIN_THREAD", "true")
    # Every listener Spark opens (driver RPC, block manager) stays on loopback.
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["SPARK_LOCAL_DIRS"] = os.path.join(state_dir, "tmp")
    from pyspark.sql import SparkSession

    java_opts = "-Duser.timezone=UTC -Dderby.system.home=%s -Xss4m" % state_dir
    builder = (
        SparkSession.builder.appName(app)
        .master("local[2]")
        .config("spark.jars", ",".join(delta_jars()))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.catalogImplementation", "hive")
        .config("spark.sql.warehouse.dir", os.path.join(state_dir, "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                "jdbc:derby:;databaseName=%s;create=true" % os.path.join(state_dir, "metastore_db"))
        .config("spark.hadoop.datanucleus.schema.autoCreateAll", "true")
        .config("spark.hadoop.hive.metastore.schema.verification", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.extraJavaOptions", java_opts)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        # Databricks SQL warehouses run with ANSI_MODE = TRUE by default.
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", timestamp_type)
        # A table made without USING is a Delta table, as on Databricks (CREATE OR REPLACE
        # TABLE t AS SELECT …, the SQL way to rewrite a table with a new schema).
        .config("spark.sql.sources.default", "delta")
        .config("spark.sql.legacy.createHiveTableByDefault", "false")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", "2")
    )
    spark = builder.enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


_QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|--[^\n]*|/\*.*?\*/)""", re.S)


def _rewrite_catalog_in_code(code, aliases):
    names = "|".join(re.escape(a) for a in aliases)
    pat = re.compile(r"(?<![\w.`])(`(?:%s)`|(?:%s))(?=\s*\.\s*(?:`[^`]+`|\w+)\s*\.\s*(?:`[^`]+`|\w+))"
                     % (names, names), re.I)
    return pat.sub("spark_catalog", code)


# table_changes('cat.schema.table', v): Databricks takes the table's name as a string literal.
_TABLE_CHANGES = re.compile(r"\btable_changes\s*\(\s*$", re.I)


def rewrite_catalogs(sql, aliases=DEFAULT_CATALOG_ALIASES):
    """Map `alias.schema.table` onto `spark_catalog.schema.table` outside literals and comments.

    Backquoted identifiers are scanned too (`main`.`s`.`t`); string literals and comments
    are left untouched, except the first argument of table_changes('cat.schema.table', …),
    which names a table.
    """
    out, pos = [], 0
    for m in _QUOTED.finditer(sql):
        code = _rewrite_catalog_in_code(sql[pos:m.start()], aliases)
        out.append(code)
        lit = m.group(0)
        if lit[0] in "'\"" and _TABLE_CHANGES.search(code):
            lit = lit[0] + _rewrite_catalog_in_code(lit[1:-1], aliases) + lit[-1]
        out.append(lit)
        pos = m.end()
    out.append(_rewrite_catalog_in_code(sql[pos:], aliases))
    return "".join(out)


def rewrite_identifier_value(value, aliases=DEFAULT_CATALOG_ALIASES):
    """The same mapping for a table name passed as a parameter to IDENTIFIER(:p)."""
    return _rewrite_catalog_in_code(value, aliases)
