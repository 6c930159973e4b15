#!/usr/bin/env python3
"""Local stand-in for the Databricks SQL Statement Execution API 2.0 (plus OAuth M2M).

Serves the documented protocol on top of local Spark SQL + Delta Lake.  The interface,
every emulated behaviour and every known divergence are in tests/stack/README.databricks.

usage: server.py --host 127.0.0.1 --port PORT --state DIR [--chunk-rows N]
                 [--inject SPEC] [--parquet-timestamp INT96|TIMESTAMP_MICROS|TIMESTAMP_MILLIS]
                 [--max-concurrency N]
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sparkenv  # noqa: E402

INLINE_LIMIT = 25 * 1024 * 1024
EXTERNAL_DEFAULT_BYTE_LIMIT = 100 * 1024 ** 3
LINK_TTL = 15 * 60
# What GET /.well-known/databricks-config reports unless tokens.json says otherwise.
WORKSPACE_ID = "1234567890123456"
ACCOUNT_ID = "00000000-0000-4000-8000-00000000d8c5"
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
# Documented Databricks SQL configuration parameters (SET is allowed for these only).
WAREHOUSE_PARAMS = ("ANSI_MODE", "ENABLE_PHOTON", "LEGACY_TIME_PARSER_POLICY",
                    "MAX_FILE_PARTITION_BYTES", "READ_ONLY_EXTERNAL_METASTORE",
                    "STATEMENT_TIMEOUT", "TIMEZONE", "USE_CACHED_RESULT", "QUERY_TAGS")


def log(msg):
    sys.stderr.write("dbx-standin: %s\n" % msg)
    sys.stderr.flush()


def now_iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        Exception.__init__(self, message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class StatementFailed(Exception):
    def __init__(self, code, message, sql_state=None):
        Exception.__init__(self, message)
        self.code, self.message, self.sql_state = code, message, sql_state


class Canceled(Exception):
    pass


# --------------------------------------------------------------------------- state

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.data = {"requests": {}, "responses": {}, "statements": {}, "final_states": {},
                     "injected": {}, "exports": 0, "uploaded_objects": 0, "deleted_objects": 0,
                     "oauth_tokens_issued": 0, "auth_failures": 0,
                     "presigned_ok": 0, "presigned_rejected": 0}

    def bump(self, section, key=None, n=1):
        with self.lock:
            if key is None:
                self.data[section] += n
            else:
                d = self.data[section]
                d[key] = d.get(key, 0) + n

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.data))


class Injections:
    """HTTP faults for the next N matching requests, and statement delays/failures."""

    def __init__(self, stats):
        self.lock = threading.Lock()
        self.http = []
        self.statement = []
        self.stats = stats

    def add(self, spec):
        specs = spec if isinstance(spec, list) else [spec]
        with self.lock:
            for s in specs:
                if not isinstance(s, dict):
                    raise ValueError("an injection is a JSON object")
                if s.get("reset"):
                    self.http, self.statement = [], []
                    continue
                s = dict(s)
                s["count"] = int(s.get("count", 1))
                if "status" in s:
                    s["status"] = int(s["status"])
                    s.setdefault("path", "/")
                    self.http.append(s)
                elif "delay" in s or "fail" in s:
                    if "delay" in s:
                        s["delay"] = float(s["delay"])
                        if s.get("state", "RUNNING") not in ("PENDING", "RUNNING"):
                            raise ValueError("state must be PENDING or RUNNING")
                    self.statement.append(s)
                else:
                    raise ValueError("injection needs status, delay, fail or reset")

    def take_http(self, method, path):
        with self.lock:
            for s in self.http:
                if s["count"] <= 0:
                    continue
                if s.get("method") and s["method"].upper() != method:
                    continue
                if not path.startswith(s["path"]):
                    continue
                s["count"] -= 1
                self.stats.bump("injected", "http_%d" % s["status"])
                return s
            return None

    def take_statement(self, text):
        """All statement injections that match (one delay per state, one failure)."""
        got = {}
        with self.lock:
            for s in self.statement:
                if s["count"] <= 0 or (s.get("match") and s["match"] not in text):
                    continue
                key = ("delay_" + s.get("state", "RUNNING")) if "delay" in s else "fail"
                if key in got:
                    continue
                s["count"] -= 1
                got[key] = s
                self.stats.bump("injected", key)
        return got

    def describe(self):
        with self.lock:
            return {"http": [dict(s) for s in self.http if s["count"] > 0],
                    "statement": [dict(s) for s in self.statement if s["count"] > 0]}


class Statement:
    def __init__(self, req):
        self.id = "01ef" + uuid.uuid4().hex[4:8] + "-" + uuid.uuid4().hex[:4] + "-" + \
            uuid.uuid4().hex[:4] + "-" + uuid.uuid4().hex[:4] + "-" + uuid.uuid4().hex[:12]
        self.req = req
        self.state = "PENDING"
        self.error = None  # (code, message, sql_state)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.cancel_requested = threading.Event()
        self.columns = []
        self.chunks = []  # list of (row_offset, rows, byte_count)
        self.total_rows = 0
        self.total_bytes = 0
        self.truncated = False
        self.created = time.time()

    def finish(self, state, error=None):
        with self.lock:
            if self.state in TERMINAL:
                return False
            self.state, self.error = state, error
        self.done.set()
        return True


# --------------------------------------------------------------------------- engine

class Engine:
    def __init__(self, spark, state_dir, chunk_rows, max_concurrency, aliases, stats, injections):
        self.spark = spark
        self.state_dir = state_dir
        self.chunk_rows = chunk_rows
        self.slots = threading.Semaphore(max_concurrency)
        self.aliases = aliases
        self.stats = stats
        self.injections = injections
        self.statements = {}
        self.lock = threading.Lock()
        self._s3 = None

    def s3(self):
        if self._s3 is None:
            import boto3
            from botocore.config import Config
            self._s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3")
                                    or os.environ.get("AWS_ENDPOINT_URL"),
                                    region_name=os.environ.get("AWS_REGION", "us-east-1"),
                                    config=Config(s3={"addressing_style": "path"}))
        return self._s3

    def submit(self, req):
        st = Statement(req)
        st.injected = self.injections.take_statement(req["statement"])
        with self.lock:
            self.statements[st.id] = st
        self.stats.bump("statements", "submitted")
        threading.Thread(target=self._run, args=(st,), daemon=True,
                         name="stmt-" + st.id).start()
        return st

    def get(self, sid):
        with self.lock:
            return self.statements.get(sid)

    def cancel(self, st):
        st.cancel_requested.set()
        with st.lock:
            pending = st.state == "PENDING"
        if pending:
            st.finish("CANCELED")
        else:
            try:
                self.spark.sparkContext.cancelJobGroup(st.id)
            except Exception as e:  # best effort, like the real cancel
                log("cancelJobGroup %s: %s" % (st.id, e))

    def _run(self, st):
        try:
            d = st.injected.get("delay_PENDING")
            if d and st.cancel_requested.wait(d["delay"]):
                raise Canceled()
            while not self.slots.acquire(timeout=0.1):
                if st.cancel_requested.is_set():
                    raise Canceled()
            try:
                with st.lock:
                    if st.state != "PENDING":
                        return
                    st.state = "RUNNING"
                d = st.injected.get("delay_RUNNING")
                if d and st.cancel_requested.wait(d["delay"]):
                    raise Canceled()
                if st.cancel_requested.is_set():
                    raise Canceled()
                f = st.injected.get("fail")
                if f:
                    fail = f["fail"] if isinstance(f["fail"], dict) else {}
                    raise StatementFailed(fail.get("error_code", "INTERNAL_ERROR"),
                                          fail.get("message", "injected failure"),
                                          fail.get("sql_state"))
                self._execute(st)
                if st.cancel_requested.is_set():
                    raise Canceled()
                st.finish("SUCCEEDED")
            finally:
                self.slots.release()
        except Canceled:
            st.finish("CANCELED")
        except StatementFailed as e:
            st.finish("FAILED", (e.code, e.message, e.sql_state))
        except Exception as e:  # a Spark error
            if st.cancel_requested.is_set():
                st.finish("CANCELED")
            else:
                st.finish("FAILED", spark_error(e))
        finally:
            if st.state in TERMINAL:
                self.stats.bump("final_states", st.state)
            if st.state == "FAILED":
                log("statement %s FAILED: %s" % (st.id, st.error[1].splitlines()[0][:200]))

    # -- execution

    def _execute(self, st):
        req = st.req
        sess = self.spark.newSession()
        sc = self.spark.sparkContext
        sc.setJobGroup(st.id, "statement " + st.id, True)
        catalog, schema = req.get("catalog"), req.get("schema")
        if catalog and catalog.lower() not in self.aliases:
            raise StatementFailed("BAD_REQUEST", "[NO_SUCH_CATALOG_EXCEPTION] Catalog '%s' was not "
                                  "found. Please verify the catalog name and then retry the query "
                                  "or command again. SQLSTATE: 42704" % catalog, "42704")
        if schema:
            sess.sql("USE spark_catalog.`%s`" % schema.replace("`", "``"))
        text = sparkenv.rewrite_catalogs(req["statement"], self.aliases)
        set_rows = guard_set(text)
        if set_rows is not None:
            st.columns = [column_info("key", "STRING", "STRING", 0),
                          column_info("value", "STRING", "STRING", 1)]
            self._store_rows(st, set_rows)
            return
        args = self._bind_parameters(sess, req.get("parameters") or [], text)
        export = parse_export(text)
        if export:
            self._export(st, sess, text, args, export)
            return
        try:
            df = sess.sql(text, args=args) if args else sess.sql(text)
        except Exception as e:
            if not widen_type(sess, text, e):
                raise
            st.columns = []  # a command: no columns, no rows
            self._store_rows(st, [])
            return
        self._collect(st, df)

    def _bind_parameters(self, sess, params, text):
        if not params:
            return None
        ident_names = {m.lower() for m in re.findall(r"IDENTIFIER\s*\(\s*:(\w+)\s*\)", text, re.I)}
        exprs, inputs = [], {}
        for i, p in enumerate(params):
            t = p.get("type") or "STRING"
            if p.get("value") is None:
                exprs.append("CAST(NULL AS %s) AS p%d" % (t, i))
            else:
                inputs["v%d" % i] = p["value"]
                exprs.append("CAST(:v%d AS %s) AS p%d" % (i, t, i))
        df = sess.sql("SELECT " + ", ".join(exprs), args=inputs)
        row = df.collect()[0]  # raises the cast error (CAST_INVALID_INPUT, …) if any
        literals = typed_literals(df, len(params))
        args = {}
        for i, p in enumerate(params):
            v = row[i]
            if p["name"].lower() in ident_names and isinstance(v, str):
                v = sparkenv.rewrite_identifier_value(v, self.aliases)
            elif literals is not None:
                v = literals[i]
            args[p["name"]] = v
        return args

    def _collect(self, st, df):
        from pyspark.sql import functions as F
        jfields = df._jdf.schema().fields()
        fields = df.schema.fields
        st.columns = [column_info_for(f, jf, i) for i, (f, jf) in enumerate(zip(fields, jfields))]
        if not fields:
            df.collect()
            self._store_rows(st, [])
            return
        names = ["c%d" % i for i in range(len(fields))]
        d2 = df.toDF(*names)
        row_limit = st.req.get("row_limit")
        if row_limit is not None:
            d2 = d2.limit(row_limit + 1)
        exprs = []
        for n, f in zip(names, fields):
            tn = f.dataType.typeName()
            if tn in ("array", "map", "struct"):
                exprs.append(F.to_json(F.col(n)).alias(n))
            elif tn == "binary":
                exprs.append(F.base64(F.col(n)).alias(n))
            else:
                exprs.append(F.col(n).cast("string").alias(n))
        rows = [list(r) for r in d2.select(*exprs).collect()]
        if row_limit is not None and len(rows) > row_limit:
            rows = rows[:row_limit]
            st.truncated = True
        self._store_rows(st, rows)

    def _store_rows(self, st, rows):
        inline = st.req["disposition"] == "INLINE"
        byte_limit = st.req.get("byte_limit")
        if byte_limit is None and not inline:
            byte_limit = EXTERNAL_DEFAULT_BYTE_LIMIT
        sizes, total = [], 0
        for i, r in enumerate(rows):
            b = len(json.dumps(r, ensure_ascii=False).encode("utf-8"))
            if byte_limit is not None and total + b > byte_limit:
                rows = rows[:i]
                st.truncated = True
                break
            sizes.append(b)
            total += b
        if inline and total > INLINE_LIMIT:
            raise StatementFailed(
                "BAD_REQUEST", "Inline byte limit exceeded. Statements executed with "
                "disposition=INLINE can have a result size of at most %d bytes. Please use "
                "disposition=EXTERNAL_LINKS for large results." % INLINE_LIMIT)
        chunks = []
        for off in range(0, len(rows), self.chunk_rows):
            part = rows[off:off + self.chunk_rows]
            chunks.append((off, part, sum(sizes[off:off + self.chunk_rows])))
        if not chunks and st.columns:
            chunks.append((0, [], 0))
        st.chunks, st.total_rows, st.total_bytes = chunks, len(rows), total

    # -- INSERT OVERWRITE DIRECTORY 's3://…'

    def _export(self, st, sess, text, args, export):
        start, end, url = export
        m = re.match(r"s3a?://([^/]+)/?(.*)$", url)
        if not m or not m.group(1):
            raise StatementFailed("BAD_REQUEST", "[INVALID_PATH] stand-in: only s3://bucket/prefix "
                                  "directories are supported, got '%s'" % url)
        bucket, prefix = m.group(1), m.group(2)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        local = os.path.join(self.state_dir, "tmp", "export-" + st.id)
        shutil.rmtree(local, ignore_errors=True)
        local_text = text[:start] + "'file://%s'" % local + text[end:]
        try:
            sess.sql(local_text, args=args) if args else sess.sql(local_text)
            if st.cancel_requested.is_set():
                raise Canceled()
            self._upload(bucket, prefix, local)
        finally:
            shutil.rmtree(local, ignore_errors=True)
        self.stats.bump("exports")
        st.columns = []
        self._store_rows(st, [])

    def _upload(self, bucket, prefix, local):
        s3 = self.s3()
        try:
            # Overwrite semantics: whatever lay under the directory goes first.
            token = None
            while True:
                kw = {"Bucket": bucket, "Prefix": prefix}
                if token:
                    kw["ContinuationToken"] = token
                page = s3.list_objects_v2(**kw)
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                    self.stats.bump("deleted_objects", n=len(keys))
                if not page.get("IsTruncated"):
                    break
                token = page.get("NextContinuationToken")
            for root, _dirs, files in os.walk(local):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    rel = os.path.relpath(path, local).replace(os.sep, "/")
                    s3.upload_file(path, bucket, prefix + rel)
                    self.stats.bump("uploaded_objects")
        except Exception as e:
            raise StatementFailed("IO_ERROR", "Failed to write to s3://%s/%s: %s"
                                  % (bucket, prefix, str(e).splitlines()[0]))


def typed_literals(df, n):
    """The folded CAST(:v AS type) literals as Columns, so a parameter keeps its declared
    type (DECIMAL(10,2) stays DECIMAL(10,2), BIGINT stays BIGINT, typed NULLs stay typed)."""
    from pyspark.sql.column import Column
    try:
        jvm = df.sparkSession._jvm
        exprs = df._jdf.queryExecution().optimizedPlan().expressions()
        out = []
        for i in range(n):
            lit = exprs.apply(i).child()
            if lit.getClass().getSimpleName() != "Literal":
                return None
            out.append(Column(jvm.org.apache.spark.sql.Column(lit)))
        return out
    except Exception as e:
        log("typed parameter literals unavailable: %s" % str(e).splitlines()[0])
        return None


def parse_export(text):
    """Span and URL of the directory literal of INSERT OVERWRITE [LOCAL] DIRECTORY, or None."""
    code = re.sub(r"--[^\n]*|/\*.*?\*/", lambda m: " " * len(m.group(0)), text, flags=re.S)
    m = re.match(r"\s*INSERT\s+OVERWRITE\s+(?:LOCAL\s+)?DIRECTORY\s+('([^'\\]*)'|\"([^\"\\]*)\")",
                 code, re.I)
    if not m:
        if re.match(r"\s*INSERT\s+OVERWRITE\s+(?:LOCAL\s+)?DIRECTORY\b", code, re.I):
            raise StatementFailed("BAD_REQUEST", "[INVALID_PATH] stand-in: INSERT OVERWRITE "
                                  "DIRECTORY needs an s3:// directory literal")
        return None
    url = m.group(2) if m.group(2) is not None else m.group(3)
    return m.start(1), m.end(1), url


# ALTER TABLE t {ALTER|CHANGE} [COLUMN] c TYPE type: Delta type widening.
_ALTER_TYPE = re.compile(r"\s*ALTER\s+TABLE\s+((?:`[^`]+`|\w+)(?:\s*\.\s*(?:`[^`]+`|\w+)){0,2})\s+"
                         r"(?:ALTER|CHANGE)\s+(?:COLUMN\s+)?(`[^`]+`|\w+)\s+TYPE\s+(\w+(?:\s*\(\s*\d+\s*"
                         r"(?:,\s*\d+\s*)?\))?)\s*;?\s*$", re.I | re.S)
_INT_DIGITS = {"byte": 3, "short": 5, "integer": 10, "long": 20}


def widening_allowed(old, new):
    """Whether Databricks' type widening (DBR 16.4+, Delta 4.0) takes old -> new in place."""
    o, n = old.typeName(), new.typeName()
    ints = list(_INT_DIGITS)
    if o in ints and n in ints:
        return ints.index(n) > ints.index(o)
    if o in ints and n.startswith("decimal"):
        return new.precision - new.scale >= _INT_DIGITS[o]
    if o in ("byte", "short", "integer") and n == "double":
        return True
    if o == "float" and n == "double":
        return True
    if o.startswith("decimal") and n.startswith("decimal"):
        return (new.precision, new.scale) != (old.precision, old.scale) and \
            new.scale >= old.scale and new.precision - new.scale >= old.precision - old.scale
    return o == "date" and n == "timestamp_ntz"


