"""What the runbook needs from Snowflake beyond plain SQL, emulated in front of DuckDB:
users and keys (ALTER USER), storage integrations, stages, file formats, grants, pipes,
COPY INTO <table> from S3 Parquet, SYSTEM$WAIT. Each is listed in README.snowflake.

Objects are kept in DIR/objects.json (rewritten atomically on each change).
"""
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time

import duckdb
from sqlglot import exp

import auth
import engine
from engine import SqlError, coltype, ident, rows_result, split_name, status_result

TEXT, NUM = coltype("text"), coltype("fixed", 38, 0)
ADMIN_ROLES = ("ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN")
NAME = r'((?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\.(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)){0,2})'


def now_str():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " +0000"


def not_exist(kind, name, state="02000"):
    return SqlError("002003", state, "SQL compilation error:\n%s '%s' does not exist or not authorized."
                    % (kind, name))


def already_exists(name):
    return SqlError("002002", "42710", "SQL compilation error:\nObject '%s' already exists." % name)


def unquote(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == "'" and v[-1] == "'":
        return v[1:-1].replace("''", "'").replace("\\'", "'")
    if len(v) >= 4 and v.startswith("$$") and v.endswith("$$"):
        return v[2:-2]
    return v


def scan_options(text):
    """KEY = value pairs; value is a quoted string, a (...) group or a bare word."""
    opts, i, n = {}, 0, len(text)
    while i < n:
        m = re.compile(r"\s*([A-Za-z_][\w]*)\s*=\s*").match(text, i)
        if not m:
            m2 = re.compile(r"\s*(\S+)").match(text, i)
            if not m2:
                break
            raise engine.compilation_error("syntax error line 1 at position %d unexpected '%s'." % (i, m2.group(1)))
        key = m.group(1).upper()
        j = m.end()
        if j < n and text[j] == "(":
            k = matching_paren(text, j)
            opts[key] = text[j:k + 1]
            i = k + 1
        elif j < n and text[j] == "'":
            k = j + 1
            while k < n:
                if text[k] == "'" and k + 1 < n and text[k + 1] == "'":
                    k += 2
                    continue
                if text[k] == "'":
                    break
                k += 1
            opts[key] = text[j:k + 1]
            i = k + 1
        else:
            m3 = re.compile(r"[^\s,]+").match(text, j)
            if not m3:
                raise engine.compilation_error("syntax error line 1 at position %d unexpected end of input." % j)
            opts[key] = m3.group(0)
            i = m3.end()
        m4 = re.compile(r"\s*,").match(text, i)
        if m4:
            i = m4.end()
    return opts


def matching_paren(text, j):
    depth, q = 0, None
    for k in range(j, len(text)):
        ch = text[k]
        if q:
            if ch == q:
                q = None  # a doubled quote closes and reopens: same effect
        elif ch in ("'", '"'):
            q = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return k
    raise engine.compilation_error("syntax error: unbalanced parenthesis.")


def list_values(group):
    """"('a', 'b')" -> ['a', 'b']"""
    inner = group.strip()[1:-1]
    return [unquote(v) for v in re.findall(r"'(?:[^']|'')*'", inner)]


def split_top(text, sep=","):
    out, depth, cur, i, q = [], 0, [], 0, None
    while i < len(text):
        ch = text[i]
        if q:
            cur.append(ch)
            if ch == q:
                q = None
        elif ch in ("'", '"'):
            q = ch
            cur.append(ch)
        elif ch == "(":
            depth += 1
            cur.append(ch)
        elif ch == ")":
            depth -= 1
            cur.append(ch)
        elif ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return [s.strip() for s in out]


def find_top_keyword(text, kw):
    """Index of the last top-level occurrence of keyword kw (outside quotes/parens), or -1."""
    depth, q, found = 0, None, -1
    pat = re.compile(r"\b%s\b" % kw, re.I)
    for i, ch in enumerate(text):
        if q:
            if ch == q:
                q = None
            continue
        if ch in ("'", '"'):
            q = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and pat.match(text, i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$")):
            found = i
    return found


class Objects:
    def __init__(self, app, state):
        self.app = app
        self.path = os.path.join(state, "objects.json")
        self.tmpdir = os.path.join(state, "tmp")
        os.makedirs(self.tmpdir, exist_ok=True)
        self.lock = threading.RLock()
        self.data = {"integrations": {}, "stages": {}, "file_formats": {}, "grants": [],
                     "pipes": {}, "load_history": {}, "generation": {}}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.data.update(json.load(f))

    def warehouse_exists(self, name):
        """Warehouses made by CREATE WAREHOUSE, or listed in DIR/warehouses.json by the stack."""
        with self.lock:
            if name in self.data.setdefault("warehouses", {}):
                return True
        try:
            with open(os.path.join(self.app.state, "warehouses.json")) as f:
                return name in json.load(f)
        except (OSError, ValueError):
            return False

    def save(self):
        with self.lock:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.data, f, indent=1)
            os.replace(tmp, self.path)

    def account(self):
        return self.app.args.account.upper()


# ================================================================ dispatch

def handle(app, sess, sql, bindings):
    s = engine.strip_comments(sql).strip()
    low = s.lower()
    for pat, fn in HANDLERS:
        m = pat.match(s)
        if m:
            return fn(app, sess, m, s)
    if low.startswith("truncate"):
        return truncate(app, sess, s, bindings)
    m = re.match(r"(?is)^create\s+(?:transient\s+)?table\s+(if\s+not\s+exists\s+)?" + NAME + r"\s*\(", s)
    if m:
        # CREATE TABLE t (c VARCHAR(50), ...): DESC TABLE shows the declared lengths
        tree, cat = parse_sf(s), engine.Catalog(sess)
        where = cat.where(tree.this.this) if tree is not None and isinstance(tree.this, exp.Schema) else None
        existed = bool(m.group(1)) and where in cat.tables
        res = sess.run_core(sql, bindings)
        if not existed:
            record_lengths(sess, sql)
        return res
    m = re.match(r"(?is)^(?:create\s+or\s+replace\s+(?:transient\s+)?table|drop\s+table(?:\s+if\s+exists)?)\s+" + NAME, s)
    if m:
        # dropping or re-creating a table drops its load metadata (research §3.9)
        res = sess.run_core(sql, bindings)
        if low.startswith("create"):
            record_lengths(sess, sql)
        key = ".".join(sess.qualify(split_name(m.group(1))))
        with app.objects.lock:
            if app.objects.data["load_history"].pop(key, None) is not None:
                app.objects.save()
        return res
    return None


def caller_role(app, sess):
    if sess.role:
        return sess.role.upper()
    u = app.users.get(sess.user) or {}
    return (u.get("default_role") or "PUBLIC").upper()


# ================================================================ users and keys

def alter_user(app, sess, m, sql):
    target = ident(m.group(1))
    rest = m.group(2).strip()
    if target != sess.user and caller_role(app, sess) not in ADMIN_ROLES:
        raise SqlError("003001", "42501", "SQL access control error:\nInsufficient privileges to operate on user '%s'" % target)
    if app.users.get(target) is None and not re.match(r"(?i)^set\b", rest):
        raise not_exist("User", target)
    mm = re.match(r"(?is)^add\s+(?:programmatic\s+access\s+token|pat)\s+(\S+)(.*)$", rest)
    if mm:
        name = ident(mm.group(1))
        opts = scan_options(mm.group(2))
        days = int(unquote(opts.get("DAYS_TO_EXPIRY", "15")))
        if not 1 <= days <= 365:
            raise SqlError("000002", "22023", "Invalid value for DAYS_TO_EXPIRY: %d" % days)
        role = unquote(opts["ROLE_RESTRICTION"]).upper() if "ROLE_RESTRICTION" in opts else None
        secret = app.users.sql_add_pat(target, name, role, days)
        return rows_result([("token_name", TEXT), ("token_secret", TEXT)], [(name, secret)])
    mm = re.match(r"(?is)^remove\s+(?:programmatic\s+access\s+token|pat)\s+(\S+)\s*$", rest)
    if mm:
        app.users.sql_remove_pat(target, ident(mm.group(1)))
        return status_result("Statement executed successfully.")
    mm = re.match(r"(?is)^set\s+(.*)$", rest)
    if mm:
        opts = scan_options(mm.group(1))
        kv = {}
        for k, v in opts.items():
            v = unquote(v)
            if k in ("RSA_PUBLIC_KEY", "RSA_PUBLIC_KEY_2"):
                try:
                    auth.load_public_key(v)
                except Exception:
                    raise SqlError("002029", "22023", "New public key rejected by current policy. reason: Invalid public key")
                kv[k.lower()] = v
            elif k in ("DEFAULT_ROLE", "DEFAULT_WAREHOUSE", "DEFAULT_NAMESPACE"):
                kv[k.lower()] = v.upper() if not v.startswith('"') else ident(v)
        app.users.sql_update(target, **kv)
        return status_result("Statement executed successfully.")
    mm = re.match(r"(?is)^unset\s+(.*)$", rest)
    if mm:
        kv = {}
        for k in re.split(r"[\s,]+", mm.group(1).strip()):
            if k.upper() in ("RSA_PUBLIC_KEY", "RSA_PUBLIC_KEY_2"):
                kv[k.lower()] = None
        app.users.sql_update(target, **kv)
        return status_result("Statement executed successfully.")
    return status_result("Statement executed successfully.")


def create_user(app, sess, m, sql):
    if caller_role(app, sess) not in ADMIN_ROLES:
        raise SqlError("003001", "42501", "SQL access control error:\nInsufficient privileges to operate on account")
    name = ident(m.group(3))
    if app.users.get(name) is not None and not m.group(1):
        if m.group(2):
            return status_result("%s already exists, statement succeeded." % name)
        raise already_exists(name)
    opts = scan_options(m.group(4) or "")
    kv = {}
    for k, v in opts.items():
        if k in ("RSA_PUBLIC_KEY", "RSA_PUBLIC_KEY_2", "DEFAULT_ROLE", "DEFAULT_WAREHOUSE", "DEFAULT_NAMESPACE"):
            kv[k.lower()] = unquote(v) if k.startswith("RSA") else ident(unquote(v))
    app.users.sql_update(name, **kv)
    return status_result("User %s successfully created." % name)


def desc_user(app, sess, m, sql):
    name = ident(m.group(1))
    u = app.users.get(name)
    if u is None:
        raise not_exist("User", name)
    rows = [("NAME", name, None, "Name"),
            ("DEFAULT_ROLE", u.get("default_role"), None, "Primary principal of user session.")]
    for slot in ("rsa_public_key", "rsa_public_key_2"):
        fp = None
        if u.get(slot):
            try:
                fp = auth.fingerprint(auth.load_public_key(u[slot]))
            except Exception:
                fp = None
        rows.append((slot.upper() + "_FP", fp, None, "Fingerprint of user's RSA public key."))
    return rows_result([("property", TEXT), ("value", TEXT), ("default", TEXT), ("description", TEXT)], rows)


# ================================================================ integrations

def integration_props(app, name, spec):
    acct = app.objects.account()
    h = hashlib.sha256(acct.encode()).hexdigest()
    acct_id = int(h[:12], 16) % 10 ** 12
    user_arn = os.environ.get("SF_STANDIN_IAM_USER_ARN") or \
        "arn:aws:iam::%012d:user/%s-s-%s" % (acct_id, h[12:16], h[16:24])
    return [
        ("ENABLED", "Boolean", "true" if spec["enabled"] else "false", "false"),
        ("STORAGE_PROVIDER", "String", spec["provider"], ""),
        ("STORAGE_ALLOWED_LOCATIONS", "List", ",".join(spec["allowed"]), "[]"),
        ("STORAGE_BLOCKED_LOCATIONS", "List", ",".join(spec["blocked"]), "[]"),
        ("STORAGE_AWS_IAM_USER_ARN", "String", user_arn, ""),
        ("STORAGE_AWS_ROLE_ARN", "String", spec["role_arn"], ""),
        ("STORAGE_AWS_EXTERNAL_ID", "String", spec["external_id"], ""),
        ("STORAGE_AWS_OBJECT_ACL", "String", spec.get("object_acl", ""), ""),
        ("USE_PRIVATELINK_ENDPOINT", "Boolean", "true" if spec.get("privatelink") else "false", "false"),
        ("COMMENT", "String", spec.get("comment", ""), ""),
    ]


def create_integration(app, sess, m, sql):
    replace, if_not, name, rest = bool(m.group(1)), bool(m.group(2)), ident(m.group(3)), m.group(4)
    if caller_role(app, sess) != "ACCOUNTADMIN":
        raise SqlError("003001", "42501", "SQL access control error:\nInsufficient privileges to operate on account")
    sess.implicit_commit()
    opts = scan_options(rest)
    if unquote(opts.get("TYPE", "")).upper() != "EXTERNAL_STAGE":
        raise engine.compilation_error("invalid value for property 'TYPE': only EXTERNAL_STAGE storage integrations are emulated.")
    provider = unquote(opts.get("STORAGE_PROVIDER", "")).upper()
    if provider not in ("S3", "S3CHINA", "S3GOV"):
        raise engine.compilation_error("invalid value [%s] for parameter 'STORAGE_PROVIDER'" % provider)
    for req in ("STORAGE_AWS_ROLE_ARN", "STORAGE_ALLOWED_LOCATIONS"):
        if req not in opts:
            raise engine.compilation_error("missing required property '%s'." % req)
    allowed = list_values(opts["STORAGE_ALLOWED_LOCATIONS"])
    scheme = {"S3": "s3://", "S3CHINA": "s3china://", "S3GOV": "s3gov://"}[provider]
    for loc in allowed:
        if loc != "*" and not loc.startswith(scheme):
            raise SqlError("003130", "22023", "Invalid location '%s' for storage provider %s." % (loc, provider))
    o = app.objects
    with o.lock:
        ints = o.data["integrations"]
        if name in ints and not replace:
            if if_not:
                return status_result("%s already exists, statement succeeded." % name)
            raise already_exists(name)
        gen = o.data["generation"].get(name, 0) + 1
        o.data["generation"][name] = gen
        ext = opts.get("STORAGE_AWS_EXTERNAL_ID")
        if ext:
            ext = unquote(ext)
        else:
            digest = hashlib.sha256(("%s|%s|%d" % (o.account(), name, gen)).encode()).digest()
            ext = "%s_SFCRole=2_%s" % (o.account().replace("-", "_"), base64.b64encode(digest[:15]).decode())
        ints[name] = {
            "name": name, "enabled": unquote(opts.get("ENABLED", "TRUE")).upper() == "TRUE",
            "provider": provider, "role_arn": unquote(opts["STORAGE_AWS_ROLE_ARN"]),
            "allowed": allowed,
            "blocked": list_values(opts["STORAGE_BLOCKED_LOCATIONS"]) if "STORAGE_BLOCKED_LOCATIONS" in opts else [],
            "external_id": ext, "comment": unquote(opts.get("COMMENT", "''")),
            "object_acl": unquote(opts.get("STORAGE_AWS_OBJECT_ACL", "''")),
            "privatelink": unquote(opts.get("USE_PRIVATELINK_ENDPOINT", "FALSE")).upper() == "TRUE",
            "created_on": now_str(), "owner": caller_role(app, sess),
        }
        o.save()
    return status_result("Integration %s successfully created." % name)


def get_integration(app, name):
    spec = app.objects.data["integrations"].get(name)
    if spec is None:
        raise not_exist("Integration", name)
    return spec


def desc_integration(app, sess, m, sql):
    name = ident(m.group(1))
    spec = get_integration(app, name)
    return rows_result([("property", TEXT), ("property_type", TEXT), ("property_value", TEXT),
                        ("property_default", TEXT)], integration_props(app, name, spec))


def like_filter(rows, like, key=lambda r: r[1]):
    if not like:
        return rows
    pat = "^" + re.escape(unquote(like)).replace("%", ".*").replace("_", ".") + "$"
    pat = pat.replace("\\.\\*", ".*")
    return [r for r in rows if re.match(pat, key(r), re.I)]


def show_integrations(app, sess, m, sql):
    rows = [(s["name"], "EXTERNAL_STAGE", "STORAGE", "true" if s["enabled"] else "false",
             s.get("comment") or None, s["created_on"])
            for s in sorted(app.objects.data["integrations"].values(), key=lambda s: s["name"])]
    rows = like_filter(rows, m.group(1), key=lambda r: r[0])
    return rows_result([("name", TEXT), ("type", TEXT), ("category", TEXT), ("enabled", TEXT),
                        ("comment", TEXT), ("created_on", TEXT)], rows)


def drop_integration(app, sess, m, sql):
    name = ident(m.group(2))
    sess.implicit_commit()
    with app.objects.lock:
        if name not in app.objects.data["integrations"]:
            if m.group(1):
                return status_result("Drop statement executed successfully (%s already dropped)." % name)
            raise not_exist("Integration", name)
        del app.objects.data["integrations"][name]
        app.objects.save()
    return status_result("%s successfully dropped." % name)


def alter_integration(app, sess, m, sql):
    name = ident(m.group(1))
    with app.objects.lock:
        spec = get_integration(app, name)
        mm = re.match(r"(?is)^set\s+(.*)$", m.group(2).strip())
        if mm:
            opts = scan_options(mm.group(1))
            if "ENABLED" in opts:
                spec["enabled"] = unquote(opts["ENABLED"]).upper() == "TRUE"
            if "STORAGE_AWS_ROLE_ARN" in opts:
                spec["role_arn"] = unquote(opts["STORAGE_AWS_ROLE_ARN"])
            if "STORAGE_ALLOWED_LOCATIONS" in opts:
                spec["allowed"] = list_values(opts["STORAGE_ALLOWED_LOCATIONS"])
            if "STORAGE_BLOCKED_LOCATIONS" in opts:
                spec["blocked"] = list_values(opts["STORAGE_BLOCKED_LOCATIONS"])
            if "STORAGE_AWS_EXTERNAL_ID" in opts:
                spec["external_id"] = unquote(opts["STORAGE_AWS_EXTERNAL_ID"])
            if "COMMENT" in opts:
                spec["comment"] = unquote(opts["COMMENT"])
        app.objects.save()
    return status_result("Statement executed successfully.")


def location_allowed(spec, url):
    if any(url.startswith(b) for b in spec["blocked"]):
        return False
    return any(a == "*" or url.startswith(a) for a in spec["allowed"])


# ================================================================ stages and file formats

def parse_file_format(group):
    if not group:
        return {}
    inner = group.strip()
    if inner.startswith("("):
        inner = inner[1:-1]
    return {k: unquote(v) for k, v in scan_options(inner).items()}


def create_stage(app, sess, m, sql):
    replace, name, if_not, rest = bool(m.group(1)), m.group(3), bool(m.group(2) or m.group(4)), m.group(5)
    sess.implicit_commit()
    fq = sess.qualify(split_name(name))
    if fq[0] not in sess.db.databases():
        raise not_exist("Database", fq[0])
    opts = scan_options(rest or "")
    url = unquote(opts.get("URL", "''"))
    integ = ident(opts["STORAGE_INTEGRATION"]) if "STORAGE_INTEGRATION" in opts else None
    if url:
        if not re.match(r"^s3://[^/]+", url):
            raise SqlError("001011", "42601", "SQL compilation error:\ninvalid URL prefix found in: '%s'" % url)
        if integ:
            spec = get_integration(app, integ)
            if not location_allowed(spec, url):
                raise SqlError("003079", "22000", "SQL execution error: URL '%s' is not allowed by integration %s" % (url, integ))
        elif "CREDENTIALS" not in opts:
            pass  # a public bucket in Snowflake; we read with the stand-in's own AWS credentials
    key = ".".join(fq)
    with app.objects.lock:
        stages = app.objects.data["stages"]
        if key in stages and not replace:
            if if_not:
                return status_result("%s already exists, statement succeeded." % fq[2])
            raise already_exists(fq[2])
        stages[key] = {"database": fq[0], "schema": fq[1], "name": fq[2], "url": url,
                       "integration": integ, "file_format": parse_file_format(opts.get("FILE_FORMAT")),
                       "has_credentials": "CREDENTIALS" in opts,
                       "comment": unquote(opts.get("COMMENT", "''")), "created_on": now_str(),
                       "owner": caller_role(app, sess)}
        app.objects.save()
    return status_result("Stage area %s successfully created." % fq[2])


def get_stage(app, sess, name):
    fq = sess.qualify(split_name(name))
    st = app.objects.data["stages"].get(".".join(fq))
    if st is None:
        raise not_exist("Stage", ".".join(fq))
    return st


def drop_stage(app, sess, m, sql):
    sess.implicit_commit()
    fq = sess.qualify(split_name(m.group(2)))
    key = ".".join(fq)
    with app.objects.lock:
        if key not in app.objects.data["stages"]:
            if m.group(1):
                return status_result("Drop statement executed successfully (%s already dropped)." % fq[2])
            raise not_exist("Stage", key)
        del app.objects.data["stages"][key]
        app.objects.save()
    return status_result("%s successfully dropped." % fq[2])


def in_scope(sess, scope, rows, di, si):
    """The rows of SHOW ... [IN ACCOUNT | IN DATABASE [d] | IN SCHEMA [[d.]s] | IN [d.]s] whose
    database (column di) and schema (column si) are in scope. Without IN, Snowflake uses the
    current schema, else the current database, else the account."""
    scope = (scope or "").strip()
    if re.match(r"(?i)^in\s+account$", scope):
        return rows
    if not scope:
        if not sess.database:
            return rows
        return [r for r in rows if r[di] == sess.database and (sess.schema is None or r[si] == sess.schema)]
    m = re.match(r"(?is)^in\s+(database|schema)?\s*(\S+)?$", scope)
    kind = (m.group(1) or "").lower() if m else ""
    parts = split_name(m.group(2)) if m and m.group(2) else []
    if kind == "database" or (not kind and len(parts) == 1):
        d = parts[0] if parts else sess.database
        return [r for r in rows if r[di] == d]
    d, s_ = parts if len(parts) == 2 else (sess.database, parts[0] if parts else sess.schema)
    return [r for r in rows if r[di] == d and r[si] == s_]


def show_stages(app, sess, m, sql):
    rows = []
    for s in sorted(app.objects.data["stages"].values(), key=lambda s: (s["database"], s["schema"], s["name"])):
        rows.append((s["created_on"], s["name"], s["database"], s["schema"], s["url"],
                     "Y" if s["has_credentials"] else "N", "N", s["owner"], s["comment"] or "",
                     None, "EXTERNAL" if s["url"] else "INTERNAL", "AWS" if s["url"] else None,
                     None, s["integration"]))
    rows = in_scope(sess, m.group(2), rows, 2, 3)
    rows = like_filter(rows, m.group(1))
    return rows_result([(c, TEXT) for c in (
        "created_on", "name", "database_name", "schema_name", "url", "has_credentials",
        "has_encryption_key", "owner", "comment", "region", "type", "cloud", "notification_channel",
        "storage_integration")], rows)


def list_stage(app, sess, m, sql):
    """LIST @stage[/path] [PATTERN = '<regex>']: the stage's objects as Snowflake lists them
    (name as the full URL, size, md5, last_modified), read through the stage's integration (its
    role assumed with the external id), so a broken trust policy fails here as it does in COPY."""
    st = get_stage(app, sess, m.group(1))
    if not st["url"]:
        raise SqlError("001003", "42000", "SQL compilation error:\nLIST of an internal stage is not emulated.")
    bucket, prefix = split_s3(st["url"].rstrip("/") + "/" + (m.group(2) or "").lstrip("/"))
    rx = re.compile(unquote(m.group(3))) if m.group(3) else None
    s3 = s3_client(app, st["integration"])
    rows = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                url = "s3://%s/%s" % (bucket, o["Key"])
                if o["Key"].endswith("/") or (rx and not rx.fullmatch(url)):
                    continue
                rows.append((url, o["Size"], o["ETag"].strip('"'),
                             o["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT")))
    except SqlError:
        raise
    except Exception as e:
        raise SqlError("091003", "22000", "Failure using stage area. Cause: [%s]" % str(e).split("\n")[0])
    return rows_result([("name", TEXT), ("size", NUM), ("md5", TEXT), ("last_modified", TEXT)], rows)


def create_file_format(app, sess, m, sql):
    sess.implicit_commit()
    fq = sess.qualify(split_name(m.group(3)))
    key = ".".join(fq)
    with app.objects.lock:
        ffs = app.objects.data["file_formats"]
        if key in ffs and not m.group(1):
            if m.group(2):
                return status_result("%s already exists, statement succeeded." % fq[2])
            raise already_exists(fq[2])
        ffs[key] = {k: unquote(v) for k, v in scan_options(m.group(4) or "").items()}
        app.objects.save()
    return status_result("File format %s successfully created." % fq[2])


def drop_file_format(app, sess, m, sql):
    fq = sess.qualify(split_name(m.group(2)))
    with app.objects.lock:
        if app.objects.data["file_formats"].pop(".".join(fq), None) is None and not m.group(1):
            raise not_exist("File format", ".".join(fq))
        app.objects.save()
    return status_result("%s successfully dropped." % fq[2])


# ================================================================ grants and no-op account objects

def grant(app, sess, m, sql):
    verb = m.group(1).upper()
    text = " ".join(sql.split())
    g = re.match(r"(?is)^(?:grant|revoke)\s+(?:grant\s+option\s+for\s+)?(.+?)\s+on\s+(future\s+\w+\s+in\s+\w+|all\s+\w+\s+in\s+\w+|[a-z ]+?)\s+(\S+)\s+(?:to|from)\s+(?:(role|user|share|database\s+role)\s+)?(\S+)", text)
    if not g:
        r = re.match(r"(?is)^(?:grant|revoke)\s+(?:database\s+)?role\s+(\S+)\s+(?:to|from)\s+(role|user)\s+(\S+)", text)
        if not r:
            raise engine.compilation_error("syntax error line 1 at position 0 unexpected '%s'." % text[:20])
        privs, on, obj, gto, grantee = ["USAGE"], "ROLE", ident(r.group(1)), r.group(2).upper(), ident(r.group(3))
    else:
        privs = [p.strip().upper() for p in g.group(1).split(",")]
        on, obj = " ".join(g.group(2).upper().split()), ".".join(split_name(g.group(3)))
        gto, grantee = (g.group(4) or "ROLE").upper(), ident(g.group(5))
    with app.objects.lock:
        grants = app.objects.data["grants"]
        for p in privs:
            rec = {"privilege": p, "granted_on": on, "name": obj, "granted_to": gto,
                   "grantee_name": grantee}
            existing = [x for x in grants if all(x[k] == rec[k] for k in rec)]
            if verb == "GRANT" and not existing:
                rec.update({"created_on": now_str(), "grant_option": "false",
                            "granted_by": caller_role(app, sess)})
                grants.append(rec)
            elif verb == "REVOKE":
                for x in existing:
                    grants.remove(x)
        app.objects.save()
    return status_result("Statement executed successfully.")


def show_grants(app, sess, m, sql):
    text = " ".join(sql.split())
    grants = app.objects.data["grants"]
    g = re.match(r"(?i)^show\s+grants\s+on\s+(.+?)\s+(\S+)$", text)
    t = re.match(r"(?i)^show\s+grants\s+(?:to|of)\s+(role|user|share)\s+(\S+)$", text)
    if g:
        on, obj = " ".join(g.group(1).upper().split()), ".".join(split_name(g.group(2)))
        sel = [x for x in grants if x["granted_on"] == on and (x["name"] == obj or x["name"].endswith("." + obj))]
    elif t:
        sel = [x for x in grants if x["granted_to"] == t.group(1).upper() and x["grantee_name"] == ident(t.group(2))]
    else:
        sel = list(grants)
    cols = ("created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name",
            "grant_option", "granted_by")
    return rows_result([(c, TEXT) for c in cols], [tuple(x.get(c) for c in cols) for x in sel])


def noop_ddl(app, sess, m, sql):
    sess.implicit_commit()
    kind = m.group(1).title()
    return status_result("%s %s successfully created." % (kind, ident(m.group(2))))


def create_warehouse(app, sess, m, sql):
    name = ident(m.group(3))
    with app.objects.lock:
        whs = app.objects.data.setdefault("warehouses", {})
        if app.objects.warehouse_exists(name):
            if m.group(2):
                return status_result("%s already exists, statement succeeded." % name)
            if not m.group(1):
                raise already_exists(name)
        whs[name] = {"created_on": now_str(), "owner": caller_role(app, sess)}
        app.objects.save()
    sess.warehouse = name  # CREATE WAREHOUSE makes it the session's current warehouse
    return status_result("Warehouse %s successfully created." % name)


def drop_warehouse(app, sess, m, sql):
    name = ident(m.group(2))
    with app.objects.lock:
        if app.objects.data.setdefault("warehouses", {}).pop(name, None) is None:
            if m.group(1):
                return status_result("Drop statement executed successfully (%s already dropped)." % name)
            raise not_exist("Warehouse", name)
        app.objects.save()
    if sess.warehouse == name:
        sess.warehouse = None
    return status_result("%s successfully dropped." % name)


def use_warehouse(app, sess, m, sql):
    name = ident(m.group(1))
    if not app.objects.warehouse_exists(name):
        # code UNCONFIRMED
        raise SqlError("002043", "02000", "SQL compilation error:\nObject does not exist, or operation cannot be performed.")
    sess.warehouse = name
    return status_result("Statement executed successfully.")


def show_warehouses(app, sess, m, sql):
    names = set(app.objects.data.get("warehouses", {}))
    try:
        with open(os.path.join(app.state, "warehouses.json")) as f:
            names.update(json.load(f))
    except (OSError, ValueError):
        pass
    out = [(n, "STARTED", "STANDARD", "X-Small", "Y" if n == sess.warehouse else "N") for n in sorted(names)]
    out = like_filter(out, m.group(1), key=lambda r: r[0])
    return rows_result([(c, TEXT) for c in ("name", "state", "type", "size", "is_current")], out)


SESSION_STATEMENTS = [(re.compile(p, re.I | re.S), k) for p, k in [
    (r"^(?:begin|start\s+transaction)\b", "BEGIN"), (r"^commit\b", "COMMIT"),
    (r"^rollback\b", "ROLLBACK"), (r"^use\b", "USE"), (r"^alter\s+session\b", "ALTER SESSION"),
    (r"^set\b", "SET"), (r"^unset\b", "UNSET"),
    (r"^create\s+(?:or\s+replace\s+)?(?:local\s+|global\s+)?temp(?:orary)?\s+(?:table|stage)\b", "CREATE TEMPORARY"),
]]


def session_statement(sql):
    """The kind of a statement the SQL API allows only inside a multi-statement request
    (transactions, session context, session variables, temporary tables and stages), or None."""
    s = engine.strip_comments(sql).strip()
    for pat, kind in SESSION_STATEMENTS:
        if pat.match(s):
            return kind
    return None


def needs_warehouse(sql):
    """Queries that read tables, DML and COPY run on a warehouse; DDL, SHOW, DESC, USE and
    constant SELECTs do not."""
    s = re.sub(r"'(?:[^'\\]|''|\\.)*'", "''", engine.strip_comments(sql).strip())
    w = s.split(None, 1)[0].lower() if s else ""
    w = w.lstrip("(")
    if w in ("insert", "update", "delete", "merge", "copy", "call"):
        return True
    if w in ("select", "with"):
        return re.search(r"(?i)\bfrom\b", s) is not None
    if w == "create" and not re.match(r"(?is)^create\s+(?:or\s+replace\s+)?(?:secure\s+)?(?:materialized\s+)?(?:view|pipe|task|stream)\b", s):
        return re.search(r"(?is)\bas\s*\(?\s*(?:select|with)\b", s) is not None
    return False


def noop(app, sess, m, sql):
    return status_result("Statement executed successfully.")


# ================================================================ SYSTEM$WAIT

def system_wait(app, sess, m, sql):
    amount = float(m.group(1))
    unit = (m.group(2) or "SECONDS").upper()
    secs = amount * {"SECONDS": 1, "MILLISECONDS": 0.001, "MINUTES": 60, "HOURS": 3600}.get(unit, 1)
    end = time.time() + secs
    while time.time() < end:
        if sess.cancel_event.wait(min(0.05, max(0, end - time.time()))):
            raise engine.Canceled()
    label = "SYSTEM$WAIT(%s)" % m.group(0)[m.group(0).find("(") + 1:m.group(0).rfind(")")].strip()
    return rows_result([(label.upper(), TEXT)], [("waited %s seconds" % m.group(1),)])


# ================================================================ S3 access

def s3_client(app, integration):
    import boto3
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if integration is None:
        return boto3.client("s3", endpoint_url=endpoint, region_name=region)
    spec = get_integration(app, integration)
    if not spec["enabled"]:
        raise SqlError("091003", "22000", "Failure using stage area. Cause: [integration %s is disabled]" % integration)
    # Snowflake assumes the integration's role with its external ID (research §4.2).
    own = {}
    if os.environ.get("SF_STANDIN_AWS_ACCESS_KEY_ID"):
        # the credentials of "Snowflake's" IAM user, when the stack made one in the AWS stand-in
        own = {"aws_access_key_id": os.environ["SF_STANDIN_AWS_ACCESS_KEY_ID"],
               "aws_secret_access_key": os.environ.get("SF_STANDIN_AWS_SECRET_ACCESS_KEY", "")}
    sts = boto3.client("sts", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_STS") or os.environ.get("AWS_ENDPOINT_URL"),
                       region_name=region, **own)
    try:
        creds = sts.assume_role(RoleArn=spec["role_arn"], RoleSessionName="snowflake",
                                ExternalId=spec["external_id"])["Credentials"]
    except Exception as e:
        raise SqlError("091003", "22000", "Failure using stage area. Cause: [Access Denied (assume role %s: %s)]"
                       % (spec["role_arn"], str(e).split("\n")[0]))
    return boto3.client("s3", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def split_s3(url):
    m = re.match(r"^s3://([^/]+)/?(.*)$", url)
    return m.group(1), m.group(2)


# ================================================================ COPY INTO <table>

COPY_COLS = [("file", TEXT), ("status", TEXT), ("rows_parsed", NUM), ("rows_loaded", NUM),
             ("error_limit", NUM), ("errors_seen", NUM), ("first_error", TEXT),
             ("first_error_line", NUM), ("first_error_character", NUM),
             ("first_error_column_name", TEXT)]

ELEMENT = re.compile(r'(?:\b[A-Za-z_]\w*\.)?\$1\s*:\s*("(?:[^"]|"")*"|[A-Za-z_][\w$]*)')


def parse_copy(sql):
    m = re.match(r"(?is)^copy\s+into\s+" + NAME + r"\s*", sql)
    if not m:
        return None
    table = m.group(1)
    i = m.end()
    cols = None
    if i < len(sql) and sql[i] == "(":
        k = matching_paren(sql, i)
        cols = [ident(c) for c in split_top(sql[i + 1:k])]
        i = k + 1
    mf = re.compile(r"(?is)\s*from\s+").match(sql, i)
    if not mf:
        raise engine.compilation_error("syntax error line 1 at position %d unexpected '%s'." % (i, sql[i:i + 10]))
    i = mf.end()
    select = None
    if sql[i] == "(":
        k = matching_paren(sql, i)
        select = sql[i + 1:k].strip()
        i = k + 1
        fpos = find_top_keyword(select, "from")
        if not select.lower().startswith("select") or fpos < 0:
            raise engine.compilation_error("COPY transformation must be a SELECT ... FROM @stage.")
        exprs = split_top(select[6:fpos])
        src = select[fpos + 4:].strip()
        for bad in ("where", "order", "limit", "group", "join"):
            if find_top_keyword(src, bad) >= 0:
                raise engine.compilation_error("unsupported feature in COPY transformation: %s." % bad.upper())
        parts = src.split()
        source = parts[0]
        alias = parts[-1] if len(parts) > 1 else None
    else:
        ms = re.compile(r"('(?:[^']|'')*'|@\S+)").match(sql, i)
        if not ms:
            raise engine.compilation_error("syntax error in COPY source.")
        source, exprs, alias = ms.group(1), None, None
        i = ms.end()
    opts = scan_options(sql[i:])
    return {"table": table, "cols": cols, "exprs": exprs, "source": source, "alias": alias, "opts": opts}


def resolve_source(app, sess, source, opts, in_transform):
    """-> (s3 url prefix, integration name or None, stage record or None)"""
    if source.startswith("'"):
        url = unquote(source)
        if in_transform:
            raise SqlError("001011", "42601", "SQL compilation error:\ninvalid URL prefix found in: '%s'" % url)
        if not url.startswith("s3://"):
            raise SqlError("001011", "42601", "SQL compilation error:\ninvalid URL prefix found in: '%s'" % url)
        integ = ident(opts["STORAGE_INTEGRATION"]) if "STORAGE_INTEGRATION" in opts else None
        if integ:
            if not location_allowed(get_integration(app, integ), url):
                raise SqlError("003079", "22000", "SQL execution error: URL '%s' is not allowed by integration %s" % (url, integ))
        return url, integ, None
    body = source[1:]
    if body.startswith("~") or body.startswith("%"):
        raise SqlError("000002", "0A000", "Unsupported feature: internal stages are not emulated.")
    m = re.match(r'^((?:"[^"]*"|[^/."]+)(?:\.(?:"[^"]*"|[^/."]+)){0,2})(/.*)?$', body)
    if not m:
        raise engine.compilation_error("invalid stage reference '%s'." % source)
    stage = get_stage(app, sess, m.group(1))
    if not stage["url"]:
        raise SqlError("000002", "0A000", "Unsupported feature: internal stages are not emulated.")
    path = (m.group(2) or "").lstrip("/")
    base = stage["url"]
    url = base + path if base.endswith("/") or not path else base + "/" + path
    if stage["integration"]:
        spec = get_integration(app, stage["integration"])
        if not location_allowed(spec, url):
            raise SqlError("003079", "22000", "SQL execution error: URL '%s' is not allowed by integration %s" % (url, stage["integration"]))
    return url, stage["integration"], stage


def file_format_of(app, sess, opts, stage):
    ff = dict(stage["file_format"]) if stage else {}
    if "FILE_FORMAT" in opts:
        ff = parse_file_format(opts["FILE_FORMAT"])
    if "FORMAT_NAME" in ff:
        fq = ".".join(sess.qualify(split_name(ff["FORMAT_NAME"])))
        named = app.objects.data["file_formats"].get(fq)
        if named is None:
            raise not_exist("File format", fq)
        ff = dict(named)
    return {k.upper(): str(v).upper() if k.upper() == "TYPE" else v for k, v in ff.items()}


def copy_into(app, sess, m, sql):
    spec = parse_copy(sql)
    if spec is None:
        return None
    opts = spec["opts"]
    ff = file_format_of(app, sess, opts, None)
    url, integ, stage = resolve_source(app, sess, spec["source"], opts, spec["exprs"] is not None)
    if stage and "FILE_FORMAT" not in opts:
        ff = file_format_of(app, sess, {}, stage)
    if ff.get("TYPE", "CSV") != "PARQUET":
        raise SqlError("000002", "0A000", "Unsupported feature: the stand-in only loads TYPE = PARQUET (got %s)." % ff.get("TYPE", "CSV"))
    on_error = unquote(opts.get("ON_ERROR", "ABORT_STATEMENT")).upper()
    if on_error not in ("ABORT_STATEMENT", "SKIP_FILE"):
        raise SqlError("000002", "0A000", "Unsupported feature: ON_ERROR = %s is not emulated." % on_error)
    force = unquote(opts.get("FORCE", "FALSE")).upper() == "TRUE"
    match_by = unquote(opts.get("MATCH_BY_COLUMN_NAME", "NONE")).upper()
    if match_by != "NONE" and spec["exprs"] is not None:
        raise SqlError("002016", "0A000", "SQL compilation error:\nmatch_by_column_name is not supported with copy transform.")
    for bad in ("VALIDATION_MODE", "PURGE", "LOAD_UNCERTAIN_FILES", "INCLUDE_METADATA", "SIZE_LIMIT"):
        if bad in opts and not (bad == "PURGE" and unquote(opts[bad]).upper() == "FALSE"):
            raise SqlError("000002", "0A000", "Unsupported feature: %s is not emulated." % bad)

    tdb, tschema, tname = sess.qualify(split_name(spec["table"]))
    tq = '"%s"."%s"."%s"' % (tdb, tschema, tname)
    engine.Catalog(sess).check_table((tdb, tschema, tname))  # exact case, as Snowflake
    try:
        tcols = [(r[0], r[1]) for r in sess.db.cursor().execute("DESCRIBE " + tq).fetchall()]
    except duckdb.Error:
        raise engine.object_missing(tdb, tschema, tname)
    for c in spec["cols"] or []:
        if c not in [n for n, _ in tcols]:
            raise engine.invalid_identifier(c)

    if spec["exprs"] is None and match_by == "NONE" and not (len(tcols) == 1 and tcols[0][1].upper() == "JSON"):
        raise SqlError("002019", "0A000", "SQL compilation error:\nPARQUET file format can produce one and only one column of type variant, object, or array. Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with transformation.")
    bucket, prefix = split_s3(url)
    s3 = s3_client(app, integ)
    if "FILES" in opts:
        names = list_values(opts["FILES"])
        if len(names) > 1000:
            raise SqlError("001003", "42000", "SQL compilation error:\nFILES option is limited to 1000 files.")
        for n in names:
            if "://" in n:
                raise SqlError("001011", "42601", "SQL compilation error:\ninvalid file name '%s': files must be relative to the stage location." % n)
        keys = [prefix + n for n in names]
        listed = None
    else:
        keys, listed = [], {}
        pager = s3.get_paginator("list_objects_v2")
        try:
            for page in pager.paginate(Bucket=bucket, Prefix=prefix):
                for o in page.get("Contents", []):
                    if not o["Key"].endswith("/"):
                        keys.append(o["Key"])
                        listed[o["Key"]] = o
        except Exception as e:
            raise SqlError("091003", "22000", "Failure using stage area. Cause: [%s]" % str(e).split("\n")[0])
        if "PATTERN" in opts:
            rx = re.compile(unquote(opts["PATTERN"]))
            keys = [k for k in keys if rx.fullmatch(k)]

    hist_key = "%s.%s.%s" % (tdb, tschema, tname)
    history = app.objects.data["load_history"].get(hist_key, {})
    work = tempfile.mkdtemp(dir=app.objects.tmpdir)
    results, loaded = [], []
    own_txn = not sess.in_txn
    try:
        files = []
        for key in keys:
            furl = "s3://%s/%s" % (bucket, key)
            local = os.path.join(work, "%d.parquet" % len(files))
            try:
                head = s3.head_object(Bucket=bucket, Key=key)
                s3.download_file(bucket, key, local)
            except Exception as e:
                msg = str(e)
                if "404" in msg or "Not Found" in msg or "NoSuchKey" in msg:
                    err = ("Remote file '%s' was not found. There are several potential causes. The file "
                           "might not exist. The required credentials may be missing or invalid." % furl)
                else:
                    err = "Failure using stage area. Cause: [%s]" % msg.split("\n")[0]
                if on_error == "ABORT_STATEMENT":
                    raise SqlError("091016" if "not found" in err else "091003", "22000", err)
                results.append((furl, "LOAD_FAILED", 0, 0, 1, 1, err, None, None, None))
                continue
            etag = head.get("ETag", "").strip('"')
            if not force and history.get(furl) == etag:
                continue  # already loaded, unchanged: skipped silently
            files.append((key, furl, local, etag))
        if not files and not results:
            return status_result("Copy executed with 0 files processed.")

        sess.lock_table((tdb, tschema, tname))  # waits for another transaction's DML on the table
        if own_txn:
            sess.cur.execute("BEGIN TRANSACTION")
        else:
            sess.begin_duck()
        for key, furl, local, etag in files:
            select, nrows = build_select(sess, spec, tcols, local, key, match_by)
            cols_sql = ""
            if spec["cols"]:
                cols_sql = "(" + ", ".join('"%s"' % c.replace('"', '""') for c in spec["cols"]) + ")"
            insert = "INSERT INTO %s %s %s" % (tq, cols_sql, select)
            err = validate(sess, select)
            if err is not None:
                if on_error == "ABORT_STATEMENT":
                    raise SqlError(err.code, err.sqlstate, "%s\n  File '%s', line 1, character 1\n  Row 1 starts at line 0" % (err.message, key))
                results.append((furl, "LOAD_FAILED", nrows, 0, 1, 1, err.message, 1, 1, None))
                continue
            try:
                n = sess.cur.execute(insert).fetchone()[0]
            except duckdb.Error as e:
                raise engine.map_duck_error(e)
            results.append((furl, "LOADED", nrows, n, 1, 0, None, None, None, None))
            loaded.append((furl, etag))
        if own_txn:
            sess.cur.execute("COMMIT")
            own_txn = False
    except BaseException:
        if own_txn:
            try:
                sess.cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def record():
        with app.objects.lock:
            h = app.objects.data["load_history"].setdefault(hist_key, {})
            for furl, etag in loaded:
                h[furl] = etag
            app.objects.save()
    sess.after_commit(record)
    total = sum(r[3] for r in results)
    return rows_result(COPY_COLS, results, {"numRowsInserted": total})


def validate(sess, select):
    """Run the transformed SELECT on a separate connection: a failing file must not poison
    the session's transaction (Snowflake rolls back only the failed statement)."""
    cur = sess.db.cursor()
    try:
        cur.execute(select)
        while cur.fetchmany(65536):
            pass
        return None
    except duckdb.Error as e:
        return engine.map_duck_error(e)
    finally:
        cur.close()


def build_select(sess, spec, tcols, local, key, match_by):
    lit = "'%s'" % local.replace("'", "''")
    cur = sess.db.cursor()
    try:
        pcols = [r[0] for r in cur.execute("DESCRIBE SELECT * FROM read_parquet(%s)" % lit).fetchall()]
        nrows = cur.execute("SELECT count(*) FROM read_parquet(%s)" % lit).fetchone()[0]
    except duckdb.Error as e:
        raise SqlError("100084", "22000", "Error parsing the parquet file: %s\n  File '%s'" % (str(e).split("\n")[0], key))
    finally:
        cur.close()
    src = "read_parquet(%s, file_row_number = true) AS \"__T\"" % lit
    if spec["exprs"] is None:
        if match_by == "NONE":
            if len(tcols) == 1 and tcols[0][1].upper() == "JSON":
                return "SELECT to_json(\"__T\") FROM read_parquet(%s) AS \"__T\"" % lit, nrows
            raise SqlError("002019", "0A000", "SQL compilation error:\nPARQUET file format can produce one and only one column of type variant, object, or array. Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with transformation.")
        sel = []
        for name, _ in tcols:
            hit = [p for p in pcols if (p == name if match_by == "CASE_SENSITIVE" else p.upper() == name.upper())]
            sel.append('"%s"' % hit[0].replace('"', '""') if hit else "NULL")
        return "SELECT %s FROM %s" % (", ".join(sel), src), nrows
    exprs = []
    for e in spec["exprs"]:
        def element(mm):
            name = mm.group(1)
            name = name[1:-1].replace('""', '"') if name.startswith('"') else name
            # element names are case-sensitive; a miss is NULL, not an error
            return '"%s"' % name.replace('"', '""') if name in pcols else "NULL"
        t = ELEMENT.sub(element, e)
        t = re.sub(r"(?i)\bmetadata\$filename\b", "'%s'" % key.replace("'", "''"), t)
        t = re.sub(r"(?i)\bmetadata\$file_row_number\b", '("file_row_number" + 1)', t)
        t = re.sub(r"(?i)\bmetadata\$start_scan_time\b", "CURRENT_TIMESTAMP()", t)
        t = re.sub(r"(?<![\w$])(?:[A-Za-z_]\w*\.)?\$1(?![\w:])", '"__WHOLE_ROW__"', t)
        exprs.append(t)
    if spec["cols"] is not None and len(spec["cols"]) != len(exprs):
        raise SqlError("002020", "21S01", "SQL compilation error:\nInsert value list does not match column list expecting %d but got %d" % (len(spec["cols"]), len(exprs)))
    try:
        duck, _ = engine.translate("SELECT %s FROM \"__SRC__\"" % ", ".join(exprs))
    except SqlError:
        raise
    duck = duck.replace('"__WHOLE_ROW__"', 'to_json("__T")')
    duck = duck.replace('"__SRC__"', src)
    # quoted element names must keep their exact case (translate() leaves quoted names alone)
    return duck, nrows


# ================================================================ pipes

def sqs_queue_arn(app):
    import boto3
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL"),
                       region_name=region)
    h = hashlib.sha256(app.objects.account().encode()).hexdigest()
    name = "sf-snowpipe-%s" % h[:20].upper()
    try:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    except Exception as e:
        raise SqlError("000603", "XX000", "SQL execution internal error: cannot create the pipe's queue: %s" % str(e).split("\n")[0])


def create_pipe(app, sess, m, sql):
    replace, name, if_not, rest = bool(m.group(1)), m.group(3), bool(m.group(2)), m.group(4)
    sess.implicit_commit()
    pos = find_top_keyword(rest, "as")
    if pos < 0:
        raise engine.compilation_error("syntax error: CREATE PIPE requires AS COPY INTO ...")
    opts = scan_options(rest[:pos])
    definition = rest[pos + 2:].strip()
    spec = parse_copy(definition)
    if spec is None:
        raise engine.compilation_error("a pipe's definition must be a COPY INTO <table> statement.")
    for bad in ("FILES", "FORCE", "PURGE", "SIZE_LIMIT", "RETURN_FAILED_ONLY", "VALIDATION_MODE"):
        if bad in spec["opts"]:
            raise SqlError("000002", "0A000", "Copy option %s is not supported in a pipe definition." % bad)
    if unquote(spec["opts"].get("ON_ERROR", "SKIP_FILE")).upper() == "ABORT_STATEMENT":
        raise SqlError("000002", "0A000", "Copy option ON_ERROR = ABORT_STATEMENT is not supported in a pipe definition.")
    resolve_source(app, sess, spec["source"], spec["opts"], spec["exprs"] is not None)
    fq = sess.qualify(split_name(name))
    key = ".".join(fq)
    auto = unquote(opts.get("AUTO_INGEST", "FALSE")).upper() == "TRUE"
    with app.objects.lock:
        pipes = app.objects.data["pipes"]
        if key in pipes and not replace:
            if if_not:
                return status_result("%s already exists, statement succeeded." % fq[2])
            raise already_exists(fq[2])
    channel = sqs_queue_arn(app) if auto else None
    with app.objects.lock:
        app.objects.data["pipes"][key] = {
            "created_on": now_str(), "name": fq[2], "database_name": fq[0], "schema_name": fq[1],
            "definition": definition, "owner": caller_role(app, sess), "notification_channel": channel,
            "comment": unquote(opts.get("COMMENT", "''")), "integration": None, "pattern": None,
            "error_integration": opts.get("ERROR_INTEGRATION"), "owner_role_type": "ROLE",
            "invalid_reason": None, "kind": "STAGE", "auto_ingest": auto}
        app.objects.save()
    return status_result("Pipe %s successfully created." % fq[2])


PIPE_COLS = ("created_on", "name", "database_name", "schema_name", "definition", "owner",
             "notification_channel", "comment", "integration", "pattern", "error_integration",
             "owner_role_type", "invalid_reason", "kind")


def show_pipes(app, sess, m, sql):
    rows = [tuple(p.get(c) for c in PIPE_COLS) for p in sorted(
        app.objects.data["pipes"].values(), key=lambda p: (p["database_name"], p["schema_name"], p["name"]))]
    rows = in_scope(sess, m.group(2), rows, 2, 3)
    rows = like_filter(rows, m.group(1))
    return rows_result([(c, TEXT) for c in PIPE_COLS], rows)


def desc_pipe(app, sess, m, sql):
    key = ".".join(sess.qualify(split_name(m.group(1))))
    p = app.objects.data["pipes"].get(key)
    if p is None:
        raise not_exist("Pipe", key)
    return rows_result([(c, TEXT) for c in PIPE_COLS], [tuple(p.get(c) for c in PIPE_COLS)])


def drop_pipe(app, sess, m, sql):
    sess.implicit_commit()
    fq = sess.qualify(split_name(m.group(2)))
    with app.objects.lock:
        if app.objects.data["pipes"].pop(".".join(fq), None) is None:
            if m.group(1):
                return status_result("Drop statement executed successfully (%s already dropped)." % fq[2])
            raise not_exist("Pipe", ".".join(fq))
        app.objects.save()
    return status_result("%s successfully dropped." % fq[2])


def pipe_status(app, sess, m, sql):
    name = unquote(m.group(1))
    key = ".".join(sess.qualify(split_name(name)))
    p = app.objects.data["pipes"].get(key)
    if p is None:
        raise not_exist("Pipe", key)
    st = {"executionState": "PAUSED" if p.get("paused") else "RUNNING", "pendingFileCount": 0,
          "notificationChannelName": p["notification_channel"],
          "numOutstandingMessagesOnChannel": 0}
    if p.get("last_ingested_file"):
        st["lastIngestedFilePath"] = p["last_ingested_file"]
        st["lastIngestedTimestamp"] = p["last_ingested_at"]
    return rows_result([(m.group(0)[m.group(0).lower().find("system$"):].rstrip(";").upper(), TEXT)],
                       [(json.dumps(st),)])


# ================================================================ TRUNCATE clears load metadata

def truncate(app, sess, sql, bindings):
    m = re.match(r"(?is)^truncate\s+(?:table\s+)?(?:if\s+exists\s+)?" + NAME + r"\s*$", sql)
    if not m:
        return None
    res = sess.run_core(sql, bindings)
    key = ".".join(sess.qualify(split_name(m.group(1))))

    def clear():
        with app.objects.lock:
            if app.objects.data["load_history"].pop(key, None) is not None:
                app.objects.save()
    sess.after_commit(clear)
    return res


HANDLERS = [(re.compile(p, re.I | re.S), f) for p, f in [
    (r"^alter\s+user\s+(?:if\s+exists\s+)?(\S+)\s+(.*)$", alter_user),
    (r"^create\s+(or\s+replace\s+)?user\s+(if\s+not\s+exists\s+)?(\S+)(.*)$", create_user),
    (r"^desc(?:ribe)?\s+user\s+(\S+)\s*$", desc_user),
    (r"^create\s+(or\s+replace\s+)?storage\s+integration\s+(if\s+not\s+exists\s+)?(\S+)(.*)$", create_integration),
    (r"^desc(?:ribe)?\s+(?:storage\s+)?integration\s+(\S+)\s*$", desc_integration),
    (r"^show\s+(?:storage\s+)?integrations(?:\s+like\s+('(?:[^']|'')*'))?\s*$", show_integrations),
    (r"^drop\s+(?:storage\s+)?integration\s+(if\s+exists\s+)?(\S+)\s*$", drop_integration),
    (r"^alter\s+(?:storage\s+)?integration\s+(?:if\s+exists\s+)?(\S+)\s+(.*)$", alter_integration),
    (r"^create\s+(or\s+replace\s+)?(?:temp(?:orary)?\s+)?stage\s+(if\s+not\s+exists\s+)?" + NAME + r"(\s+if\s+not\s+exists)?(.*)$", create_stage),
    (r"^drop\s+stage\s+(if\s+exists\s+)?(\S+)\s*$", drop_stage),
    (r"^(?:list|ls)\s+@" + NAME + r"(/\S*)?(?:\s+pattern\s*=\s*('(?:[^']|'')*'))?\s*;?\s*$", list_stage),
    (r"^show\s+stages(?:\s+like\s+('(?:[^']|'')*'))?(\s+in\s+.*?)?\s*$", show_stages),
    (r"^create\s+(or\s+replace\s+)?file\s+format\s+(if\s+not\s+exists\s+)?(\S+)(.*)$", create_file_format),
    (r"^drop\s+file\s+format\s+(if\s+exists\s+)?(\S+)\s*$", drop_file_format),
    (r"^(grant|revoke)\s+.*$", grant),
    (r"^show\s+(?:future\s+)?grants\b.*$", show_grants),
    (r"^create\s+(or\s+replace\s+)?warehouse\s+(if\s+not\s+exists\s+)?(\S+).*$", create_warehouse),
    (r"^drop\s+warehouse\s+(if\s+exists\s+)?(\S+)\s*$", drop_warehouse),
    (r"^use\s+warehouse\s+(\S+)\s*$", use_warehouse),
    (r"^show\s+warehouses(?:\s+like\s+('(?:[^']|'')*'))?\s*$", show_warehouses),
    (r"^create\s+(?:or\s+replace\s+)?(role)\s+(?:if\s+not\s+exists\s+)?(\S+).*$", noop_ddl),
    (r"^(?:alter\s+(?:warehouse|role)|drop\s+role)\s+.*$", noop),
    (r"^select\s+system\$wait\s*\(\s*(\d+(?:\.\d+)?)\s*(?:,\s*'(\w+)'\s*)?\)\s*(?:as\s+\S+\s*)?$", system_wait),
    (r"^copy\s+into\s+.*$", copy_into),
    (r"^create\s+(or\s+replace\s+)?pipe\s+(if\s+not\s+exists\s+)?(\S+)(.*)$", create_pipe),
    (r"^show\s+pipes(?:\s+like\s+('(?:[^']|'')*'))?(\s+in\s+.*?)?\s*$", show_pipes),
    (r"^desc(?:ribe)?\s+pipe\s+(\S+)\s*$", desc_pipe),
    (r"^drop\s+pipe\s+(if\s+exists\s+)?(\S+)\s*$", drop_pipe),
    (r"^select\s+system\$pipe_status\s*\(\s*('(?:[^']|'')*')\s*\)\s*$", pipe_status),
]]


# ================================================================ Snowpipe auto-ingest

def pipe_session(app, pipe):
    body = {"database": pipe["database_name"], "schema": pipe["schema_name"], "role": pipe["owner"]}
    return engine.Session(app.db, "SNOWPIPE", body, {"TIMEZONE": "UTC"}, threading.Event())


def pipe_load(app, pipe, keys=None):
    """Run the pipe's COPY (default ON_ERROR = SKIP_FILE) for the given stage-relative files,
    or for everything under the stage path when keys is None (ALTER PIPE ... REFRESH)."""
    spec_sql = pipe["definition"]
    extra = ""
    if "ON_ERROR" not in parse_copy(spec_sql)["opts"]:
        extra += " ON_ERROR = SKIP_FILE"
    if keys is not None:
        extra += " FILES = (%s)" % ", ".join("'%s'" % k.replace("'", "''") for k in keys)
    sess = pipe_session(app, pipe)
    try:
        res = copy_into(app, sess, None, spec_sql + extra)
        rows = [r for batch in res.batches for r in batch]
    finally:
        sess.close()
    with app.objects.lock:
        p = app.objects.data["pipes"].get("%s.%s.%s" % (pipe["database_name"], pipe["schema_name"], pipe["name"]))
        if p is not None:
            for r in rows:
                if len(r) > 1 and r[1] == "LOADED":
                    p["last_ingested_file"] = r[0]
                    p["last_ingested_at"] = now_str()
            app.objects.save()
    return rows


def pipe_poller(app, stop):
    """Read S3 event notifications from the pipes' SQS queue and load the new objects."""
    import boto3
    sqs = None
    while not stop.is_set():
        pipes = [p for p in list(app.objects.data["pipes"].values())
                 if p.get("auto_ingest") and not p.get("paused")]
        if not pipes:
            stop.wait(1.0)
            continue
        try:
            if sqs is None:
                region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
                sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL"),
                                   region_name=region)
            arn = pipes[0]["notification_channel"]
            url = sqs.get_queue_url(QueueName=arn.split(":")[-1])["QueueUrl"]
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        except Exception:
            stop.wait(2.0)
            continue
        for msg in msgs:
            try:
                body = json.loads(msg["Body"])
                if "Message" in body and isinstance(body["Message"], str):  # via SNS
                    body = json.loads(body["Message"])
                for rec in body.get("Records", []):
                    if not str(rec.get("eventName", "")).startswith("ObjectCreated"):
                        continue
                    from urllib.parse import unquote_plus
                    bucket = rec["s3"]["bucket"]["name"]
                    key = unquote_plus(rec["s3"]["object"]["key"])
                    url_ = "s3://%s/%s" % (bucket, key)
                    for p in pipes:
                        spec = parse_copy(p["definition"])
                        sess = pipe_session(app, p)
                        try:
                            base, _, _ = resolve_source(app, sess, spec["source"], spec["opts"], spec["exprs"] is not None)
                        finally:
                            sess.close()
                        if url_.startswith(base):
                            pipe_load(app, p, [url_[len(base):]])
            except Exception as e:  # a bad message must not stop the poller
                import sys
                sys.stderr.write("sf-standin: pipe: %s\n" % e)
            finally:
                try:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
                except Exception:
                    pass


