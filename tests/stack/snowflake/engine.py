"""SQL execution for the Snowflake SQL API stand-in: DuckDB underneath, sqlglot for the dialect.

A Session is one SQL API request: its own DuckDB connection (so BEGIN ... COMMIT span the
statements of that request only), current database/schema and parameters.
Results are encoded to the jsonv2 wire form and spilled to partition files as they are
fetched, so a large result never sits in memory.
"""
import calendar
import datetime
import decimal
import gzip
import json
import logging
import os
import re
import threading
import time

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

EPOCH_DATE = datetime.date(1970, 1, 1)
logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "unsupported property" chatter
DEFAULT_CATALOG = "_stack"


class SqlError(Exception):
    """A statement failed the way Snowflake reports it (HTTP 422 QueryFailureStatus)."""

    def __init__(self, code, sqlstate, message):
        super().__init__(message)
        self.code = code
        self.sqlstate = sqlstate
        self.message = message


class Canceled(Exception):
    pass


def compilation_error(msg):
    return SqlError("001003", "42000", "SQL compilation error:\n" + msg)


# ---------------------------------------------------------------- statement splitting

def split_statements(text):
    """Split on ';' outside quotes, $$ literals and comments. Empty statements dropped."""
    out, cur, i, n = [], [], 0, len(text)
    while i < n:
        c = text[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if text[j] == "\\" and c == "'":
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            cur.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("$$", i):
            j = text.find("$$", i + 2)
            j = n if j < 0 else j + 2
            cur.append(text[i:j])
            i = j
        elif text.startswith("--", i) or text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            cur.append(text[i:j])
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            cur.append(text[i:j])
            i = j
        elif c == ";":
            out.append("".join(cur))
            cur = []
            i += 1
        else:
            cur.append(c)
            i += 1
    out.append("".join(cur))
    return [s.strip() for s in out if strip_comments(s).strip()]


def strip_comments(s):
    """Remove -- // and /* */ comments outside quotes and $$ literals."""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n and s[j] != c:
                j += 2 if (s[j] == "\\" and c == "'") else 1
            out.append(s[i:j + 1])
            i = j + 1
        elif s.startswith("$$", i):
            j = s.find("$$", i + 2)
            j = n if j < 0 else j + 2
            out.append(s[i:j])
            i = j
        elif s.startswith("--", i) or s.startswith("//", i):
            j = s.find("\n", i)
            i = n if j < 0 else j
        elif s.startswith("/*", i):
            j = s.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- types and encoding

def coltype(sftype, precision=None, scale=None):
    t = {"type": sftype, "precision": None, "scale": None, "length": None, "byteLength": None,
         "nullable": True, "collation": None}
    if sftype == "fixed":
        t["precision"], t["scale"] = precision if precision is not None else 38, scale or 0
    elif sftype == "text":
        t["length"] = t["byteLength"] = 16777216
    elif sftype == "binary":
        t["length"] = t["byteLength"] = 8388608
    elif sftype in ("time", "timestamp_ntz", "timestamp_ltz", "timestamp_tz"):
        t["precision"], t["scale"] = 0, 9
    return t


def sftype_of_duck(duck):
    s = str(duck).upper()
    if s == "BOOLEAN":
        return coltype("boolean")
    if s in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "UHUGEINT"):
        return coltype("fixed", 38, 0)
    m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", s)
    if m:
        return coltype("fixed", int(m.group(1)), int(m.group(2)))
    if s in ("FLOAT", "DOUBLE", "REAL"):
        return coltype("real")
    if s == "DATE":
        return coltype("date")
    if s.startswith("TIME") and not s.startswith("TIMESTAMP"):
        return coltype("time")
    if s == "TIMESTAMP WITH TIME ZONE":
        return coltype("timestamp_ltz")
    if s.startswith("TIMESTAMP"):
        return coltype("timestamp_ntz")
    if s == "BLOB":
        return coltype("binary")
    if s == "JSON":
        return coltype("variant")
    if s.startswith("STRUCT") or s.startswith("MAP"):
        return coltype("object")
    if s.endswith("]"):
        return coltype("array")
    return coltype("text")