def widen_type(sess, text, err):
    """Delta Lake 3.3 widens only BYTE/SHORT/INT among integers; Databricks (Delta 4.0) also
    widens INT to BIGINT, DECIMAL precision and scale up, FLOAT to DOUBLE, DATE to TIMESTAMP_NTZ.
    When Delta refused such a change on a table with delta.enableTypeWidening, rewrite the
    table with the column cast (CREATE OR REPLACE … AS SELECT: a new version, older versions
    still readable in their own schema) and return True; else False (Delta's error stands)."""
    if "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP" not in str(err):
        return False
    m = _ALTER_TYPE.match(re.sub(r"--[^\n]*|/\*.*?\*/", " ", text, flags=re.S))
    if not m:
        return False
    table, column, new_type = m.group(1), m.group(2).strip("`"), m.group(3)
    detail = sess.sql("DESCRIBE DETAIL %s" % table).collect()[0]
    props = dict(detail["properties"] or {})
    if str(props.get("delta.enableTypeWidening", "")).lower() != "true":
        return False
    from pyspark.sql.types import _parse_datatype_string
    fields = sess.table(table).schema.fields
    match = [f for f in fields if f.name.lower() == column.lower()]
    new = _parse_datatype_string(new_type)
    if len(match) != 1 or not widening_allowed(match[0].dataType, new):
        return False
    q = lambda n: "`%s`" % n.replace("`", "``")
    select = ", ".join("CAST(%s AS %s) AS %s" % (q(f.name), new.simpleString(), q(f.name))
                       if f is match[0] else q(f.name) for f in fields)
    props.pop("delta.columnMapping.maxColumnId", None)
    parts = detail["partitionColumns"] or []
    sess.sql("CREATE OR REPLACE TABLE %s USING DELTA%s%s AS SELECT %s FROM %s" % (
        table, " PARTITIONED BY (%s)" % ", ".join(map(q, parts)) if parts else "",
        " TBLPROPERTIES (%s)" % ", ".join("'%s' = '%s'" % (k, str(v).replace("'", "\\'"))
                                          for k, v in sorted(props.items())) if props else "",
        select, table))
    return True