def alter_pipe(app, sess, m, sql):
    key = ".".join(sess.qualify(split_name(m.group(1))))
    p = app.objects.data["pipes"].get(key)
    if p is None:
        raise not_exist("Pipe", key)
    rest = m.group(2).strip()
    if re.match(r"(?i)^refresh\b", rest):
        rows = pipe_load(app, p)
        return rows_result([("File", TEXT), ("Status", TEXT)],
                           [(r[0], "SENT") for r in rows if len(r) > 1])
    mm = re.match(r"(?is)^set\s+pipe_execution_paused\s*=\s*(\w+)", rest)
    if mm:
        with app.objects.lock:
            p["paused"] = mm.group(1).upper() == "TRUE"
            app.objects.save()
    return status_result("Statement executed successfully.")


HANDLERS.append((re.compile(r"^alter\s+pipe\s+(\S+)\s+(.*)$", re.I | re.S), alter_pipe))


# ================================================================ catalog views in Snowflake's shape

def snowflake_type_name(duck):
    t = engine.sftype_of_duck(duck)
    k = t["type"]
    if k == "fixed":
        return "NUMBER(%d,%d)" % (t["precision"], t["scale"])
    return {"text": "VARCHAR(16777216)", "real": "FLOAT", "boolean": "BOOLEAN", "date": "DATE",
            "time": "TIME(9)", "timestamp_ntz": "TIMESTAMP_NTZ(9)", "timestamp_ltz": "TIMESTAMP_LTZ(9)",
            "timestamp_tz": "TIMESTAMP_TZ(9)", "binary": "BINARY(8388608)", "variant": "VARIANT",
            "object": "OBJECT", "array": "ARRAY"}.get(k, "VARCHAR(16777216)")