def _secs(total_us_or_ns, digits):
    """Epoch-ish integer in 10^-digits seconds -> 'S.FFFFFFFFF' with exact sign handling."""
    unit = 10 ** digits
    sign = "-" if total_us_or_ns < 0 else ""
    a = abs(total_us_or_ns)
    frac = (a % unit) * (10 ** (9 - digits))
    return "%s%d.%09d" % (sign, a // unit, frac)


def _json_default(o):
    if isinstance(o, decimal.Decimal):
        return float(o) if o != o.to_integral_value() else int(o)
    if isinstance(o, (bytes, bytearray)):
        return o.hex().upper()
    return str(o)


DEFAULT_OUTPUT_FORMATS = {"date": "YYYY-MM-DD", "time": "HH24:MI:SS",
                          "timestamp": "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM"}


def snowflake_strftime(fmt, v):
    """Format a date/time value with a Snowflake format string (YYYY, MM, DD, HH24, MI, SS, FFn, TZH:TZM...)."""
    from sqlglot.dialects.snowflake import Snowflake
    from sqlglot.time import format_time
    out = []
    for i, part in enumerate(re.split(r"(FF\d?|TZH|TZM)", fmt)):
        if i % 2 == 1:
            if part.startswith("FF"):
                digits = int(part[2:] or 9)
                out.append(("%06d" % getattr(v, "microsecond", 0) + "000")[:digits])
            else:
                off = v.utcoffset() if getattr(v, "tzinfo", None) else datetime.timedelta(0)
                mins = int(off.total_seconds() // 60)
                out.append(("%+03d" % (mins // 60)) if part == "TZH" else "%02d" % (abs(mins) % 60))
        elif part:
            py = format_time(part, Snowflake.TIME_MAPPING, Snowflake.TIME_TRIE)
            out.append(v.strftime(py.replace('"', "")))
    return "".join(out)


def output_encoder(sftype, params):
    """*_OUTPUT_FORMAT parameters switch a type from its epoch form to formatted text (research §1.3)."""
    t = sftype["type"]
    p = {k.upper(): str(v) for k, v in (params or {}).items()}
    fmt = None
    if t == "date":
        fmt = p.get("DATE_OUTPUT_FORMAT")
    elif t == "time":
        fmt = p.get("TIME_OUTPUT_FORMAT")
    elif t.startswith("timestamp"):
        fmt = p.get(t.upper() + "_OUTPUT_FORMAT") or p.get("TIMESTAMP_OUTPUT_FORMAT")
    elif t == "binary" and p.get("BINARY_OUTPUT_FORMAT", "HEX").upper() == "BASE64":
        import base64
        return lambda v: base64.b64encode(bytes(v)).decode()
    if not fmt:
        return None
    if fmt.upper() == "AUTO":
        fmt = DEFAULT_OUTPUT_FORMATS["timestamp" if t.startswith("timestamp") else t]
    if t == "timestamp_ntz":
        fmt = re.sub(r"\s*TZH:?TZM", "", fmt)
    return lambda v: snowflake_strftime(fmt, v)


def encoder(sftype, params=None):
    if params:
        enc = output_encoder(sftype, params)
        if enc is not None:
            return enc
    t = sftype["type"]
    if t == "fixed":
        def enc(v):
            if isinstance(v, decimal.Decimal):
                return format(v, "f")
            if isinstance(v, bool):
                return "1" if v else "0"
            return str(int(v)) if isinstance(v, int) else format(decimal.Decimal(str(v)), "f")
        return enc
    if t == "real":
        def enc(v):
            v = float(v)
            if v != v:
                return "NaN"
            if v in (float("inf"), float("-inf")):
                return "inf" if v > 0 else "-inf"
            return repr(v)
        return enc
    if t == "boolean":
        return lambda v: "true" if v else "false"
    if t == "date":
        return lambda v: str((v - EPOCH_DATE).days)
    if t == "time":
        def enc(v):
            if isinstance(v, datetime.timedelta):
                return _secs(v.days * 86400000000 + v.seconds * 1000000 + v.microseconds, 6)
            return _secs(((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond, 6)
        return enc
    if t in ("timestamp_ntz", "timestamp_ltz", "timestamp_tz"):
        def enc(v):
            if isinstance(v, str):
                return v
            if v.tzinfo is not None:
                v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            us = calendar.timegm(v.timetuple()) * 1000000 + v.microsecond
            s = _secs(us, 6)
            return s + " 1440" if t == "timestamp_tz" else s
        return enc
    if t == "binary":
        return lambda v: bytes(v).hex().upper()
    if t in ("variant", "object", "array"):
        return lambda v: v if isinstance(v, str) else json.dumps(v, default=_json_default)
    return lambda v: v if isinstance(v, str) else str(v)


# ---------------------------------------------------------------- results

class Result:
    """Columns plus a source of row batches (Python values)."""

    def __init__(self, names, types, batches, stats=None):
        self.names = names
        self.types = types
        self.batches = batches
        self.stats = stats


def status_result(message, name="status"):
    return Result([name], [coltype("text")], iter([[(message,)]]))


def rows_result(cols, rows, stats=None):
    """cols: [(name, coltype)], rows: list of tuples."""
    return Result([c[0] for c in cols], [c[1] for c in cols], iter([rows]), stats)


class Spill:
    """Writes encoded partitions of one statement's result under rdir."""

    def __init__(self, rdir, partition_rows, partition_bytes):
        self.rdir = rdir
        self.partition_rows = partition_rows
        self.partition_bytes = partition_bytes
        self.parts = []
        os.makedirs(rdir, exist_ok=True)

    def write(self, result, nullable, rows_cap, cancel_event, params=None):
        encs = [encoder(t, params) for t in result.types]
        null = "null" if not nullable else None
        buf, size, total = [], 2, 0
        for batch in result.batches:
            if cancel_event is not None and cancel_event.is_set():
                raise Canceled()
            for row in batch:
                if rows_cap and total >= rows_cap:
                    break
                cells = [null if v is None else e(v) for e, v in zip(encs, row)]
                s = json.dumps(cells, ensure_ascii=False, separators=(",", ":"))
                buf.append(s)
                size += len(s) + 1
                total += 1
                if (self.partition_rows and len(buf) >= self.partition_rows) or \
                        (not self.partition_rows and size >= self.partition_bytes):
                    self._flush(buf, size)
                    buf, size = [], 2
        if buf or not self.parts:
            self._flush(buf, size)
        return total

    def _flush(self, buf, size):
        n = len(self.parts)
        body = ("[" + ",".join(buf) + "]").encode()
        if n == 0:
            with open(os.path.join(self.rdir, "p0.json"), "wb") as f:
                f.write(body)
            info = {"rowCount": len(buf), "uncompressedSize": len(body)}
        else:
            gz = gzip.compress(body, compresslevel=1)
            with open(os.path.join(self.rdir, "p%d.json.gz" % n), "wb") as f:
                f.write(gz)
            info = {"rowCount": len(buf), "uncompressedSize": len(body), "compressedSize": len(gz)}
        self.parts.append(info)


def read_partition(rdir, n):
    """Returns (bytes, gzipped?)"""
    if n == 0:
        with open(os.path.join(rdir, "p0.json"), "rb") as f:
            return f.read(), False
    with open(os.path.join(rdir, "p%d.json.gz" % n), "rb") as f:
        return f.read(), True


# ---------------------------------------------------------------- SQL translation

INT_TYPES = {exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
             exp.DataType.Type.TINYINT}
SEMI_TYPES = {"VARIANT", "OBJECT", "ARRAY"}
TIME_TYPES = {exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ,
              exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.TIME}

DDL = (exp.Create, exp.Drop, exp.Alter)


def _fix_types(node):
    if isinstance(node, exp.ToChar) and node.args.get("format") is not None:
        # sqlglot drops TO_CHAR's format for DuckDB: translate date/time formats, refuse the rest
        from sqlglot.dialects.snowflake import Snowflake
        from sqlglot.time import format_time
        f = node.args["format"]
        if not isinstance(f, exp.Literal):
            raise compilation_error("TO_CHAR with a non-literal format is not supported by the stand-in.")
        conv = format_time(f.name, Snowflake.TIME_MAPPING, Snowflake.TIME_TRIE)
        if "%" not in conv:
            raise compilation_error("TO_CHAR with numeric format '%s' is not supported by the stand-in." % f.name)
        return exp.Anonymous(this="STRFTIME", expressions=[node.this, exp.Literal.string(conv)])
    if isinstance(node, exp.ToNumber) and isinstance(node.args.get("format"), exp.Literal):
        # sqlglot would cast through DOUBLE (lossy) or fail on hex: do what the format says
        fmt = node.args["format"].name
        p = node.args.get("precision")
        sc = node.args.get("scale")
        target = exp.DataType.build("DECIMAL(%s, %s)" % (p.name if p is not None else 38,
                                                          sc.name if sc is not None else 0))
        val = node.this
        if re.fullmatch(r"[Xx]+", fmt):
            if len(fmt) > 16:
                raise compilation_error("TO_NUMBER with a hex format longer than 16 digits is not supported by the stand-in.")
            hexed = exp.DPipe(this=exp.Literal.string("0x"), expression=val)
            return exp.Cast(this=exp.Cast(this=hexed, to=exp.DataType.build("UBIGINT", dialect="duckdb")), to=target)
        if re.fullmatch(r"[90.,DGSsMI$]+", fmt):
            if "," in fmt or "G" in fmt:
                val = exp.Anonymous(this="REPLACE", expressions=[val, exp.Literal.string(","), exp.Literal.string("")])
            return exp.Cast(this=val, to=target)
        raise compilation_error("TO_NUMBER format '%s' is not supported by the stand-in." % fmt)
    if isinstance(node, exp.DataType):
        name = node.this.name if hasattr(node.this, "name") else str(node.this)
        if node.this in INT_TYPES:
            return exp.DataType.build("DECIMAL(38, 0)")
        if name in SEMI_TYPES or node.this in (exp.DataType.Type.VARIANT, exp.DataType.Type.OBJECT) \
                or (node.this == exp.DataType.Type.ARRAY and not node.expressions):
            return exp.DataType.build("JSON", dialect="duckdb")
        if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
            return exp.DataType.build("DECIMAL(38, 0)")
        if node.expressions and node.this in (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY):
            return exp.DataType(this=node.this)  # DuckDB's BLOB has no length (kept for DESC: emulate.py)
        if node.expressions and node.this in TIME_TYPES:
            # DuckDB's times are microsecond types without a precision parameter
            return exp.DataType(this=node.this)
    return node


def projection_names(tree):
    """Snowflake names an unaliased expression column by its text, upper-cased. DuckDB names it
    differently (and aliasing in SQL confuses its binder), so the names are fixed afterwards."""
    sel = tree
    while isinstance(sel, exp.Union):
        sel = sel.this
    if not isinstance(sel, exp.Select) or any(isinstance(p, exp.Star) or p.find(exp.Star) is p
                                              or (isinstance(p, exp.Column) and p.is_star)
                                              for p in sel.expressions):
        return None
    out = []
    for p in sel.expressions:
        if isinstance(p, (exp.Alias, exp.Column)):
            out.append(None)
        else:
            out.append(p.sql(dialect="snowflake").upper())
    return out


def _space_placeholders(sql):
    """sqlglot 30 cannot tokenize '?::TYPE'; '? ::TYPE' is the same SQL."""
    out, q = [], None
    for i, ch in enumerate(sql):
        out.append(ch)
        if q:
            if ch == q:
                q = None
        elif ch in ("'", '"'):
            q = ch
        elif ch == "?" and sql[i + 1:i + 2] == ":":
            out.append(" ")
    return "".join(out)


def _context_functions(context):
    """CURRENT_USER() and friends answer from the request's session."""
    table = {}
    for name, value in (context or {}).items():
        cls = getattr(exp, name, None)
        if cls is not None:
            table[cls] = value

    def fix(node):
        for cls, value in table.items():
            if type(node) is cls:
                return exp.Null() if value is None else exp.Literal.string(value)
        return node
    return fix


def translate(sql, context=None):
    """Snowflake SQL -> (DuckDB SQL, parsed expression)."""
    if "?" in sql:
        sql = _space_placeholders(sql)
    try:
        tree = sqlglot.parse_one(sql, read="snowflake")
    except sqlglot.errors.ParseError as e:
        err = e.errors[0] if e.errors else {}
        tok = (err.get("highlight") or "").strip() or "?"
        raise compilation_error("syntax error line %s at position %s unexpected '%s'."
                                % (err.get("line", 1), max(0, (err.get("col", 1) or 1) - 1), tok))
    if tree is None:
        raise compilation_error("empty SQL statement.")
    tree = normalize_identifiers(tree, dialect="snowflake")
    names = projection_names(tree)
    tree = tree.transform(_fix_types)
    if context:
        tree = tree.transform(_context_functions(context))
    tree.meta["sf_names"] = names
    try:
        out = tree.sql(dialect="duckdb", identify=True)
    except Exception as e:
        raise compilation_error("unsupported feature: %s" % e)
    return out, tree


NAME_RE = re.compile(r"(?:Table|View|Schema|Catalog|Sequence|Function|Macro)(?: with name)? \"?([^\" !]+)\"?")


def map_duck_error(e):
    msg = str(e)
    first = msg.split("\n")[0]
    if isinstance(e, duckdb.InterruptException):
        return Canceled()
    if isinstance(e, duckdb.ParserException):
        return compilation_error("syntax error: " + first)
    if isinstance(e, duckdb.CatalogException):
        # "Catalog Error: Table with name x does not exist!": the name follows the kind, not the prefix
        m = NAME_RE.search(re.sub(r"^\w+ Error: ", "", first))
        name = m.group(1) if m else "?"
        if "does not exist" in first:
            if first.startswith("Catalog Error: Schema") or "Catalog with name" in first:
                what = "Schema" if "Schema" in first else "Database"
                return SqlError("002003", "02000", "SQL compilation error:\n%s '%s' does not exist or not authorized." % (what, name))
            return SqlError("002003", "42S02", "SQL compilation error:\nObject '%s' does not exist or not authorized." % name)
        if "already exists" in first:
            return SqlError("002002", "42710", "SQL compilation error:\nObject '%s' already exists." % name)
        return compilation_error(first)
    if isinstance(e, duckdb.BinderException):
        m = re.search(r'column "?([^" ]+)"? not found', first, re.I) or \
            re.search(r'Referenced column "?([^" ]+)"?', first)
        if m:
            return SqlError("000904", "42000", "SQL compilation error: error line 1 at position 0\ninvalid identifier '%s'" % m.group(1))
        return compilation_error(first)
    if isinstance(e, duckdb.ConversionException):
        m = re.search(r"Could not convert string '([^']*)'", first)
        if m:
            return SqlError("100038", "22018", "Numeric value '%s' is not recognized" % m.group(1))
        return SqlError("100038", "22018", first)
    if isinstance(e, duckdb.ConstraintException):
        return SqlError("100072", "22000", "NULL result in a non-nullable column")
    if isinstance(e, duckdb.TransactionException):
        return SqlError("000625", "57014", "Statement aborted: " + first)
    if isinstance(e, (duckdb.InvalidInputException, duckdb.OutOfRangeException)):
        return SqlError("100035", "22023", first)
    return SqlError("000603", "XX000", "SQL execution internal error: " + first)


# ---------------------------------------------------------------- database and session

class TableLocks:
    """Snowflake's table locks for DML (research: Transactions > Resource locking): an INSERT,
    UPDATE, DELETE, MERGE, COPY or TRUNCATE locks its table until its transaction ends (the
    statement itself when it autocommits). Another transaction's DML on that table waits for the
    lock, BLOCKED in QUERY_HISTORY, up to LOCK_TIMEOUT seconds (0 = no wait); at most 20 statements
    wait for one lock, the next one fails at once (000625). Reads never wait. This replaces
    DuckDB's optimistic "Transaction conflict" with Snowflake's queueing."""
    WAITERS = 20

    def __init__(self):
        self.cv = threading.Condition()
        self.holders = {}  # table key -> (session, statement id, transaction id)
        self.waiting = {}  # table key -> number of statements waiting

    def _refusal(self, key, holder, me, why):
        name = ".".join(show_name(p) for p in key.split("\x00"))
        return SqlError("000625", "57014",
                        "Statement '%s' has locked table '%s' in transaction %s and this lock has not yet been "
                        "released.\nYour statement '%s' was aborted because %s"
                        % (holder[1], name, holder[2], me, why))

    def acquire(self, key, sess, timeout, on_block=None):
        with self.cv:
            h = self.holders.get(key)
            if h is None or h[0] is sess:
                if h is None:
                    self.holders[key] = (sess, sess.statement_id, sess.transaction_id())
                return
            if timeout <= 0:
                raise self._refusal(key, h, sess.statement_id, "the lock could not be acquired at once "
                                    "(LOCK_TIMEOUT = 0).")
            if self.waiting.get(key, 0) >= self.WAITERS:
                raise self._refusal(key, h, sess.statement_id, "the number of waiters for this lock "
                                    "exceeds the %d statements limit." % self.WAITERS)
            self.waiting[key] = self.waiting.get(key, 0) + 1
            if on_block:
                on_block(True)
            deadline = time.time() + timeout
            try:
                while True:
                    h = self.holders.get(key)
                    if h is None:
                        self.holders[key] = (sess, sess.statement_id, sess.transaction_id())
                        return
                    if sess.cancel_event.is_set():
                        raise Canceled()
                    left = deadline - time.time()
                    if left <= 0:
                        raise self._refusal(key, h, sess.statement_id, "it waited more than the lock "
                                            "timeout of %s second(s) (LOCK_TIMEOUT)." % _num(timeout))
                    self.cv.wait(min(left, 0.1))
            finally:
                self.waiting[key] -= 1
                if on_block:
                    on_block(False)

    def release(self, sess):
        with self.cv:
            for k in [k for k, h in self.holders.items() if h[0] is sess]:
                del self.holders[k]
            self.cv.notify_all()


def _num(v):
    return int(v) if float(v) == int(v) else v


class Database:
    def __init__(self, state_dir):
        self.locks = TableLocks()
        self.dir = os.path.join(state_dir, "duck")
        os.makedirs(self.dir, exist_ok=True)
        self.con = duckdb.connect(os.path.join(self.dir, DEFAULT_CATALOG + ".duckdb"))
        self.lock = threading.Lock()
        for f in sorted(os.listdir(self.dir)):
            if f.endswith(".duckdb") and f != DEFAULT_CATALOG + ".duckdb":
                self.con.execute("ATTACH '%s' AS \"%s\"" % (os.path.join(self.dir, f), f[:-7]))

    def cursor(self):
        return self.con.cursor()

    def databases(self):
        rows = self.con.cursor().execute(
            "SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> ?",
            [DEFAULT_CATALOG]).fetchall()
        return [r[0] for r in rows]

    def create_database(self, name, replace, if_not_exists):
        with self.lock:
            exists = name in self.databases()
            if exists and if_not_exists:
                return "%s already exists, statement succeeded." % name
            if exists and not replace:
                raise SqlError("002002", "42710", "SQL compilation error:\nObject '%s' already exists." % name)
            if exists:
                self.drop_database(name, True, locked=True)
            path = os.path.join(self.dir, name + ".duckdb")
            self.con.execute("ATTACH '%s' AS \"%s\"" % (path, name))
            self.con.execute("CREATE SCHEMA IF NOT EXISTS \"%s\".\"PUBLIC\"" % name)
            return "Database %s successfully created." % name

    def drop_database(self, name, if_exists, locked=False):
        if not locked:
            self.lock.acquire()
        try:
            if name not in self.databases():
                if if_exists:
                    return "Drop statement executed successfully (%s already dropped)." % name
                raise SqlError("002003", "02000", "SQL compilation error:\nDatabase '%s' does not exist or not authorized." % name)
            self.con.execute("DETACH \"%s\"" % name)
            for suffix in (".duckdb", ".duckdb.wal"):
                try:
                    os.unlink(os.path.join(self.dir, name + suffix))
                except FileNotFoundError:
                    pass
            return "%s successfully dropped." % name
        finally:
            if not locked:
                self.lock.release()


def ident(s):
    """Snowflake identifier text -> stored name (unquoted upper-cased, quoted kept)."""
    s = s.strip()
    if s.startswith('"') and s.endswith('"'):
        return s[1:-1].replace('""', '"')
    return s.upper()


def split_name(s):
    parts, cur, q = [], "", False
    for c in s.strip():
        if c == '"':
            q = not q
            cur += c
        elif c == "." and not q:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return [ident(p) for p in parts]


class Session:
    def __init__(self, db, user, body, params, cancel_event):
        self.db = db
        self.cur = db.cursor()
        self.user = user
        self.role = body.get("role") or None
        self.warehouse = body.get("warehouse") or None
        self.params = params
        self.cancel_event = cancel_event
        self.account = (body.get("_account") or "").upper()
        self.session_id = str(abs(hash((user, time.time()))) % 10 ** 12)
        self.in_txn = False
        self.duck_txn = False  # the DuckDB transaction is begun by the first statement after BEGIN
        self.txn_id = None
        self.statement_id = None  # the query ID of the statement running now
        self.on_block = None  # called with True/False while a statement waits for a table lock
        self.on_commit = []  # callables run when the open transaction commits
        self.database = None
        self.schema = None
        self.timezone = params.get("TIMEZONE") or "America/Los_Angeles"
        database, schema = body.get("database"), body.get("schema")
        if database:
            self.use(database, schema or "PUBLIC")
        elif schema:
            raise SqlError("090105", "22000", "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.")
        self.cur.execute("SET TimeZone = '%s'" % self.timezone.replace("'", "''"))

    def use(self, database, schema):
        # body values are case-sensitive: they must match what SHOW returns (research §1.3)
        if database not in self.db.databases():
            raise SqlError("002003", "02000", "SQL compilation error:\nDatabase '%s' does not exist or not authorized." % database)
        try:
            self.cur.execute('USE "%s"."%s"' % (database.replace('"', '""'), schema.replace('"', '""')))
        except duckdb.Error:
            raise SqlError("002003", "02000", "SQL compilation error:\nSchema '%s.%s' does not exist or not authorized." % (database, schema))
        self.database, self.schema = database, schema

    def qualify(self, parts):
        """[name] / [schema,name] / [db,schema,name] -> (db, schema, name)"""
        if len(parts) == 3:
            return tuple(parts)
        if len(parts) == 2:
            if not self.database:
                raise SqlError("090105", "22000", "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.")
            return (self.database, parts[0], parts[1])
        if not self.database or not self.schema:
            raise SqlError("090106", "22000", "Cannot perform CREATE. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.")
        return (self.database, self.schema, parts[0])

    def context(self):
        acct = self.account or ""
        org, _, name = acct.partition("-")
        return {"CurrentUser": self.user, "CurrentRole": self.role or "PUBLIC",
                "CurrentAccount": acct, "CurrentAccountName": name or acct,
                "CurrentOrganizationName": org if name else None,
                "CurrentDatabase": self.database, "CurrentSchema": self.schema,
                "CurrentWarehouse": self.warehouse, "CurrentVersion": "9.0.0-standin",
                "CurrentRegion": "AWS_US_EAST_1", "CurrentSession": self.session_id}

    def transaction_id(self):
        if self.txn_id is None:
            self.txn_id = time.time_ns()
        return self.txn_id

    def lock_timeout(self):
        try:
            return float(self.params.get("LOCK_TIMEOUT", 43200))
        except (TypeError, ValueError):
            return 43200.0

    def lock_table(self, parts):
        """Take the DML lock of a table (parts as written), held to the end of the transaction."""
        key = "\x00".join(self.qualify(list(parts)))
        self.db.locks.acquire(key, self, self.lock_timeout(), self.on_block)

    def begin_duck(self):
        """Open the DuckDB transaction of a BEGIN now, after any lock is held: its snapshot then
        sees what the transaction it waited for committed (Snowflake reads committed data)."""
        if self.in_txn and not self.duck_txn:
            self.cur.execute("BEGIN TRANSACTION")
            self.duck_txn = True

    def end_statement(self):
        """After each statement: an autocommitted statement's locks go."""
        if not self.in_txn:
            self.db.locks.release(self)
            self.txn_id = None

    def _end_txn(self, verb):
        self.in_txn = False
        try:
            if self.duck_txn:
                self.duck_txn = False
                self.cur.execute(verb)
        finally:
            self.db.locks.release(self)
            self.txn_id = None

    def after_commit(self, hook):
        """Run hook when the current work commits (now, outside a transaction)."""
        if self.in_txn:
            self.on_commit.append(hook)
        else:
            hook()

    def implicit_commit(self):
        """DDL commits an open transaction first, as in Snowflake."""
        if self.in_txn:
            self._end_txn("COMMIT")
            hooks, self.on_commit = self.on_commit, []
            for h in hooks:
                h()

    def close(self):
        if self.in_txn:
            # A transaction left open at the end of a request is rolled back (research §1.7).
            try:
                self._end_txn("ROLLBACK")
            except duckdb.Error:
                pass
            self.on_commit = []
        self.db.locks.release(self)
        try:
            self.cur.close()
        except Exception:
            pass

    # -------------------------------------------------------- the core statements
    def run_core(self, sql, bindings):
        """Everything not handled by the emulation layer."""
        low = strip_comments(sql).strip().lower()
        words = low.split()
        w0 = words[0] if words else ""
        w1 = words[1] if len(words) > 1 else ""
        if w0 in ("begin", "start") and (len(words) == 1 or w1 in ("transaction", "work", "name")):
            if not self.in_txn:
                self.in_txn = True
                self.transaction_id()
            return status_result("Statement executed successfully.")
        if w0 in ("commit", "rollback") and len(words) <= 2:
            if self.in_txn:
                hooks, self.on_commit = self.on_commit, []
                try:
                    self._end_txn(w0.upper())
                except duckdb.Error as e:
                    raise map_duck_error(e)
                if w0 == "commit":
                    for h in hooks:
                        h()
            return status_result("Statement executed successfully.")
        m = re.match(r"(?is)^\s*create\s+(or\s+replace\s+)?database\s+(if\s+not\s+exists\s+)?(\S+)", sql)
        if m and not re.search(r"(?i)\bclone\b", sql):
            self.implicit_commit()
            return status_result(self.db.create_database(ident(m.group(3)), bool(m.group(1)), bool(m.group(2))))
        m = re.match(r"(?is)^\s*drop\s+database\s+(if\s+exists\s+)?(\S+)", sql)
        if m:
            self.implicit_commit()
            name = ident(m.group(2))
            if name == self.database:
                self.cur.execute("USE \"%s\".main" % DEFAULT_CATALOG)
                self.database = self.schema = None
            return status_result(self.db.drop_database(name, bool(m.group(1))))
        m = re.match(r"(?is)^\s*use\s+(database\s+|schema\s+|warehouse\s+|role\s+|secondary\s+roles\s+)?(\S+)\s*$", sql)
        if m:
            kind = (m.group(1) or "").strip().lower()
            parts = split_name(m.group(2))
            if kind == "warehouse":
                self.warehouse = parts[0]
            elif kind in ("role", "secondary roles"):
                self.role = parts[0]
            elif kind == "database":
                self.use(parts[0], "PUBLIC")
            elif kind == "schema" and len(parts) == 1:
                if not self.database:
                    raise SqlError("090105", "22000", "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.")
                self.use(self.database, parts[0])
            elif len(parts) == 2:
                self.use(parts[0], parts[1])
            else:
                self.use(parts[0], "PUBLIC")
            return status_result("Statement executed successfully.")
        m = re.match(r"(?is)^\s*alter\s+session\s+set\s+(.*)$", sql)
        if m:
            for k, v in re.findall(r"(\w+)\s*=\s*('(?:[^']|'')*'|\S+)", m.group(1)):
                v = v.strip("'")
                self.params[k.upper()] = v
                if k.upper() == "TIMEZONE":
                    self.timezone = v
                    self.cur.execute("SET TimeZone = '%s'" % v.replace("'", "''"))
            return status_result("Statement executed successfully.")
        m = re.match(r"(?is)^\s*truncate\s+(table\s+)?(if\s+exists\s+)?(\S+)", sql)
        truncate_target = m.group(3) if m else None

        duck_sql, tree = translate(sql, self.context())
        if not check_identifiers(self, tree):
            return status_result("Drop statement executed successfully (object already dropped).")
        if isinstance(tree, DDL):
            self.implicit_commit()
        target = dml_target(sql)
        if target:
            self.lock_table(target)
        self.begin_duck()
        params = bindings or None
        try:
            if params:
                self.cur.execute(duck_sql, params)
            else:
                self.cur.execute(duck_sql)
        except duckdb.Error as e:
            raise map_duck_error(e)
        return self._shape(tree, truncate_target)

    def _shape(self, tree, truncate_target):
        cur = self.cur
        if isinstance(tree, exp.Insert):
            n = cur.fetchone()[0]
            return rows_result([("number of rows inserted", coltype("fixed", 38, 0))], [(n,)],
                               {"numRowsInserted": n})
        if isinstance(tree, exp.Delete):
            n = cur.fetchone()[0]
            return rows_result([("number of rows deleted", coltype("fixed", 38, 0))], [(n,)],
                               {"numRowsDeleted": n})
        if isinstance(tree, exp.Update):
            n = cur.fetchone()[0]
            return rows_result([("number of rows updated", coltype("fixed", 38, 0)),
                                ("number of multi-joined rows updated", coltype("fixed", 38, 0))],
                               [(n, 0)], {"numRowsUpdated": n})
        if isinstance(tree, exp.Merge):
            n = cur.fetchone()[0]
            return rows_result([("number of rows affected", coltype("fixed", 38, 0))], [(n,)])
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "TABLE").upper()
            tgt = tree.this
            tname = tgt.this.name if isinstance(tgt, exp.Schema) else getattr(tgt, "name", "")
            return status_result("%s %s successfully created." % (kind.title(), tname))
        if isinstance(tree, exp.Drop):
            tname = getattr(tree.this, "name", "")
            return status_result("%s successfully dropped." % tname)
        if truncate_target is not None or isinstance(tree, (exp.Alter, exp.Command, exp.Transaction,
                                                             exp.Commit, exp.Rollback)) \
                or cur.description is None:
            return status_result("Statement executed successfully.")
        names = [d[0] for d in cur.description]
        fixed = tree.meta.get("sf_names")
        if fixed and len(fixed) == len(names):
            names = [f or n for f, n in zip(fixed, names)]
        types = [sftype_of_duck(d[1]) for d in cur.description]

        def batches():
            while True:
                rows = cur.fetchmany(8192)
                if not rows:
                    return
                yield rows
        return Result(names, types, batches())


DML_TARGET = re.compile(r'(?is)^\s*(?:alter\s+table\s+(?:if\s+exists\s+)?|insert\s+(?:overwrite\s+)?(?:all\s+)?into|update|delete\s+from|merge\s+into|'
                        r'truncate\s+(?:table\s+)?(?:if\s+exists\s+)?|copy\s+into)\s*'
                        r'((?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\.(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)){0,2})')


def dml_target(sql):
    """The table a DML statement writes (its name parts), or None."""
    m = DML_TARGET.match(strip_comments(sql))
    return split_name(m.group(1)) if m else None


# ---------------------------------------------------------------- bindings

def convert_bindings(bindings):
    """SQL API bindings {"1": {"type","value"}} -> positional Python values."""
    if not bindings:
        return None
    if not isinstance(bindings, dict):
        raise SqlError("100037", "22018", "Bind variable is not recognized")
    out = []
    keys = sorted(bindings, key=lambda k: int(k) if str(k).isdigit() else 1 << 30)
    for k in keys:
        b = bindings[k]
        if not isinstance(b, dict):
            raise SqlError("100037", "22018", "Bind variable %s not recognized" % k)
        t = str(b.get("type", "TEXT")).upper()
        v = b.get("value")
        try:
            if v is None:
                out.append(None)
            elif t == "FIXED":
                d = decimal.Decimal(str(v))
                out.append(int(d) if d == d.to_integral_value() and "." not in str(v) else d)
            elif t in ("REAL", "DECFLOAT"):
                out.append(float(v))
            elif t == "TEXT":
                out.append(str(v))
            elif t == "BOOLEAN":
                s = str(v).strip().lower()
                if s not in ("true", "false", "1", "0", "t", "f", "yes", "no"):
                    raise ValueError(v)
                out.append(s in ("true", "1", "t", "yes"))
            elif t == "DATE":
                out.append(EPOCH_DATE + datetime.timedelta(milliseconds=int(v)))
            elif t == "TIME":
                ns = int(v)
                out.append((datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=ns // 1000)).time())
            elif t in ("TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ"):
                ns = int(str(v).split()[0])
                out.append(datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=ns // 1000))
            elif t == "BINARY":
                out.append(bytes.fromhex(v))
            else:
                raise ValueError(t)
        except (ValueError, decimal.InvalidOperation, TypeError, OverflowError):
            raise SqlError("100037", "22018", "Bind variable %s not recognized" % k)
    return out


# ---------------------------------------------------------------- Snowflake's identifier rule

PLAIN_NAME = re.compile(r"^[A-Z_][A-Z0-9_$]*$")


def show_name(name):
    """A stored name as Snowflake's messages show it: plain upper-case names bare, others quoted."""
    return name if PLAIN_NAME.match(name) else '"%s"' % name.replace('"', '""')


def invalid_identifier(name):
    return SqlError("000904", "42000", "SQL compilation error: error line 1 at position 0\n"
                                       "invalid identifier '%s'" % show_name(name))


def object_missing(db, schema, name):
    return SqlError("002003", "42S02", "SQL compilation error:\nObject '%s.%s.%s' does not exist or not authorized."
                    % (show_name(db), show_name(schema), show_name(name)))


class Catalog:
    """Exact-case view of the stored objects. DuckDB matches names case-insensitively; Snowflake
    matches unquoted identifiers (folded to upper case) and quoted ones exactly, so every table
    and column a statement names is checked here before DuckDB sees it."""

    def __init__(self, sess):
        self.sess = sess
        cur = sess.cur
        self.tables = {}
        for db, schema, name, temp in cur.execute(
                "SELECT database_name, schema_name, table_name, temporary FROM duckdb_tables() "
                "UNION ALL SELECT database_name, schema_name, view_name, temporary FROM duckdb_views() "
                "WHERE NOT internal").fetchall():
            self.tables[(db, schema, name)] = "temp" if temp else "table"
        self.schemas = set(cur.execute("SELECT database_name, schema_name FROM duckdb_schemas()").fetchall())
        self.databases = {d for d, _ in self.schemas}
        self._cols = {}

    def where(self, table):
        """exp.Table -> (db, schema, name) the way Snowflake resolves it, or None when it is not
        a stored table (table function, information_schema)."""
        if not isinstance(table.this, exp.Identifier):
            return None
        parts = [p.name for p in table.parts]
        s = self.sess
        db = s.database or DEFAULT_CATALOG
        schema = s.schema or ("main" if not s.database else "PUBLIC")
        if len(parts) == 3:
            db, schema, name = parts
        elif len(parts) == 2:
            if not s.database:
                return None  # two-part names without a current database: DuckDB's own rules
            schema, name = parts
        elif len(parts) == 1:
            name = parts[0]
        else:
            return None
        if schema.upper() == "INFORMATION_SCHEMA":
            return None
        return db, schema, name

    def check_table(self, where):
        db, schema, name = where
        if where in self.tables:
            return True
        if any(k[2] == name and v == "temp" for k, v in self.tables.items()):
            return True  # temporary tables live in DuckDB's temp catalog
        if db not in self.databases:
            raise SqlError("002003", "02000", "SQL compilation error:\nDatabase '%s' does not exist or not authorized." % show_name(db))
        if (db, schema) not in self.schemas:
            raise SqlError("002003", "02000", "SQL compilation error:\nSchema '%s.%s' does not exist or not authorized."
                           % (show_name(db), show_name(schema)))
        raise object_missing(db, schema, name)

    def columns(self, where):
        if where not in self._cols:
            if where not in self.tables:
                temp = [k for k, v in self.tables.items() if k[2] == where[2] and v == "temp"]
                if not temp:
                    return None
                where = temp[0]
            self._cols[where] = [r[0] for r in self.sess.cur.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
                "AND table_name = ? ORDER BY column_index", list(where)).fetchall()]
        return self._cols[where]


def _cte_names(tree):
    return {c.alias_or_name for c in tree.find_all(exp.CTE)}


def _scope_names(src, cat):
    """The exact output names of a scope source, or None when unknown."""
    from sqlglot.optimizer.scope import Scope
    if isinstance(src, exp.Table):
        where = cat.where(src)
        return cat.columns(where) if where else None
    if isinstance(src, Scope):
        sel = src.expression
        while isinstance(sel, exp.SetOperation):
            sel = sel.this
        if isinstance(sel, exp.Select) and not any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and p.is_star)
                                                   for p in sel.expressions):
            names = [p.alias_or_name for p in sel.expressions]
            return names if all(names) else None
    return None


def _check_column(name, found):
    if name not in found:
        raise invalid_identifier(name)


def check_identifiers(sess, tree):
    """Raise as Snowflake would for a table or column that exists only in another case.
    Returns False when the statement must not run (DROP ... IF EXISTS of a missing table)."""
    from sqlglot.optimizer.scope import traverse_scope
    cat = Catalog(sess)
    ctes = _cte_names(tree)
    skip = None
    if isinstance(tree, exp.Create):
        t = tree.this
        skip = t.this if isinstance(t, exp.Schema) else t
    for t in tree.find_all(exp.Table):
        if t is skip or (len(t.parts) == 1 and t.name in ctes):
            continue
        where = cat.where(t)
        if where is None:
            continue
        if isinstance(tree, exp.Drop) and t is tree.this:
            if (tree.args.get("kind") or "").upper() not in ("TABLE", "VIEW"):
                continue
            if where not in cat.tables and tree.args.get("exists"):
                return False
        cat.check_table(where)
    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema):
        where = cat.where(tree.this.this)
        cols = cat.columns(where) if where else None
        if cols is not None:
            for i in tree.this.expressions:
                _check_column(i.name, cols)
    if isinstance(tree, (exp.Update, exp.Delete)) \
            and not tree.args.get("from") and not tree.args.get("using"):
        target = tree.this
        where = cat.where(target) if isinstance(target, exp.Table) else None
        cols = cat.columns(where) if where else None
        if cols is not None:
            names = {target.name, target.alias_or_name}
            for c in tree.find_all(exp.Column):
                if c.find_ancestor(exp.Select) is None and (not c.table or c.table in names):
                    _check_column(c.name, cols)
    try:
        scopes = traverse_scope(tree)
    except Exception:
        return True
    for scope in scopes:
        _check_scope(scope, cat)
    return True


def _check_scope(scope, cat):
    def visible(sc):
        """(names by source alias, all names or None when some source is unknown)"""
        by_src, every = {}, set()
        if not isinstance(sc.expression, exp.Select) or not sc.sources:
            return by_src, set()  # a wrapper scope (e.g. the subquery of an UPDATE) names nothing
        for alias, src in sc.sources.items():
            names = _scope_names(src, cat)
            by_src[alias] = names
            if names is None:
                every = None
            elif every is not None:
                every.update(names)
        return by_src, every

    if not isinstance(scope.expression, exp.Select) or not scope.sources:
        return  # its columns belong to the scopes inside it
    by_src, every = visible(scope)
    aliases = {p.alias for p in scope.expression.expressions if isinstance(p, exp.Alias)} \
        if isinstance(scope.expression, exp.Select) else set()
    for c in scope.columns:
        if c.is_star or isinstance(c.this, exp.Star) or c.find_ancestor(exp.Lambda):
            continue
        name = c.name
        if c.table:
            sc, names = scope, None
            while sc is not None:
                if c.table in sc.sources:
                    names = _scope_names(sc.sources[c.table], cat)
                    break
                sc = sc.parent
            if names is not None:
                _check_column(name, names)
            continue
        if every is None or name in every or name in aliases:
            continue
        # A correlated name. A subquery in FROM (not LATERAL, which sqlglot scopes as a UDTF)
        # cannot see the FROM of the query it sits in: not even its own output columns there.
        sc, known = (scope.parent.parent if scope.is_derived_table and scope.parent else scope.parent), True
        while sc is not None:
            _, outer = visible(sc)
            if outer is None:
                known = False
                break
            if name in outer:
                break
            sc = sc.parent
        else:
            if known:
                raise invalid_identifier(name)