def guard_set(text):
    """SET on a SQL warehouse: documented parameters only. Returns rows, or None if not SET."""
    code = text.strip().rstrip(";").strip()
    m = re.match(r"SET\s+TIME\s+ZONE\s+(.*)$", code, re.I | re.S)
    if m:
        return [["TIMEZONE", m.group(1).strip().strip("'\"")]]
    m = re.match(r"SET(?:\s+(?:VAR|VARIABLE)\b)?(\s+(.*))?$", code, re.I | re.S)
    if not m or re.match(r"SET\s+(VAR|VARIABLE)\b", code, re.I):
        return None
    body = (m.group(2) or "").strip()
    if not body:
        return [[k, ""] for k in WAREHOUSE_PARAMS]
    key, _, value = body.partition("=")
    key = key.strip().strip("`")
    if key.upper() not in WAREHOUSE_PARAMS:
        raise StatementFailed("BAD_REQUEST", "[CONFIG_NOT_AVAILABLE] Configuration %s is not "
                              "available. SQLSTATE: 42K0I" % key, "42K0I")
    return [[key.upper(), value.strip().strip("'\"")]]


def spark_error(e):
    """(error_code, message, sql_state) the way a warehouse reports a failed statement."""
    cls = state = None
    try:
        cls = e.getErrorClass()
        state = e.getSqlState()
    except Exception:
        pass
    msg = None
    try:
        origin = e._origin
        if origin is not None and hasattr(origin, "getSimpleMessage"):
            msg = origin.getSimpleMessage()  # AnalysisException without the plan
    except Exception:
        msg = None
    msg = (msg or str(e)).strip()
    if not msg:
        msg = e.__class__.__name__
    # py4j errors carry the whole Java stack trace; keep the first line(s) like Databricks.
    if "\n\tat " in msg:
        msg = msg.split("\n\tat ")[0].strip()
    if cls and not msg.startswith("["):
        msg = "[%s] %s" % (cls, msg)
    if state and "SQLSTATE" not in msg:
        first, sep, rest = msg.partition("\n")
        msg = "%s SQLSTATE: %s%s%s" % (first.rstrip(), state, sep, rest)
    code = "BAD_REQUEST" if (cls or state) else "INTERNAL_ERROR"
    return code, msg, state