def desc_table(app, sess, m, sql):
    db, schema, name = sess.qualify(split_name(m.group(1)))
    engine.Catalog(sess).check_table((db, schema, name))
    try:
        rows = sess.cur.execute('DESCRIBE "%s"."%s"."%s"' % (db, schema, name)).fetchall()
    except duckdb.Error:
        raise not_exist("Table", "%s.%s.%s" % (db, schema, name), "42S02")
    tags = {n: cm for n, _, cm in table_columns(sess, (db, schema, name))
            if cm and cm.startswith(LEN_TAG)}
    out = [(r[0], tags[r[0]][len(LEN_TAG):] if r[0] in tags else snowflake_type_name(r[1]), "COLUMN",
            "Y" if r[2] == "YES" else "N", r[4], "N", "N", None, None, None, None, None, None) for r in rows]
    cols = ("name", "type", "kind", "null?", "default", "primary key", "unique key", "check",
            "expression", "comment", "policy name", "privacy domain", "schema evolution record")
    return rows_result([(c, TEXT) for c in cols], out)


def show_tables(app, sess, m, sql):
    rows = sess.db.cursor().execute(
        "SELECT database_name, schema_name, table_name, estimated_size FROM duckdb_tables() "
        "WHERE database_name <> ? ORDER BY 1, 2, 3", [engine.DEFAULT_CATALOG]).fetchall()
    rows = in_scope(sess, m.group(2), rows, 0, 1)
    out = [(None, r[2], r[0], r[1], "TABLE", "", None, r[3], None, None, "1") for r in rows]
    out = like_filter(out, m.group(1))
    cols = [("created_on", TEXT), ("name", TEXT), ("database_name", TEXT), ("schema_name", TEXT),
            ("kind", TEXT), ("comment", TEXT), ("cluster_by", TEXT), ("rows", NUM), ("bytes", NUM),
            ("owner", TEXT), ("retention_time", TEXT)]
    return rows_result(cols, out)


