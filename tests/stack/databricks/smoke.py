#!/usr/bin/env python3
"""Smoke test of the Databricks stand-in against the documented protocol.

usage: .venv/bin/python tests/stack/databricks/smoke.py [--keep]
Starts its own moto S3 and server.py on free loopback ports with a temporary state
directory, seeds a small trips table through the API (seed_trips.py --print-sql), checks
states, chunks, external links, parameters, errors, auth, OAuth, cancel, injection and an
export landing in S3; then drives the same server through databricks-sdk (sdk_checks.py);
stops both servers, prints "N passed, M failed", exits 1 on failure.
Takes 1-3 minutes (JVM start dominates).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_BIN = os.path.dirname(sys.executable)
PAT = "dapi-smoke-0123456789"
WH = "smoke0123456789"
RESULTS = {"passed": 0, "failed": 0}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
        print("ok   %s" % name)
    else:
        RESULTS["failed"] += 1
        print("FAIL %s %s" % (name, detail))


def http(method, url, body=None, headers=None, form=None):
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    elif form is not None:
        data = form.encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Api:
    def __init__(self, base):
        self.base = base
        self.auth = {"Authorization": "Bearer " + PAT}

    def post(self, body, auth=None):
        body = dict(body)
        body.setdefault("warehouse_id", WH)
        st, _h, b = http("POST", self.base + "/api/2.0/sql/statements", body,
                         self.auth if auth is None else auth)
        return st, json.loads(b)

    def get(self, path):
        st, _h, b = http("GET", self.base + path, headers=self.auth)
        return st, json.loads(b)

    def wait(self, sid, timeout=120):
        t = time.time()
        while time.time() - t < timeout:
            _st, r = self.get("/api/2.0/sql/statements/" + sid)
            if r["status"]["state"] not in ("PENDING", "RUNNING"):
                return r
            time.sleep(0.3)
        return r

    def run(self, statement, **kw):
        st, r = self.post(dict(kw, statement=statement, wait_timeout=kw.get("wait_timeout", "50s")))
        if st == 200 and r["status"]["state"] in ("PENDING", "RUNNING"):
            r = self.wait(r["statement_id"])
        return st, r


def main():
    keep = "--keep" in sys.argv
    state = tempfile.mkdtemp(prefix="dbx-smoke-")
    with open(os.path.join(state, "tokens.json"), "w") as f:
        json.dump({"pats": [PAT], "oauth_clients": {"sp-smoke": "sp-secret-smoke"},
                   "warehouses": [WH]}, f)
    s3port, port = free_port(), free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="smoke", AWS_SECRET_ACCESS_KEY="smoke",
               AWS_REGION="us-east-1", AWS_ENDPOINT_URL="http://127.0.0.1:%d" % s3port)
    env.pop("AWS_ENDPOINT_URL_S3", None)
    log = open(os.path.join(state, "server.log"), "w")
    moto = subprocess.Popen([os.path.join(VENV_BIN, "moto_server"), "-H", "127.0.0.1", "-p",
                             str(s3port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    srv = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), "--host", "127.0.0.1",
                            "--port", str(port), "--state", state, "--chunk-rows", "7"],
                           env=env, stdout=log, stderr=log)
    base = "http://127.0.0.1:%d" % port
    try:
        while time.time() - t0 < 300:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if srv.poll() is not None:
                    break
                time.sleep(0.5)
        ready = srv.poll() is None
        check("server accepts connections", ready, "see %s/server.log" % state)
        if not ready:
            return
        print("     (ready after %.1f s)" % (time.time() - t0))
        import boto3
        from botocore.config import Config
        s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="smoke", aws_secret_access_key="smoke",
                          config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="landing")
        s3.put_object(Bucket="landing", Key="exp/d=1/stale.parquet", Body=b"old")
        api = Api(base)
        scenario(api, base, s3)
        evolution(api, s3)
        import sdk_checks
        try:
            sdk_checks.run(check, base, PAT, WH, "sp-smoke", "sp-secret-smoke",
                           os.path.join(state, "tokens.json"))
        except Exception:
            import traceback
            check("databricks-sdk checks ran to the end", False, traceback.format_exc()[-1500:])
    finally:
        for p in (srv, moto):
            if p.poll() is None:
                p.terminate()
        for p in (srv, moto):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()
        if keep:
            print("state kept in %s" % state)
        else:
            shutil.rmtree(state, ignore_errors=True)
        print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    sys.exit(1 if RESULTS["failed"] else 0)


def scenario(api, base, s3):
    # --- seed through the API
    out = subprocess.run([sys.executable, os.path.join(HERE, "seed_trips.py"), "--print-sql",
                          "--table", "main.sales.trips", "--dates", "2", "--rows-per-date", "50",
                          "--files-per-date", "2"], capture_output=True, text=True, check=True)
    ok = True
    for line in out.stdout.splitlines():
        st, r = api.run(json.loads(line)["statement"])
        ok = ok and st == 200 and r["status"]["state"] == "SUCCEEDED"
        if not ok:
            print("     seed failed: %s" % json.dumps(r)[:400])
            break
    check("seed through the API", ok)

    # --- inline result, chunks, typed parameters
    st, r = api.run("SELECT trip_id, fare, passengers, vendor, trip_date FROM main.sales.trips "
                    "WHERE trip_date = :d ORDER BY trip_id",
                    parameters=[{"name": "d", "value": "2024-06-02", "type": "DATE"}])
    m = r.get("manifest", {})
    check("SELECT succeeds", r["status"]["state"] == "SUCCEEDED", json.dumps(r)[:300])
    check("manifest row and chunk counts", m.get("total_row_count") == 50
          and m.get("total_chunk_count") == 8 and len(m.get("chunks", [])) == 8, json.dumps(m)[:300])
    cols = {c["name"]: c for c in m["schema"]["columns"]}
    check("column types", cols["trip_id"]["type_name"] == "LONG"
          and cols["fare"]["type_text"] == "DECIMAL(10,2)" and cols["fare"]["type_scale"] == 2
          and cols["trip_date"]["type_name"] == "DATE", json.dumps(cols))
    rows = list(r["result"]["data_array"])
    nxt = r["result"].get("next_chunk_internal_link")
    while nxt:
        _s, c = api.get(nxt)
        rows += c.get("data_array", [])
        nxt = c.get("next_chunk_internal_link")
    check("all chunks fetched by next_chunk_internal_link", len(rows) == 50)
    check("values are strings or null", all(v is None or isinstance(v, str) for row in rows for v in row))
    check("BIGINT > 2^53 exact", any(int(row[0]) > 2 ** 53 for row in rows))
    check("unicode survives", any(row[3] and any(ord(ch) > 127 for ch in row[3]) for row in rows))
    _s, c5 = api.get("/api/2.0/sql/statements/%s/result/chunks/5" % r["statement_id"])
    check("chunk by index", c5.get("chunk_index") == 5 and c5.get("row_offset") == 35)

    st, r = api.run("SELECT :x + 1 AS y, :f AS f, :n AS n", parameters=[
        {"name": "x", "value": "9007199254740993", "type": "BIGINT"},
        {"name": "f", "value": "1.5", "type": "DECIMAL(10,2)"}, {"name": "n", "type": "INT"}])
    check("typed parameters", r.get("result", {}).get("data_array") == [["9007199254740994", "1.50", None]]
          and r["manifest"]["schema"]["columns"][1]["type_text"] == "DECIMAL(10,2)", json.dumps(r)[:300])

    # --- external links
    st, r = api.run("SELECT id FROM range(20)", disposition="EXTERNAL_LINKS")
    links = r.get("result", {}).get("external_links", [])
    check("external_links present", len(links) == 1 and "total_byte_count" in r.get("manifest", {}))
    if links:
        s1, _h, b1 = http("GET", links[0]["external_link"])
        check("external link without Authorization: 200", s1 == 200 and json.loads(b1)[0] == ["0"])
        s2, _h, b2 = http("GET", links[0]["external_link"], headers=api.auth)
        check("external link with Authorization: rejected", s2 == 400 and b"InvalidArgument" in b2)

    # --- errors
    st, r = api.run("SELECT * FROM main.sales.nope")
    e = r["status"].get("error", {})
    check("TABLE_OR_VIEW_NOT_FOUND as FAILED", st == 200 and r["status"]["state"] == "FAILED"
          and "[TABLE_OR_VIEW_NOT_FOUND]" in e.get("message", "") and "42P01" in e.get("message", ""))
    st, r = api.run("SELEC 1")
    check("PARSE_SYNTAX_ERROR", "[PARSE_SYNTAX_ERROR]" in r["status"].get("error", {}).get("message", ""))
    st, r = api.run("SET spark.sql.parquet.outputTimestampType = TIMESTAMP_MICROS")
    check("SET of a Spark conf refused", "CONFIG_NOT_AVAILABLE" in json.dumps(r))
    st, r = api.post({"statement": "SELECT 1", "wait_timeout": "4s"})
    check("wait_timeout 4s -> 400", st == 400 and r["error_code"] == "INVALID_PARAMETER_VALUE")
    st, r = api.post({"statement": "SELECT 1", "warehouse_id": "nope"})
    check("unknown warehouse -> 404", st == 404)
    st, r = api.post({"statement": "SELECT 1"}, auth={})
    check("no token -> 401", st == 401 and r["error_code"] == "UNAUTHENTICATED")
    st, r = api.post({"statement": "SELECT 1"}, auth={"Authorization": "Bearer wrong"})
    check("bad token -> 403", st == 403)

    # --- OAuth M2M
    basic = base64.b64encode(b"sp-smoke:sp-secret-smoke").decode()
    st, _h, b = http("POST", base + "/oidc/v1/token", headers={"Authorization": "Basic " + basic},
                     form="grant_type=client_credentials&scope=all-apis")
    tok = json.loads(b)
    check("OAuth token", st == 200 and tok.get("token_type") == "Bearer" and tok.get("expires_in") == 3600)
    st, r = api.post({"statement": "SELECT 1"}, auth={"Authorization": "Bearer " + tok.get("access_token", "")})
    check("OAuth token accepted", st == 200 and r["status"]["state"] == "SUCCEEDED")

    # --- async, delay injection, cancel, on_wait_timeout CANCEL
    http("POST", base + "/_stack/inject", {"delay": 30, "state": "RUNNING", "count": 2, "match": "slow"})
    st, r = api.post({"statement": "SELECT 'slow' AS s", "wait_timeout": "0s"})
    sid = r["statement_id"]
    check("wait_timeout 0s returns PENDING/RUNNING", r["status"]["state"] in ("PENDING", "RUNNING"))
    st, _h, b = http("POST", base + "/api/2.0/sql/statements/%s/cancel" % sid, headers=api.auth)
    check("cancel -> 200 {}", st == 200 and json.loads(b) == {})
    check("canceled statement ends CANCELED", api.wait(sid)["status"]["state"] == "CANCELED")
    t = time.time()
    st, r = api.post({"statement": "SELECT 'slow' AS s", "wait_timeout": "5s", "on_wait_timeout": "CANCEL"})
    check("on_wait_timeout CANCEL", r["status"]["state"] == "CANCELED" and 4.5 < time.time() - t < 15)

    # --- HTTP fault injection
    http("POST", base + "/_stack/inject", {"status": 429, "path": "/api/2.0/sql/statements",
                                          "method": "POST", "count": 1, "retry_after": 3})
    st, h, b = http("POST", base + "/api/2.0/sql/statements", {"statement": "SELECT 1", "warehouse_id": WH}, api.auth)
    check("injected 429 with Retry-After", st == 429 and h.get("Retry-After") == "3")
    st, r = api.post({"statement": "SELECT 1"})
    check("next request passes", st == 200)

    # --- export
    st, r = api.run("INSERT OVERWRITE DIRECTORY 's3://landing/exp/d=1/' USING PARQUET "
                    "SELECT /*+ REPARTITION(3) */ * FROM IDENTIFIER(:src) WHERE trip_date = :d",
                    parameters=[{"name": "src", "value": "main.sales.trips"},
                                {"name": "d", "value": "2024-06-01", "type": "DATE"}])
    check("export SUCCEEDED", r["status"]["state"] == "SUCCEEDED", json.dumps(r)[:300])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="landing", Prefix="exp/d=1/").get("Contents", [])]
    names = [k.rsplit("/", 1)[1] for k in keys]
    check("3 parquet parts landed", len([n for n in names if n.startswith("part-") and n.endswith(".parquet")]) == 3, names)
    check("_SUCCESS and .crc landed", "_SUCCESS" in names and any(n.endswith(".crc") for n in names), names)
    check("stale object overwritten", "stale.parquet" not in names, names)
    _s, stats = api.get("/_stack/stats")
    check("stats count the export", stats.get("exports") == 1 and stats.get("uploaded_objects", 0) >= 5)

    # --- Delta versions: DESCRIBE HISTORY, VERSION AS OF, SHOW TBLPROPERTIES, table_changes
    def rows(r):
        return r.get("result", {}).get("data_array", [])

    def col_types(r):
        return {c["name"]: c["type_name"] for c in r["manifest"]["schema"].get("columns", [])}

    for q in ("CREATE TABLE main.sales.cdf (id BIGINT, d DATE) USING DELTA "
              "TBLPROPERTIES (delta.enableChangeDataFeed = true)",
              "INSERT INTO main.sales.cdf VALUES (1, DATE'2024-06-01'), (2, DATE'2024-06-02')",
              "DELETE FROM main.sales.cdf WHERE d = DATE'2024-06-02'"):
        api.run(q)
    _st, r = api.run("DESCRIBE HISTORY main.sales.cdf LIMIT 1")
    t = col_types(r)
    check("DESCRIBE HISTORY LIMIT 1: the newest version, LONG, with its TIMESTAMP",
          rows(r) and rows(r)[0][0] == "2" and t.get("version") == "LONG"
          and t.get("timestamp") == "TIMESTAMP" and t.get("operation") == "STRING", json.dumps(r)[:400])
    _st, r = api.run("SELECT count(*) FROM main.sales.cdf VERSION AS OF 1")
    check("VERSION AS OF reads the old snapshot", rows(r) == [["2"]], json.dumps(r)[:300])
    _st, r = api.run("SHOW TBLPROPERTIES main.sales.cdf")
    check("SHOW TBLPROPERTIES: key, value", ["delta.enableChangeDataFeed", "true"] in rows(r)
          and list(col_types(r)) == ["key", "value"], json.dumps(r)[:300])
    _st, r = api.run("SELECT d, _change_type, _commit_version FROM table_changes('main.sales.cdf', 2)")
    t = col_types(r)
    check("table_changes('main.…', v): the catalog alias inside the literal, _commit_version LONG",
          rows(r) == [["2024-06-02", "delete", "2"]] and t.get("_commit_version") == "LONG", json.dumps(r)[:300])
    _st, r = api.run("CREATE VIEW main.sales.cdfv AS SELECT * FROM main.sales.cdf")
    _st, r = api.run("SELECT * FROM main.sales.cdfv VERSION AS OF 1")
    check("VERSION AS OF a view fails (UNSUPPORTED_FEATURE.TIME_TRAVEL)", r["status"]["state"] == "FAILED"
          and "TIME_TRAVEL" in r["status"]["error"]["message"], json.dumps(r)[:300])


def evolution(api, s3):
    """A Delta table whose schema changes, as a publication meets it (dbx2sf(7), Schema
    evolution): every change through the API, and each older version still read, exported and
    profiled in its own schema."""
    t = "main.sales.evo"

    def ok(q, **kw):
        _st, r = api.run(q, **kw)
        good = r["status"]["state"] == "SUCCEEDED"
        if not good:
            print("     %s: %s" % (q[:80], json.dumps(r["status"])[:400]))
        return good, r

    def types(version=None):
        _st, r = api.run("SELECT * FROM %s%s LIMIT 0" % (t, " VERSION AS OF %d" % version if version is not None else ""))
        return {c["name"]: c["type_text"] for c in r.get("manifest", {}).get("schema", {}).get("columns", [])}

    steps = [
        "CREATE TABLE %s (id BIGINT, fare DECIMAL(10,2), pax INT, zone STRING, code STRING, d DATE) "
        "USING DELTA PARTITIONED BY (d) TBLPROPERTIES ('delta.enableTypeWidening' = 'true', "
        "'delta.columnMapping.mode' = 'name')" % t,                                             # v0
        "INSERT INTO %s VALUES (1, 1.25, 5, 'a', '7', DATE'2025-01-01')" % t,                      # v1
        "ALTER TABLE %s ADD COLUMNS (tip DECIMAL(10,2))" % t,                                      # v2
        "INSERT INTO %s VALUES (2, 2.50, 6, 'b', '8', DATE'2025-01-02', 0.50)" % t,                # v3
        "ALTER TABLE %s ALTER COLUMN fare TYPE DECIMAL(18,2)" % t,                                 # v4
        "ALTER TABLE %s CHANGE COLUMN pax TYPE BIGINT" % t,                                        # v5
        "INSERT INTO %s VALUES (3, 12345678901.25, 3000000000, 'c', '9', DATE'2025-01-03', 1.00)" % t,  # v6
        "ALTER TABLE %s DROP COLUMN zone" % t,                                                     # v7
        # STRING to INT: no ALTER does it; the table is rewritten (its history kept).
        "CREATE OR REPLACE TABLE %s PARTITIONED BY (d) TBLPROPERTIES ('delta.enableTypeWidening' = "
        "'true', 'delta.columnMapping.mode' = 'name') AS SELECT id, fare, pax, CAST(code AS INT) AS code, "
        "d, tip FROM %s" % (t, t),                                                                 # v8
    ]
    done = all(ok(q)[0] for q in steps)
    check("evolution: ADD COLUMNS, ALTER COLUMN TYPE (widening), DROP COLUMN, CREATE OR REPLACE AS SELECT", done)
    _good, r = ok("DESCRIBE TABLE %s" % t)
    desc = {row[0]: row[1] for row in r.get("result", {}).get("data_array", []) if row[0] and not row[0].startswith("#")}
    check("evolution: DESCRIBE shows the schema now",
          desc == {"id": "bigint", "fare": "decimal(18,2)", "pax": "bigint", "code": "int", "d": "date",
                   "tip": "decimal(10,2)"}, json.dumps(desc))
    _good, r = ok("DESCRIBE HISTORY %s LIMIT 1" % t)
    check("evolution: one version per change", rows_of(r)[:1] and rows_of(r)[0][0] == "8", json.dumps(rows_of(r))[:200])
    want = {
        1: {"id": "BIGINT", "fare": "DECIMAL(10,2)", "pax": "INT", "zone": "STRING", "code": "STRING", "d": "DATE"},
        3: {"id": "BIGINT", "fare": "DECIMAL(10,2)", "pax": "INT", "zone": "STRING", "code": "STRING", "d": "DATE",
            "tip": "DECIMAL(10,2)"},
        4: {"id": "BIGINT", "fare": "DECIMAL(18,2)", "pax": "INT", "zone": "STRING", "code": "STRING", "d": "DATE",
            "tip": "DECIMAL(10,2)"},
        6: {"id": "BIGINT", "fare": "DECIMAL(18,2)", "pax": "BIGINT", "zone": "STRING", "code": "STRING",
            "d": "DATE", "tip": "DECIMAL(10,2)"},
        7: {"id": "BIGINT", "fare": "DECIMAL(18,2)", "pax": "BIGINT", "code": "STRING", "d": "DATE",
            "tip": "DECIMAL(10,2)"},
        8: {"id": "BIGINT", "fare": "DECIMAL(18,2)", "pax": "BIGINT", "code": "INT", "d": "DATE",
            "tip": "DECIMAL(10,2)"},
    }
    for v, w in want.items():
        got = types(v)
        check("evolution: VERSION AS OF %d has its own schema" % v, got == w, json.dumps(got))
    # The older dates, read at their versions as parity-check's Spark profile reads them.
    _good, r = ok("SELECT count(*), sum(fare), max(pax), max(zone) FROM %s VERSION AS OF 1 "
                  "WHERE d = DATE'2025-01-01'" % t)
    check("evolution: a profile at version 1", rows_of(r) == [["1", "1.25", "5", "a"]], json.dumps(rows_of(r)))
    _good, r = ok("SELECT count(*), sum(fare), max(pax) FROM %s VERSION AS OF 6 WHERE d = DATE'2025-01-03'" % t)
    check("evolution: a profile at version 6 (widened values)",
          rows_of(r) == [["1", "12345678901.25", "3000000000"]], json.dumps(rows_of(r)))
    _good, r = ok("SELECT code, fare FROM %s WHERE d = DATE'2025-01-01'" % t)
    check("evolution: the rewritten table holds the old rows, cast", rows_of(r) == [["7", "1.25"]], json.dumps(rows_of(r)))
    # dbx-export's statement at an older version, and at the newest.
    for v, d in ((1, "2025-01-01"), (8, "2025-01-03")):
        good, _r = ok("INSERT OVERWRITE DIRECTORY 's3://landing/evo/v%d/' USING PARQUET OPTIONS ('compression' "
                      "'snappy') SELECT /*+ REPARTITION(1) */ * FROM %s VERSION AS OF %d WHERE d = DATE'%s'"
                      % (v, t, v, d))
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="landing", Prefix="evo/v%d/" % v).get("Contents", [])]
        check("evolution: export at version %d" % v, good and any(k.endswith(".parquet") for k in keys), keys)
    # What Delta refuses stays refused.
    for q, why in (("ALTER TABLE %s ALTER COLUMN fare TYPE DECIMAL(10,2)" % t, "a narrowing"),
                   ("ALTER TABLE %s ALTER COLUMN tip TYPE DECIMAL(12,1)" % t, "a scale cut"),
                   ("ALTER TABLE %s ALTER COLUMN code TYPE STRING" % t, "INT to STRING")):
        _st, r = api.run(q)
        msg = r["status"].get("error", {}).get("message", "")
        check("evolution: %s is refused" % why, r["status"]["state"] == "FAILED" and (
              "[DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP]" in msg or "[NOT_SUPPORTED_CHANGE_COLUMN]" in msg),
              json.dumps(r["status"])[:300])
    ok("CREATE TABLE main.sales.evo2 (pax INT) USING DELTA")
    _st, r = api.run("ALTER TABLE main.sales.evo2 ALTER COLUMN pax TYPE BIGINT")
    check("evolution: no widening without delta.enableTypeWidening", r["status"]["state"] == "FAILED",
          json.dumps(r["status"])[:300])
    _good, r = ok("CREATE TABLE main.sales.evo3 AS SELECT 1 AS x")
    _good, r = ok("DESCRIBE DETAIL main.sales.evo3")
    check("evolution: a table made without USING is a Delta table", rows_of(r)[:1] and rows_of(r)[0][0] == "delta",
          json.dumps(rows_of(r))[:200])


def rows_of(r):
    return r.get("result", {}).get("data_array", [])


if __name__ == "__main__":
    main()