# --------------------------------------------------------------------------- types

def column_info(name, type_text, type_name, pos, precision=None, scale=None, interval=None):
    c = {"name": name, "type_text": type_text, "type_name": type_name, "position": pos}
    if precision is not None:
        c["type_precision"] = precision
        c["type_scale"] = scale
    if interval is not None:
        c["type_interval_type"] = interval
    return c


TYPE_NAMES = {"long": "LONG", "integer": "INT", "short": "SHORT", "byte": "BYTE",
              "double": "DOUBLE", "float": "FLOAT", "decimal": "DECIMAL", "string": "STRING",
              "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
              "timestamp_ntz": "TIMESTAMP_NTZ", "binary": "BINARY", "array": "ARRAY",
              "map": "MAP", "struct": "STRUCT", "void": "NULL", "null": "NULL", "char": "CHAR",
              "varchar": "STRING"}


def column_info_for(field, jfield, pos):
    dt = field.dataType
    tn = dt.typeName()
    type_text = jfield.dataType().sql()
    if tn == "decimal":
        return column_info(field.name, type_text, "DECIMAL", pos, dt.precision, dt.scale)
    if "interval" in tn:
        m = re.match(r"INTERVAL\s+(.*)$", type_text)
        return column_info(field.name, type_text, "INTERVAL", pos,
                           interval=m.group(1) if m else None)
    return column_info(field.name, type_text, TYPE_NAMES.get(tn, "USER_DEFINED_TYPE"), pos)