def show_databases(app, sess, m, sql):
    out = [(None, d, "N", "N", "", "", "", "", "1") for d in sorted(sess.db.databases())]
    out = like_filter(out, m.group(1))
    return rows_result([(c, TEXT) for c in ("created_on", "name", "is_default", "is_current", "origin",
                                            "owner", "comment", "options", "retention_time")], out)


def show_schemas(app, sess, m, sql):
    rows = sess.db.cursor().execute(
        "SELECT database_name, schema_name FROM duckdb_schemas() WHERE NOT internal AND database_name <> ? "
        "AND schema_name <> 'main' ORDER BY 1, 2", [engine.DEFAULT_CATALOG]).fetchall()
    db = ident(m.group(2)) if m.group(2) else sess.database
    out = [(None, r[1], "N", "N", r[0], "", "", "", "1") for r in rows if db is None or r[0] == db]
    out = like_filter(out, m.group(1))
    return rows_result([(c, TEXT) for c in ("created_on", "name", "is_default", "is_current",
                                            "database_name", "owner", "comment", "options",
                                            "retention_time")], out)


HANDLERS.extend((re.compile(p, re.I | re.S), f) for p, f in [
    (r"^desc(?:ribe)?\s+table\s+" + NAME + r"(?:\s+type\s*=\s*columns)?\s*$", desc_table),
    (r"^show\s+(?:terse\s+)?tables(?:\s+like\s+('(?:[^']|'')*'))?(\s+in\s+.*?)?\s*$", show_tables),
    (r"^show\s+(?:terse\s+)?databases(?:\s+like\s+('(?:[^']|'')*'))?\s*$", show_databases),
    (r"^show\s+(?:terse\s+)?schemas(?:\s+like\s+('(?:[^']|'')*'))?(?:\s+in\s+(?:database\s+)?(\S+))?\s*$", show_schemas),
])


# ================================================================ QUERY_HISTORY

QUERY_TYPES = [(re.compile(p, re.I | re.S), t) for p, t in [
    (r"^(?:begin|start\s+transaction)\b", "BEGIN_TRANSACTION"), (r"^commit\b", "COMMIT"),
    (r"^rollback\b", "ROLLBACK"), (r"^alter\s+session\b", "ALTER_SESSION"), (r"^use\b", "USE"),
    (r"^copy\s+into\b", "COPY"), (r"^insert\b", "INSERT"), (r"^update\b", "UPDATE"),
    (r"^delete\b", "DELETE"), (r"^merge\b", "MERGE"), (r"^truncate\b", "TRUNCATE_TABLE"),
    (r"^(?:select|with)\b", "SELECT"), (r"^create\s+(?:or\s+replace\s+)?table\b", "CREATE_TABLE"),
    (r"^show\b", "SHOW"), (r"^desc", "DESCRIBE"), (r"^drop\b", "DROP"), (r"^create\b", "CREATE"),
    (r"^alter\b", "ALTER"), (r"^grant\b", "GRANT"), (r"^revoke\b", "REVOKE"), (r"^call\b", "CALL"),
]]


def query_type(sql):
    s = engine.strip_comments(sql).strip()
    for pat, t in QUERY_TYPES:
        if pat.match(s):
            return t
    return "UNKNOWN"