# --------------------------------------------------------------------------- HTTP

class App:
    def __init__(self, engine, tokens_path, stats, injections):
        self.engine = engine
        self.tokens_path = tokens_path
        self.stats = stats
        self.injections = injections
        self.oauth = {}  # access token -> expiry
        self.oauth_lock = threading.Lock()
        self.link_key = secrets.token_bytes(32)

    # -- bootstrap file

    def tokens(self):
        try:
            with open(self.tokens_path) as f:
                t = json.load(f)
        except FileNotFoundError:
            t = {}
        return {"pats": list(t.get("pats", [])), "oauth_clients": dict(t.get("oauth_clients", {})),
                "warehouses": list(t.get("warehouses", [])),
                "oauth_ttl_seconds": int(t.get("oauth_ttl_seconds", 3600)),
                "workspace_id": str(t.get("workspace_id", WORKSPACE_ID)),
                "account_id": str(t.get("account_id", ACCOUNT_ID))}

    # -- WSGI

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response
        req = Request(environ)
        try:
            resp = self.dispatch(req)
        except ApiError as e:
            resp = json_response({"error_code": e.code, "message": e.message}, e.status)
            for k, v in e.headers.items():
                resp.headers[k] = v
        except Exception as e:  # a bug in the stand-in: say so, never hang the client
            log("internal error on %s %s: %r" % (req.method, req.path, e))
            resp = json_response({"error_code": "INTERNAL_ERROR", "message": "stand-in: %s" % e}, 500)
        self.stats.bump("responses", str(resp.status_code))
        log("%s %s -> %d" % (req.method, req.path, resp.status_code))
        return resp(environ, start_response)

    def dispatch(self, req):
        path, method = req.path, req.method
        if path.startswith("/_stack/"):
            return self.admin(req)
        route = route_name(method, path)
        self.stats.bump("requests", route)
        inj = self.injections.take_http(method, path)
        if inj:
            return injected_response(inj)
        if path.startswith("/_presigned/"):
            return self.presigned(req)
        if path == "/oidc/v1/token" and method == "POST":
            return self.oauth_token(req)
        if path == "/.well-known/databricks-config" and method == "GET":
            # Host metadata (unauthenticated): where this host's OIDC lives and which
            # workspace/account it is.  The SDKs append /.well-known/oauth-authorization-server
            # to oidc_endpoint to find the token endpoint.
            t = self.tokens()
            return json_response({"oidc_endpoint": req.host_url.rstrip("/") + "/oidc",
                                  "account_id": t["account_id"],
                                  "workspace_id": t["workspace_id"], "cloud": "AWS"})
        if path == "/oidc/.well-known/oauth-authorization-server" and method == "GET":
            base = req.host_url.rstrip("/")
            return json_response({"issuer": base + "/oidc",
                                  "authorization_endpoint": base + "/oidc/v1/authorize",
                                  "token_endpoint": base + "/oidc/v1/token",
                                  "grant_types_supported": ["client_credentials"],
                                  "token_endpoint_auth_methods_supported":
                                      ["client_secret_basic", "client_secret_post"],
                                  "scopes_supported": ["all-apis"]})
        if path.startswith("/api/"):
            self.authenticate(req)
            return self.api(req)
        raise ApiError(404, "ENDPOINT_NOT_FOUND", "No API found for '%s %s'" % (method, path))

    def authenticate(self, req):
        h = req.headers.get("Authorization", "")
        m = re.match(r"Bearer\s+(\S+)\s*$", h)
        if not m:
            self.stats.bump("auth_failures")
            raise ApiError(401, "UNAUTHENTICATED", "Credential was not sent or was of an "
                           "unsupported type for this API.")
        tok = m.group(1)
        if tok in self.tokens()["pats"]:
            return
        with self.oauth_lock:
            exp = self.oauth.get(tok)
        if exp is not None and exp > time.time():
            return
        self.stats.bump("auth_failures")
        if exp is not None:
            raise ApiError(403, "PERMISSION_DENIED", "Invalid access token. (expired)")
        raise ApiError(403, "PERMISSION_DENIED", "Invalid access token.")

    def oauth_token(self, req):
        form = req.form
        cid = csec = None
        h = req.headers.get("Authorization", "")
        if h.startswith("Basic "):
            try:
                cid, _, csec = base64.b64decode(h[6:].strip()).decode("utf-8").partition(":")
            except Exception:
                return oauth_error(400, "invalid_request", "malformed Basic credentials")
        elif form.get("client_id"):
            cid, csec = form.get("client_id"), form.get("client_secret")
        if form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type",
                               "grant_type must be client_credentials")
        clients = self.tokens()["oauth_clients"]
        if not cid or cid not in clients or not hmac.compare_digest(str(clients[cid]), csec or ""):
            self.stats.bump("auth_failures")
            return oauth_error(401, "invalid_client", "Client authentication failed")
        scope = form.get("scope") or "all-apis"
        if scope.split() != ["all-apis"] and "all-apis" not in scope.split():
            return oauth_error(400, "invalid_scope", "scope must include all-apis")
        ttl = self.tokens()["oauth_ttl_seconds"]
        tok = "eyJ" + secrets.token_urlsafe(48)
        with self.oauth_lock:
            self.oauth[tok] = time.time() + ttl
        self.stats.bump("oauth_tokens_issued")
        return json_response({"access_token": tok, "token_type": "Bearer", "expires_in": ttl,
                              "scope": "all-apis"})

    # -- the API

    def api(self, req):
        path, method = req.path.rstrip("/"), req.method
        if path == "/api/2.0/sql/statements" and method == "POST":
            return self.post_statement(req)
        m = re.match(r"/api/2\.0/sql/statements/([^/]+)(/cancel|/result/chunks/([^/]+))?$", path)
        if m:
            st = self.engine.get(m.group(1))
            if st is None:
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                               "Statement %s does not exist." % m.group(1))
            if m.group(2) == "/cancel" and method == "POST":
                self.engine.cancel(st)
                return json_response({})
            if m.group(2) is None and method == "GET":
                return json_response(self.statement_json(st, req))
            if m.group(2) is None and method == "DELETE":
                self.close(st)
                return json_response({})
            if m.group(3) is not None and method == "GET":
                return json_response(self.chunk_json(st, m.group(3), req))
        m = re.match(r"/api/2\.0/sql/warehouses/([^/]+)$", path)
        if m and method == "GET":
            wid = m.group(1)
            if wid not in self.tokens()["warehouses"]:
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                               "Warehouse %s does not exist." % wid)
            return json_response({"id": wid, "name": "stand-in " + wid, "state": "RUNNING",
                                  "cluster_size": "2X-Small", "num_clusters": 1,
                                  "warehouse_type": "PRO", "enable_serverless_compute": True})
        raise ApiError(404, "ENDPOINT_NOT_FOUND", "No API found for '%s %s'" % (method, req.path))

    def post_statement(self, req):
        body = req.get_data(as_text=True)
        try:
            r = json.loads(body) if body.strip() else None
        except ValueError:
            r = None
        if not isinstance(r, dict):
            raise ApiError(400, "MALFORMED_REQUEST",
                           "Invalid JSON given in the body of the request - expected a map")
        v = validate_request(r)
        if v["warehouse_id"] not in self.tokens()["warehouses"]:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                           "Warehouse %s does not exist." % v["warehouse_id"])
        st = self.engine.submit(v)
        if v["wait"] > 0 and not st.done.wait(v["wait"]):
            if v["on_wait_timeout"] == "CANCEL":
                st.cancel_requested.set()
                self.engine.spark.sparkContext.cancelJobGroup(st.id)
                st.finish("CANCELED")
        return json_response(self.statement_json(st, req))

    def close(self, st):
        self.engine.cancel(st) if st.state in ("PENDING", "RUNNING") else None
        with st.lock:
            if st.state == "SUCCEEDED" or st.state in ("PENDING", "RUNNING"):
                st.state = "CLOSED" if st.state == "SUCCEEDED" else "CANCELED"
            st.chunks = []
        st.done.set()

    def statement_json(self, st, req):
        with st.lock:
            state, error = st.state, st.error
        out = {"statement_id": st.id, "status": {"state": state}}
        if state == "FAILED" and error:
            out["status"]["error"] = {"error_code": error[0], "message": error[1]}
            if error[2]:
                out["status"]["sql_state"] = error[2]
        if state == "SUCCEEDED":
            out["manifest"] = self.manifest(st)
            if st.chunks:
                out["result"] = self.chunk_result(st, 0, req)
        return out

    def manifest(self, st):
        fmt = st.req["format"]
        m = {"format": fmt, "schema": {"column_count": len(st.columns)}}
        if st.columns:
            m["schema"]["columns"] = st.columns
        m["total_chunk_count"] = len(st.chunks)
        if st.chunks:
            m["chunks"] = [{"chunk_index": i, "row_offset": off, "row_count": len(rows),
                            "byte_count": b} for i, (off, rows, b) in enumerate(st.chunks)]
        m["total_row_count"] = st.total_rows
        if st.req["disposition"] == "EXTERNAL_LINKS":
            m["total_byte_count"] = st.total_bytes
        m["truncated"] = st.truncated
        return m

    def chunk_json(self, st, index, req):
        with st.lock:
            state = st.state
        if state == "CLOSED":
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Statement %s is closed; its result "
                           "is no longer available." % st.id)
        if state != "SUCCEEDED":
            raise ApiError(400, "INVALID_STATE", "Statement %s is in state %s; results are not "
                           "available." % (st.id, state))
        try:
            i = int(index)
        except ValueError:
            i = -1
        if i < 0 or i >= len(st.chunks):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid chunk_index %s; the result has "
                           "%d chunks." % (index, len(st.chunks)))
        return self.chunk_result(st, i, req)

    def chunk_result(self, st, i, req):
        off, rows, b = st.chunks[i]
        nxt = {}
        if i + 1 < len(st.chunks):
            nxt = {"next_chunk_index": i + 1,
                   "next_chunk_internal_link": "/api/2.0/sql/statements/%s/result/chunks/%d"
                   "?row_offset=%d" % (st.id, i + 1, st.chunks[i + 1][0])}
        if st.req["disposition"] == "INLINE":
            r = {"chunk_index": i, "row_offset": off, "row_count": len(rows)}
            if rows:
                r["data_array"] = rows
            r.update(nxt)
            return r
        exp = int(time.time()) + LINK_TTL
        link = dict({"chunk_index": i, "row_offset": off, "row_count": len(rows), "byte_count": b,
                     "external_link": self.presign(req, st.id, i, exp),
                     "expiration": now_iso(exp)}, **nxt)
        return {"external_links": [link]}

    # -- presigned chunk URLs (stand-ins for presigned cloud storage URLs)

    def sign(self, sid, i, exp):
        return hmac.new(self.link_key, ("%s/%d/%d" % (sid, i, exp)).encode(),
                        hashlib.sha256).hexdigest()

    def presign(self, req, sid, i, exp):
        date = datetime.datetime.fromtimestamp(exp - LINK_TTL, datetime.timezone.utc)
        return ("%s_presigned/results/%s/%d?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=%s"
                "&X-Amz-Expires=%d&X-Amz-SignedHeaders=host&X-Amz-Signature=%s&x-exp=%d"
                % (req.host_url, sid, i, date.strftime("%Y%m%dT%H%M%SZ"), LINK_TTL,
                   self.sign(sid, i, exp), exp))

    def presigned(self, req):
        m = re.match(r"/_presigned/results/([^/]+)/(\d+)$", req.path)
        q = parse_qs(req.query_string.decode("latin-1"))
        if req.method not in ("GET", "HEAD") or not m:
            return s3_error(405 if m else 404, "MethodNotAllowed" if m else "NoSuchKey",
                            "The specified method is not allowed against this resource."
                            if m else "The specified key does not exist.")
        if "Authorization" in req.headers:
            self.stats.bump("presigned_rejected")
            return s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the "
                            "X-Amz-Algorithm query parameter, Signature query string parameter or "
                            "the Authorization header should be specified")
        sid, i = m.group(1), int(m.group(2))
        try:
            exp = int(q["x-exp"][0])
            sig = q["X-Amz-Signature"][0]
        except (KeyError, ValueError, IndexError):
            self.stats.bump("presigned_rejected")
            return s3_error(403, "AccessDenied", "Query-string authentication requires the "
                            "Signature, Expires and AWSAccessKeyId parameters")
        if not hmac.compare_digest(sig, self.sign(sid, i, exp)):
            self.stats.bump("presigned_rejected")
            return s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                            "does not match the signature you provided.")
        if exp < time.time():
            self.stats.bump("presigned_rejected")
            return s3_error(403, "AccessDenied", "Request has expired")
        st = self.engine.get(sid)
        if st is None or st.state != "SUCCEEDED" or i >= len(st.chunks):
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        self.stats.bump("presigned_ok")
        from werkzeug.wrappers import Response
        body = json.dumps(st.chunks[i][1], ensure_ascii=False, separators=(",", ":"))
        return Response(body.encode("utf-8"), 200, content_type="application/json")

    # -- admin

    def admin(self, req):
        path, method = req.path, req.method
        if path == "/_stack/inject" and method == "POST":
            try:
                self.injections.add(json.loads(req.get_data(as_text=True)))
            except (ValueError, TypeError, KeyError) as e:
                return json_response({"error_code": "INVALID_PARAMETER_VALUE", "message": str(e)}, 400)
            return json_response(self.injections.describe())
        if path == "/_stack/inject" and method == "GET":
            return json_response(self.injections.describe())
        if path == "/_stack/stats" and method == "GET":
            s = self.stats.snapshot()
            with self.engine.lock:
                states = {}
                for st in self.engine.statements.values():
                    states[st.state] = states.get(st.state, 0) + 1
            s["current_states"] = states
            return json_response(s)
        if path == "/_stack/health" and method == "GET":
            return json_response({"ok": True})
        return json_response({"error_code": "ENDPOINT_NOT_FOUND", "message": path}, 404)