QH_FUNC = re.compile(
    r'(?is)\bTABLE\s*\(\s*(?:("(?:[^"]|"")*"|[A-Za-z_][\w$]*)\s*\.\s*)?INFORMATION_SCHEMA\s*\.\s*'
    r'QUERY_HISTORY(_BY_USER|_BY_SESSION|_BY_WAREHOUSE)?\s*\(((?:[^()\']|\'(?:[^\']|\'\')*\'|\([^()]*\))*)\)\s*\)')
QH_COLS = [("QUERY_ID", "VARCHAR"), ("QUERY_TEXT", "VARCHAR"), ("DATABASE_NAME", "VARCHAR"),
           ("SCHEMA_NAME", "VARCHAR"), ("QUERY_TYPE", "VARCHAR"), ("SESSION_ID", "NUMBER"),
           ("USER_NAME", "VARCHAR"), ("ROLE_NAME", "VARCHAR"), ("WAREHOUSE_NAME", "VARCHAR"),
           ("QUERY_TAG", "VARCHAR"), ("EXECUTION_STATUS", "VARCHAR"), ("ERROR_CODE", "VARCHAR"),
           ("ERROR_MESSAGE", "VARCHAR"), ("START_TIME", "TIMESTAMP_LTZ"), ("END_TIME", "TIMESTAMP_LTZ"),
           ("TOTAL_ELAPSED_TIME", "NUMBER")]