def route_name(method, path):
    p = re.sub(r"/api/2\.0/sql/statements/[^/]+", "/api/2.0/sql/statements/{id}", path)
    p = re.sub(r"/chunks/[^/]+$", "/chunks/{n}", p)
    p = re.sub(r"/_presigned/results/.*$", "/_presigned/results/{id}/{n}", p)
    p = re.sub(r"/warehouses/[^/]+", "/warehouses/{id}", p)
    return "%s %s" % (method, p)


def validate_request(r):
    def bad(msg):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", msg)
    out = {}
    stmt = r.get("statement")
    if not isinstance(stmt, str) or not stmt.strip():
        bad("statement is required")
    if len(stmt.encode("utf-8")) > 16 * 1024 * 1024:
        bad("statement text exceeds 16 MiB")
    wid = r.get("warehouse_id")
    if not isinstance(wid, str) or not wid:
        bad("warehouse_id is required")
    wt = r.get("wait_timeout", "10s")
    m = re.match(r"^(\d+)s$", wt) if isinstance(wt, str) else None
    if not m or not (int(m.group(1)) == 0 or 5 <= int(m.group(1)) <= 50):
        bad("wait_timeout must be 0s or between 5s and 50s, got %r" % (wt,))
    owt = r.get("on_wait_timeout", "CONTINUE")
    if owt not in ("CONTINUE", "CANCEL"):
        bad("on_wait_timeout must be CONTINUE or CANCEL, got %r" % (owt,))
    disp = r.get("disposition", "INLINE")
    if disp not in ("INLINE", "EXTERNAL_LINKS"):
        bad("disposition must be INLINE or EXTERNAL_LINKS, got %r" % (disp,))
    fmt = r.get("format", "JSON_ARRAY")
    if fmt not in ("JSON_ARRAY", "ARROW_STREAM", "CSV"):
        bad("format must be JSON_ARRAY, ARROW_STREAM or CSV, got %r" % (fmt,))
    if fmt != "JSON_ARRAY" and disp == "INLINE":
        bad("%s format is only supported with EXTERNAL_LINKS disposition" % fmt)
    if fmt != "JSON_ARRAY":
        raise ApiError(501, "NOT_IMPLEMENTED", "stand-in: %s results are not emulated" % fmt)
    for k in ("byte_limit", "row_limit"):
        v = r.get(k)
        if v is None:
            continue
        try:
            v = int(v)
        except (TypeError, ValueError):
            bad("%s must be an integer" % k)
        if v <= 0:
            bad("%s must be positive" % k)
        out[k] = v
    params = r.get("parameters") or []
    if not isinstance(params, list):
        bad("parameters must be an array")
    clean = []
    for p in params:
        if not isinstance(p, dict) or not isinstance(p.get("name"), str) \
                or not re.match(r"^[A-Za-z_]\w*$", p["name"]):
            bad("each parameter needs a name made of letters, digits and underscores")
        val = p.get("value")
        if val is not None and not isinstance(val, str):
            bad("parameter %s: value must be a string" % p["name"])
        t = p.get("type") or "STRING"
        if not isinstance(t, str) or not re.match(
                r"^[A-Za-z][A-Za-z_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$", t.strip()):
            bad("parameter %s: invalid type %r" % (p["name"], t))
        if re.match(r"^\s*(ARRAY|MAP|STRUCT)\b", t, re.I):
            bad("parameter %s: complex types are not supported" % p["name"])
        clean.append({"name": p["name"], "value": val, "type": t.strip()})
    for k in ("catalog", "schema"):
        v = r.get(k)
        if v is not None and not isinstance(v, str):
            bad("%s must be a string" % k)
        if v:
            out[k] = v
    out.update({"statement": stmt, "warehouse_id": wid, "wait": int(m.group(1)),
                "on_wait_timeout": owt, "disposition": disp, "format": fmt, "parameters": clean})
    return out