def _qh_status(st):
    if st.status == "running":
        return "BLOCKED" if st.blocked else "RUNNING"
    return "SUCCESS" if st.status == "success" else "FAILED_WITH_ERROR"


def _qh_literal(v, t):
    if v is None:
        return "NULL::%s" % t
    if t == "TIMESTAMP_LTZ":
        return "TO_TIMESTAMP_LTZ(%d, 3)" % v
    if t == "NUMBER":
        return "%d::NUMBER" % int(v)
    return "'%s'::VARCHAR" % str(v).replace("'", "''")


def query_history_sql(app, sess, sql):
    """TABLE([db.]INFORMATION_SCHEMA.QUERY_HISTORY[_BY_USER|_BY_SESSION|_BY_WAREHOUSE](...)) ->
    the statements this server ran for the current user, newest first, RESULT_LIMIT (default
    100, at most 10000) of them, as a VALUES table the rest of the query filters."""
    m = QH_FUNC.search(sql)
    if not m:
        return sql
    if m.group(1):
        if ident(m.group(1)) not in sess.db.databases():
            raise SqlError("002003", "02000", "SQL compilation error:\nDatabase '%s' does not exist or not authorized." % ident(m.group(1)))
    elif not sess.database:
        raise SqlError("090105", "22000", "Cannot perform SELECT. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.")
    args = {}
    for a in split_top(m.group(3)) if m.group(3).strip() else []:
        k, sep, v = a.partition("=>")
        if not sep:
            raise engine.compilation_error("QUERY_HISTORY takes named arguments (NAME => value).")
        args[k.strip().upper()] = v.strip()
    limit = 100
    for k, v in args.items():
        if k == "RESULT_LIMIT":
            if not re.fullmatch(r"\d+", v) or not 1 <= int(v) <= 10000:
                raise SqlError("002079", "22023", "RESULT_LIMIT must be between 1 and 10000.")  # code UNCONFIRMED
            limit = int(v)
        elif k in ("USER_NAME", "SESSION_ID", "WAREHOUSE_NAME", "INCLUDE_CLIENT_GENERATED_STATEMENT"):
            pass
        else:  # END_TIME_RANGE_START/END: not emulated, refused rather than ignored
            raise SqlError("000002", "0A000", "Unsupported feature: QUERY_HISTORY argument %s is not emulated." % k)
    kind = (m.group(2) or "").upper()
    want_user = sess.user
    if kind == "_BY_USER" and "USER_NAME" in args:
        want_user = ident(unquote(args["USER_NAME"])) if args["USER_NAME"].upper() != "CURRENT_USER" else sess.user
    rows = []
    for st in app.history():
        i = st.info
        if i.get("user") != want_user:
            continue  # the caller's own queries (other users' need MONITOR privileges: not emulated)
        if kind == "_BY_SESSION" and str(i.get("session")) != str(unquote(args.get("SESSION_ID", sess.session_id))):
            continue
        if kind == "_BY_WAREHOUSE" and i.get("warehouse") != ident(unquote(args.get("WAREHOUSE_NAME", sess.warehouse or ""))):
            continue
        err = st.error or [None, None, None]
        end = st.ended if st.status != "running" else None
        rows.append((st.handle, i.get("text", "")[:100000], i.get("database"), i.get("schema"),
                     i.get("type", "UNKNOWN"), i.get("session") or 0, i.get("user"), i.get("role"),
                     i.get("warehouse"), i.get("tag", ""), _qh_status(st), err[0], err[2],
                     st.created, end, (end or int(time.time() * 1000)) - st.created))
        if len(rows) >= limit:
            break
    names = ", ".join(c for c, _ in QH_COLS)
    if rows:
        values = ", ".join("(" + ", ".join(_qh_literal(v, t) for v, (_, t) in zip(r, QH_COLS)) + ")" for r in rows)
        table = "(SELECT * FROM (VALUES %s) AS _QH(%s))" % (values, names)
    else:
        table = "(SELECT %s WHERE 1 = 0)" % ", ".join("%s AS %s" % (_qh_literal(None, t), c) for c, t in QH_COLS)
    return sql[:m.start()] + table + sql[m.end():]


# ================================================================ ALTER TABLE ... ADD / ALTER COLUMN

# Declared lengths DuckDB does not keep (its VARCHAR and BLOB have none) ride in the column's
# DuckDB comment as "sf:VARCHAR(50)", for DESC TABLE and for ALTER COLUMN's length rules.
LEN_TAG = "sf:"
MAX_LEN = {"VARCHAR": 16777216, "BINARY": 8388608}
DT = exp.DataType.Type