def json_response(obj, status=200):
    from werkzeug.wrappers import Response
    return Response(json.dumps(obj, ensure_ascii=False), status,
                    content_type="application/json")


def oauth_error(status, code, desc):
    return json_response({"error": code, "error_description": desc}, status)


def s3_error(status, code, message):
    from werkzeug.wrappers import Response
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
           '<RequestId>%s</RequestId></Error>' % (code, message, uuid.uuid4().hex[:16].upper()))
    return Response(xml, status, content_type="application/xml")


def injected_response(inj):
    status = inj["status"]
    default = {429: ("RESOURCE_EXHAUSTED", "Too many requests. Please try again later."),
               503: ("TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable. "
                     "Please try again later.")}.get(status, ("INTERNAL_ERROR", "Injected error"))
    resp = json_response({"error_code": inj.get("error_code", default[0]),
                          "message": inj.get("message", default[1])}, status)
    if inj.get("retry_after") is not None:
        resp.headers["Retry-After"] = str(inj["retry_after"])
    return resp


def load_inject(spec):
    if spec.startswith("@"):
        with open(spec[1:]) as f:
            return json.load(f)
    return json.loads(spec)


def main():
    ap = argparse.ArgumentParser(description="Databricks SQL Statement Execution API stand-in")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--state", required=True, help="state directory (tables, metastore, tokens.json)")
    ap.add_argument("--chunk-rows", type=int, default=10000)
    ap.add_argument("--inject", action="append", default=[],
                    help="JSON injection spec (as POST /_stack/inject) or @file; repeatable")
    ap.add_argument("--parquet-timestamp", default="INT96",
                    choices=("INT96", "TIMESTAMP_MICROS", "TIMESTAMP_MILLIS"),
                    help="physical type the warehouse writes TIMESTAMP columns as (default INT96)")
    ap.add_argument("--max-concurrency", type=int, default=2)
    a = ap.parse_args()
    if a.chunk_rows < 1:
        ap.error("--chunk-rows must be at least 1")
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the stand-in listens on loopback only")
    state = os.path.abspath(a.state)
    os.makedirs(state, exist_ok=True)
    tokens_path = os.path.join(state, "tokens.json")
    try:
        with open(tokens_path) as f:
            extra = json.load(f).get("catalogs", [])
    except FileNotFoundError:
        extra = []
    aliases = tuple({c.lower() for c in list(sparkenv.DEFAULT_CATALOG_ALIASES) + extra})

    stats = Stats()
    injections = Injections(stats)
    for spec in a.inject:
        injections.add(load_inject(spec))

    t0 = time.time()
    spark = sparkenv.spark_session(state, timestamp_type=a.parquet_timestamp)
    spark.sql("SHOW SCHEMAS").collect()  # boots the metastore before the port opens
    # Load the Delta code paths once, so the first real statement is not 15 s slow.
    warm = os.path.join(state, "tmp", "warmup.delta")
    shutil.rmtree(warm, ignore_errors=True)
    spark.range(1).write.format("delta").save(warm)
    spark.sql("DESCRIBE DETAIL delta.`%s`" % warm).collect()
    spark.sql("SELECT count(*) FROM delta.`%s` WHERE id = 0" % warm).collect()
    shutil.rmtree(warm, ignore_errors=True)
    log("spark ready in %.1fs" % (time.time() - t0))

    engine = Engine(spark, state, a.chunk_rows, a.max_concurrency, aliases, stats, injections)
    app = App(engine, tokens_path, stats, injections)

    from werkzeug.serving import make_server, WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_request(self, *args, **kw):  # App logs method + path (never the query)
            pass

    srv = make_server(a.host, a.port, app, threaded=True, request_handler=Handler)

    def stop(_sig, _frm):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("listening on http://%s:%d (state %s)" % (a.host, a.port, state))
    try:
        srv.serve_forever()
    finally:
        try:
            spark.stop()
        except Exception:
            pass
        log("stopped")


if __name__ == "__main__":
    main()