def sf_type(dt):
    """sqlglot DataType (Snowflake dialect) -> (family, a, b): NUMBER p s, VARCHAR n, BINARY n,
    FLOAT, BOOLEAN, DATE, TIME 9, TIMESTAMP_NTZ/LTZ/TZ 9, VARIANT, OBJECT, ARRAY."""
    T = dt.this
    args = [int(e.name) for e in dt.expressions if e.name.isdigit()]
    if T in engine.INT_TYPES:
        return ("NUMBER", 38, 0)
    if T == DT.DECIMAL:
        return ("NUMBER", args[0] if args else 38, args[1] if len(args) > 1 else 0)
    if T in (DT.VARCHAR, DT.TEXT, DT.NVARCHAR, DT.CHAR, DT.NCHAR):
        default = 1 if T in (DT.CHAR, DT.NCHAR) else MAX_LEN["VARCHAR"]
        return ("VARCHAR", args[0] if args else default, None)
    if T in (DT.BINARY, DT.VARBINARY):
        return ("BINARY", args[0] if args else MAX_LEN["BINARY"], None)
    if T in (DT.DOUBLE, DT.FLOAT):
        return ("FLOAT", None, None)
    if T in (DT.TIMESTAMP, DT.TIMESTAMPNTZ):
        return ("TIMESTAMP_NTZ", args[0] if args else 9, None)
    if T == DT.TIMESTAMPLTZ:
        return ("TIMESTAMP_LTZ", args[0] if args else 9, None)
    if T == DT.TIMESTAMPTZ:
        return ("TIMESTAMP_TZ", args[0] if args else 9, None)
    if T == DT.TIME:
        return ("TIME", args[0] if args else 9, None)
    name = dt.sql(dialect="snowflake").upper().split("(")[0]
    return (name, None, None)


def sf_type_text(t):
    """(family, a, b) -> the text DESC TABLE and the error messages show."""
    fam, a, b = t
    if fam == "NUMBER":
        return "NUMBER(%d,%d)" % (a, b)
    if fam in ("VARCHAR", "BINARY", "TIME") or fam.startswith("TIMESTAMP"):
        return "%s(%d)" % (fam, a)
    return fam


def sf_type_of_column(duck_type, comment):
    """A stored column -> (family, a, b), its recorded length first."""
    if comment and comment.startswith(LEN_TAG):
        return sf_type(exp.DataType.build(comment[len(LEN_TAG):], dialect="snowflake"))
    return sf_type(exp.DataType.build(snowflake_type_name(duck_type), dialect="snowflake"))


def table_columns(sess, where):
    """[(name, duck type, comment)] of a stored table, in order."""
    return sess.cur.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index", list(where)).fetchall()


def qname(where):
    return ".".join('"%s"' % p.replace('"', '""') for p in where)


def qcol(name):
    return '"%s"' % name.replace('"', '""')


def set_length_tag(sess, where, col, t):
    """Record a declared VARCHAR/BINARY length (none for the maximum)."""
    tag = None
    if t[0] in MAX_LEN and t[1] != MAX_LEN[t[0]]:
        tag = LEN_TAG + sf_type_text(t)
    sess.cur.execute("COMMENT ON COLUMN %s.%s IS %s" % (
        qname(where), qcol(col), "NULL" if tag is None else "'%s'" % tag))


def parse_sf(sql):
    """The statement as Snowflake reads it (names folded, types as written), or None."""
    import sqlglot
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
    try:
        return normalize_identifiers(sqlglot.parse_one(sql, read="snowflake"), dialect="snowflake")
    except Exception:
        return None


def record_lengths(sess, sql):
    """After CREATE TABLE (col type, ...): keep the declared VARCHAR/BINARY lengths."""
    tree = parse_sf(sql)
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        return
    where = engine.Catalog(sess).where(tree.this.this)
    if where is None:
        return
    for cd in tree.this.expressions:
        if isinstance(cd, exp.ColumnDef) and isinstance(cd.args.get("kind"), exp.DataType):
            t = sf_type(cd.args["kind"])
            if t[0] in MAX_LEN and t[1] != MAX_LEN[t[0]]:
                try:
                    set_length_tag(sess, where, cd.name, t)
                except duckdb.Error:
                    return  # a temporary table lives elsewhere: its lengths are not kept


def cannot_change(col, old, new, why=None):
    if why is None:  # code from third-party reports (002108 / 22000)
        return SqlError("002108", "22000", "SQL compilation error: cannot change column %s from type %s to %s"
                        % (col, sf_type_text(old), sf_type_text(new)))
    return SqlError("040052", "22000", "SQL compilation error: cannot change column %s from type %s to %s because %s"
                    % (col, sf_type_text(old), sf_type_text(new), why))


ALTER_TABLE = re.compile(r"(?is)^alter\s+table\s+(if\s+exists\s+)?" + NAME + r"\s+(add|alter|modify)\b\s*(.*)$")
NON_TYPE_ACTION = re.compile(r"(?is)^(?:drop\b|set\s+(?!data\b)|unset\b|comment\b)")
COLNAME = r'("(?:[^"]|"")*"|[A-Za-z_][\w$]*)'


def alter_table_columns(app, sess, m, sql):
    """ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c type [, ...] and
    ALTER TABLE t {ALTER|MODIFY} [(] [COLUMN] c [[SET DATA] TYPE] type [, ...] [)] with
    Snowflake's rules (research: ALTER TABLE ... ALTER COLUMN). Other ALTER TABLE actions go on
    to DuckDB as before."""
    if_exists, name, verb, rest = m.group(1), m.group(2), m.group(3).lower(), m.group(4).strip()
    if verb == "add" and re.match(r"(?i)^(?:constraint|primary|unique|foreign|row\s+access|search|tag|"
                                  r"data\s+metric|aggregation)\b", rest):
        return None
    items = []
    if verb == "add":
        for part in split_top(rest):
            mm = re.match(r"(?is)^(?:column\s+)?(if\s+not\s+exists\s+)?" + COLNAME + r"\s+(.+)$", part)
            if not mm:
                raise engine.compilation_error("syntax error line 1 at position 0 unexpected '%s'." % part[:20])
            items.append((bool(mm.group(1)), ident(mm.group(2)), mm.group(3).strip()))
    else:
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1]
        kinds = set()
        for part in split_top(rest):
            mm = re.match(r"(?is)^(?:column\s+)?" + COLNAME + r"\s+(.+)$", part)
            if not mm:
                raise engine.compilation_error("syntax error line 1 at position 0 unexpected '%s'." % part[:20])
            action = mm.group(2).strip()
            if NON_TYPE_ACTION.match(action):
                kinds.add("other")
                continue
            kinds.add("type")
            action = re.sub(r"(?is)^(?:set\s+data\s+)?type\s+", "", action)
            items.append((None, ident(mm.group(1)), action))
        if kinds == {"other"}:
            return None
        if len(kinds) > 1:
            raise SqlError("000002", "0A000", "Unsupported feature: a type change beside other column "
                                              "actions in one ALTER TABLE is not emulated by the stand-in.")
    sess.implicit_commit()  # DDL commits an open transaction first
    parts = split_name(name)
    where = sess.qualify(parts)
    cat = engine.Catalog(sess)
    if where not in cat.tables:
        if if_exists and not any(k[2] == where[2] and v == "temp" for k, v in cat.tables.items()):
            return status_result("Statement executed successfully.")
        cat.check_table(where)
        return None  # a temporary table (DuckDB's temp catalog): DuckDB's own ALTER, as before
    sess.lock_table(parts)  # waits for another transaction's DML on the table, as DML does
    cols = {n: (d, cm) for n, d, cm in table_columns(sess, where)}
    folded = {n.upper(): n for n in cols}
    if verb == "add":
        plan = []
        for if_not, col, spec in items:
            text = "ALTER TABLE x ADD COLUMN %s %s" % (qcol(col), spec)
            cd = engine.translate(text)[1].args["actions"][0]
            if col in cols or col in [p[0] for p in plan]:
                if if_not:
                    continue
                raise SqlError("001430", "42601", "SQL compilation error:\ncolumn '%s' already exists" % col)
            if col.upper() in folded:
                raise SqlError("000002", "0A000", "Unsupported feature: column '%s' beside column '%s' (the "
                               "same name in another case) cannot be held by the stand-in."
                               % (col, folded[col.upper()]))
            plan.append((col, cd, text))
        for col, cd, text in plan:
            try:
                sess.cur.execute("ALTER TABLE %s ADD COLUMN %s"
                                 % (qname(where), cd.sql(dialect="duckdb", identify=True)))
            except duckdb.Error as e:
                raise engine.map_duck_error(e)
            kind = parse_sf(text).args["actions"][0].args.get("kind")  # the type as written
            if isinstance(kind, exp.DataType):
                t = sf_type(kind)
                if t[0] in MAX_LEN and t[1] != MAX_LEN[t[0]]:
                    set_length_tag(sess, where, col, t)
        return status_result("Statement executed successfully.")
    steps = []
    for _, col, spec in items:
        if col not in cols:
            raise engine.invalid_identifier(col)
        try:
            new = sf_type(exp.DataType.build(spec, dialect="snowflake"))
        except Exception:
            raise engine.compilation_error("syntax error line 1 at position 0 unexpected '%s'." % spec[:20])
        old = sf_type_of_column(*cols[col])
        if old[0] != new[0]:
            raise cannot_change(col, old, new)
        if old[0] == "NUMBER":
            if new[2] != old[2]:
                raise cannot_change(col, old, new, "changing the scale of a number is not supported.")
            if new[1] < old[1]:
                limit = 10 ** (new[1] - new[2])
                big = sess.cur.execute("SELECT count(*) FROM %s WHERE abs(%s) >= %d"
                                       % (qname(where), qcol(col), limit)).fetchone()[0]
                if big:
                    raise cannot_change(col, old, new, "some existing values cannot be represented using "
                                        "precision %d instead of precision %d." % (new[1], old[1]))
            if new != old:
                steps.append("ALTER TABLE %s ALTER COLUMN %s SET DATA TYPE DECIMAL(%d,%d)"
                             % (qname(where), qcol(col), new[1], new[2]))
        elif old[0] in MAX_LEN:
            if new[1] < old[1]:  # code UNCONFIRMED, message from third-party reports
                raise cannot_change(col, old, new, "reducing the byte-length of a %s is not supported."
                                    % old[0].lower())
            steps.append((col, new))
        elif new != old:
            raise cannot_change(col, old, new)
    for s in steps:
        try:
            if isinstance(s, tuple):
                set_length_tag(sess, where, s[0], s[1])
            else:
                sess.cur.execute(s)
        except duckdb.Error as e:
            raise engine.map_duck_error(e)
    return status_result("Statement executed successfully.")


HANDLERS.append((ALTER_TABLE, alter_table_columns))
