"""The stand-in's own tests: SQL API v2 protocol, auth, partitions, transactions, faults."""
import json
import socket
import time
import uuid

import sfclient as c
from conftest import ACCOUNT


def sql(stack, text, **kw):
    return c.run(stack.base, stack.jwt(), text, **kw)


# ---------------------------------------------------------------- auth

def test_jwt_ok_with_both_key_slots(stack):
    r = c.run(stack.base, stack.jwt(), "select 1")
    assert r.status == 200 and r.json["data"] == [["1"]]
    r = c.run(stack.base, stack.jwt(key=stack.k2), "select 2")
    assert r.status == 200 and r.json["data"] == [["2"]]


def test_jwt_wrong_key_expired_malformed(stack):
    cases = {
        "unregistered key": stack.jwt(key=stack.k3),
        "expired": stack.jwt(iat=int(time.time()) - 7200, lifetime=3600),
        "lifetime over 1h": stack.jwt(lifetime=7200),
        "malformed": "eyJhbGciOiJSUzI1NiJ9.garbage.sig",
        "account with region": c.make_jwt(stack.k1, "MYORG-MYACCOUNT.US-EAST-1", "ALICE"),
        "lower-case user": c.make_jwt(stack.k1, ACCOUNT, "alice"),
        "unknown user": c.make_jwt(stack.k1, ACCOUNT, "MALLORY"),
    }
    for what, tok in cases.items():
        r = c.run(stack.base, tok, "select 1")
        assert r.status == 401, what
        assert r.json["code"] == "390144", what
        assert "JWT token is invalid" in r.json["message"], what
    # a signature from another key, with the registered key's fingerprint
    good = stack.jwt()
    other = stack.jwt(key=stack.k3)
    forged = ".".join(good.split(".")[:2] + [other.split(".")[2]])
    assert c.run(stack.base, forged, "select 1").status == 401


def test_jwt_rs512_and_ms_iat(stack):
    assert c.run(stack.base, stack.jwt(alg="RS512"), "select 1").status == 200
    import base64, hashlib
    from cryptography.hazmat.primitives import serialization, hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_pem_private_key(stack.k1, None)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
    now = int(time.time() * 1000)
    h = c.b64url(b'{"alg":"RS256","typ":"JWT"}')
    p = c.b64url(json.dumps({"iss": "%s.ALICE.%s" % (ACCOUNT, fp), "sub": ACCOUNT + ".ALICE",
                             "iat": now, "exp": now + 3000000}).encode())
    s = c.b64url(key.sign((h + "." + p).encode(), padding.PKCS1v15(), hashes.SHA256()))
    assert c.run(stack.base, h + "." + p + "." + s, "select 1").status == 200


def test_oauth_and_pat(stack):
    r = c.run(stack.base, "oauth-alice", "select 1", token_type="OAUTH")
    assert r.status == 200
    r = c.run(stack.base, "pat-bob", "select 1", token_type="PROGRAMMATIC_ACCESS_TOKEN")
    assert r.status == 200
    r = c.run(stack.base, "oauth-wrong", "select 1", token_type="OAUTH")
    assert r.status == 401 and r.json["code"] == "390303"
    # a PAT is not an OAuth token
    r = c.run(stack.base, "pat-bob", "select 1", token_type="OAUTH")
    assert r.status == 401
    r = c.run(stack.base, "x", "select 1", token_type="SOMETHING")
    assert r.status == 401
    r = c.request(stack.base, "POST", "/api/v2/statements", None, None, {"statement": "select 1"})
    assert r.status == 401 and r.json["code"]
    # header omitted: the token is inspected
    assert c.run(stack.base, stack.jwt(), "select 1", token_type=None).status == 200


def test_users_json_reread(stack):
    r = c.run(stack.base, "oauth-new", "select 1", token_type="OAUTH")
    assert r.status == 401
    stack.users["BOB"]["oauth_tokens"] = ["oauth-new"]
    stack.write_users()
    time.sleep(0.05)
    r = c.run(stack.base, "oauth-new", "select current_date", token_type="OAUTH")
    assert r.status == 200


def test_sql_registered_key_and_pat(stack):
    pem, pub = __import__("conftest").keypair()
    body = "".join(pub.strip().splitlines()[1:-1])
    r = sql(stack, "ALTER USER bob SET RSA_PUBLIC_KEY='%s'" % body)
    assert r.status == 200, r.raw
    assert c.run(stack.base, c.make_jwt(pem, ACCOUNT, "BOB"), "select 1").status == 200
    r = sql(stack, "DESC USER bob")
    props = {row[0]: row[1] for row in r.json["data"]}
    import auth
    assert props["RSA_PUBLIC_KEY_FP"] == auth.fingerprint(auth.load_public_key(body))
    assert props["RSA_PUBLIC_KEY_2_FP"] is None
    assert sql(stack, "CREATE USER carol RSA_PUBLIC_KEY='%s' DEFAULT_ROLE=PUBLIC" % body).status == 200
    assert c.run(stack.base, c.make_jwt(pem, ACCOUNT, "CAROL"), "select current_user()").json["data"] == [["CAROL"]]
    r = sql(stack, "ALTER USER bob ADD PROGRAMMATIC ACCESS TOKEN ci_token DAYS_TO_EXPIRY = 1")
    assert r.status == 200, r.raw
    names = [t["name"] for t in r.json["resultSetMetaData"]["rowType"]]
    secret = r.json["data"][0][names.index("token_secret")]
    assert c.run(stack.base, secret, "select 1", token_type="PROGRAMMATIC_ACCESS_TOKEN").status == 200
    # bob (role PUBLIC) cannot change alice
    r = c.run(stack.base, secret, "ALTER USER alice SET RSA_PUBLIC_KEY='%s'" % body,
              token_type="PROGRAMMATIC_ACCESS_TOKEN")
    assert r.status == 422 and r.json["code"] == "003001"


# ---------------------------------------------------------------- request validation

def test_bad_requests(stack):
    t = stack.jwt()
    r = c.request(stack.base, "POST", "/api/v2/statements", t, body=b"{not json")
    assert r.status == 400 and r.json["code"] == "390142"
    r = c.request(stack.base, "POST", "/api/v2/statements", t, body={"statement": "select 1"},
                  headers={"Content-Type": "text/plain"})
    assert r.status == 415
    r = c.request(stack.base, "GET", "/api/v2/statements", t)
    assert r.status == 405
    r = c.request(stack.base, "POST", "/api/v2/statements", t, body={"statement": "select 1"},
                  headers={"User-Agent": ""})
    assert r.status == 400 and r.json["code"] == "391903"
    for body in ({"statement": 1}, {"statement": "select 1", "parameters": [1]},
                 {"statement": "select 1", "timeout": "10"}, {"statement": "select 1", "database": 5}):
        r = c.request(stack.base, "POST", "/api/v2/statements", t, body=body)
        assert r.status == 400 and r.json["code"] == "390142", body
    r = c.request(stack.base, "POST", "/api/v2/statements?requestId=not-a-uuid", t,
                  body={"statement": "select 1"})
    assert r.status == 400
    r = c.request(stack.base, "GET", "/api/v2/nothing", t)
    assert r.status == 404
    r = c.request(stack.base, "POST", "/api/v2/statements/%s/cancel" % uuid.uuid4(), t)
    assert r.status == 422 and r.json["code"] == "000709"


# ---------------------------------------------------------------- results and types

def test_wire_encoding(stack):
    r = sql(stack, "select 1.50::number(10,2) a, 2.5::float b, 'x' c, true d, "
                   "'2020-01-01'::date e, '2021-03-19 17:06:59.123456'::timestamp_ntz f, "
                   "'23:01:59'::time g, to_binary('736E6F77','HEX') h, parse_json('[1,2]') i, "
                   "null::varchar j, 12345678901234567890::number(38,0) k")
    assert r.status == 200, r.raw
    row = r.json["data"][0]
    assert row == ["1.50", "2.5", "x", "true", "18262", "1616173619.123456000", "82919.000000000",
                   "736E6F77", "[1,2]", None, "12345678901234567890"]
    types = [t["type"] for t in r.json["resultSetMetaData"]["rowType"]]
    assert types == ["fixed", "real", "text", "boolean", "date", "timestamp_ntz", "time", "binary",
                     "variant", "text", "fixed"]
    rt = r.json["resultSetMetaData"]["rowType"][0]
    assert (rt["precision"], rt["scale"]) == (10, 2)
    assert r.json["code"] == "090001" and r.json["sqlState"] == "00000"
    assert r.json["message"] == "Statement executed successfully."
    assert isinstance(r.json["createdOn"], int)
    r = sql(stack, "select '2021-03-19 17:06:59'::timestamp_ntz::timestamp_ltz t",
            parameters={"TIMEZONE": "UTC"})
    assert r.json["data"] == [["1616173619.000000000"]]
    assert r.json["resultSetMetaData"]["rowType"][0]["type"] == "timestamp_ltz"
    r = sql(stack, "select '1969-12-31 23:59:58.5'::timestamp_ntz t")
    assert r.json["data"] == [["-1.500000000"]]
    r = sql(stack, "select null::int n", params="&nullable=false")
    assert r.json["data"] == [["null"]]


def test_bindings(stack):
    r = sql(stack, "select ?::number(10,0) + 1, ? || 'b', ?::date", bindings={
        "1": {"type": "FIXED", "value": "41"}, "2": {"type": "TEXT", "value": "a"},
        "3": {"type": "DATE", "value": "1577836800000"}})
    assert r.status == 200, r.raw
    assert r.json["data"] == [["42", "ab", "18262"]]
    r = sql(stack, "select :2 || :1", bindings={"1": {"type": "TEXT", "value": "x"},
                                               "2": {"type": "TEXT", "value": "y"}})
    assert r.status == 200 and r.json["data"] == [["yx"]]
    r = sql(stack, "select ?", bindings={"1": {"type": "FIXED", "value": "zz"}})
    assert r.status == 422 and r.json["code"] == "100037"


def test_partitions_gzip(stack):
    s = c.request(stack.base, "POST", "/_stack/config", body={"partition_rows": 1000})
    assert s.status == 200
    try:
        r = sql(stack, "select seq4() as n, 'row' || seq4() as t from table(generator(rowcount => 5500))")
        assert r.status == 200, r.raw
        info = r.json["resultSetMetaData"]["partitionInfo"]
        assert [p["rowCount"] for p in info] == [1000] * 5 + [500]
        assert r.json["resultSetMetaData"]["numRows"] == 5500
        h = r.json["statementHandle"]
        p = c.request(stack.base, "GET", "/api/v2/statements/%s?partition=3" % h, stack.jwt())
        assert p.status == 200 and p.headers.get("Content-Encoding") == "gzip"
        assert set(p.json) == {"data"} and p.json["data"][0] == ["3000", "row3000"]
        assert info[3]["compressedSize"] > 0
        p = c.request(stack.base, "GET", "/api/v2/statements/%s?partition=5" % h, stack.jwt(),
                      gzip_ok=False)
        assert p.status == 200 and "Content-Encoding" not in p.headers and len(p.json["data"]) == 500
        _, rows = c.all_rows(stack.base, stack.jwt(), r)
        assert [int(x[0]) for x in rows] == list(range(5500))
        p = c.request(stack.base, "GET", "/api/v2/statements/%s?partition=6" % h, stack.jwt())
        assert p.status == 422
    finally:
        c.request(stack.base, "POST", "/_stack/config", body={"partition_rows": 0})


# ---------------------------------------------------------------- async, cancel, timeout

def test_async_and_poll(stack):
    r = sql(stack, "select system$wait(1)", params="&async=true")
    assert r.status == 202 and r.json["code"] == "333334"
    h = r.json["statementHandle"]
    g = c.request(stack.base, "GET", r.json["statementStatusUrl"], stack.jwt())
    assert g.status == 202
    done = c.wait(stack.base, stack.jwt(), g)
    assert done.status == 200 and done.json["statementHandle"] == h


def test_sync_wait_then_202(stack):
    r = sql(stack, "select system$wait(5)")  # server started with --sync-wait 3
    assert r.status == 202
    assert c.wait(stack.base, stack.jwt(), r).status == 200


def test_cancel(stack):
    r = sql(stack, "select system$wait(30)", params="&async=true")
    h = r.json["statementHandle"]
    x = c.request(stack.base, "POST", "/api/v2/statements/%s/cancel" % h, stack.jwt())
    assert x.status == 200
    g = c.request(stack.base, "GET", "/api/v2/statements/" + h, stack.jwt())
    assert g.status == 422 and g.json["code"] == "000604" and g.json["sqlState"] == "57014"


def test_timeout(stack):
    r = sql(stack, "select system$wait(10)", timeout=1)
    assert r.status == 408 and r.json["code"] == "000630"
    g = c.request(stack.base, "GET", "/api/v2/statements/" + r.json["statementHandle"], stack.jwt())
    assert g.status == 422 and g.json["code"] == "000630"


# ---------------------------------------------------------------- multi-statement, transactions

def test_multi_statement_count(stack):
    r = sql(stack, "select 1; select 2")
    assert r.status == 422 and r.json["code"] == "000008"
    assert "Actual statement count 2 did not match the desired statement count 1" in r.json["message"]
    r = sql(stack, "select 1; select 2", parameters={"MULTI_STATEMENT_COUNT": "3"})
    assert r.status == 422
    r = sql(stack, "select 1; select 'a;b'", parameters={"MULTI_STATEMENT_COUNT": 0})
    assert r.status == 200, r.raw
    assert r.json["data"] == [["Multiple statements executed successfully."]]
    kids = r.json["statementHandles"]
    assert len(kids) == 2
    g = c.request(stack.base, "GET", "/api/v2/statements/" + kids[1], stack.jwt())
    assert g.status == 200 and g.json["data"] == [["a;b"]]


def test_transactions(stack):
    t = stack.jwt()
    assert sql(stack, "create or replace database TXDB").status == 200
    ctx = {"database": "TXDB", "schema": "PUBLIC"}
    r = sql(stack, "create or replace table t (id int, v varchar)", **ctx)
    assert r.status == 200, r.raw
    r = sql(stack, "BEGIN; insert into t values (1,'a'),(2,'b'); delete from t where id = 1; COMMIT",
            parameters={"MULTI_STATEMENT_COUNT": 4}, **ctx)
    assert r.status == 200, r.raw
    kid = r.json["statementHandles"][1]
    g = c.request(stack.base, "GET", "/api/v2/statements/" + kid, t)
    assert g.json["data"] == [["2"]] and g.json["resultSetMetaData"]["rowType"][0]["name"] == "number of rows inserted"
    # a failing statement inside BEGIN: the earlier statements of the transaction are rolled back
    r = sql(stack, "BEGIN; insert into t values (3,'c'); select * from no_such_table; COMMIT",
            parameters={"MULTI_STATEMENT_COUNT": 4}, **ctx)
    assert r.status == 422 and r.json["code"] == "100132"
    assert "does not exist" in r.json["message"]
    r = sql(stack, "select id, v from t order by id", **ctx)
    assert r.json["data"] == [["2", "b"]]
    # without BEGIN each statement commits on its own
    r = sql(stack, "insert into t values (4,'d'); select * from no_such_table",
            parameters={"MULTI_STATEMENT_COUNT": 2}, **ctx)
    assert r.status == 422
    r = sql(stack, "select count(*) from t", **ctx)
    assert r.json["data"] == [["2"]]


def test_sql_errors(stack):
    r = sql(stack, "selec 1")
    assert r.status == 422 and r.json["code"] == "001003" and r.json["sqlState"] == "42000"
    assert r.json["statementHandle"]
    r = sql(stack, "select * from no_such_table_x")
    assert r.status == 422 and r.json["code"] == "002003" and r.json["sqlState"] == "42S02"
    r = sql(stack, "select 1", database="NO_SUCH_DB")
    assert r.status == 422 and r.json["code"] == "002003" and r.json["sqlState"] == "02000"
    r = sql(stack, "select nope from (select 1 a)")
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, "select 'abc'::number")
    assert r.status == 422 and r.json["code"] == "100038"


# ---------------------------------------------------------------- idempotency and faults

def test_request_id_dropped_connection(stack):
    t = stack.jwt()
    assert sql(stack, "create database if not exists IDEM").status == 200
    ctx = {"database": "IDEM", "schema": "PUBLIC"}
    assert sql(stack, "create or replace table t (id int)", **ctx).status == 200
    r = c.request(stack.base, "POST", "/_stack/inject",
                  body={"method": "POST", "path": "/api/v2/statements", "action": "drop", "count": 1})
    assert r.status == 200
    rid = str(uuid.uuid4())
    try:
        c.run(stack.base, t, "insert into t values (1)", request_id=rid, **ctx)
        assert False, "connection should have been dropped"
    except Exception as e:
        assert not isinstance(e, AssertionError)
    r = c.run(stack.base, t, "insert into t values (1)", request_id=rid, params="&retry=true", **ctx)
    assert r.status == 200 and r.json["data"] == [["1"]]
    r = sql(stack, "select count(*) from t", **ctx)
    assert r.json["data"] == [["1"]]
    stats = c.request(stack.base, "GET", "/_stack/stats").json
    assert stats["executions"][rid] == 1


def test_inject_429_503(stack):
    r = c.request(stack.base, "POST", "/_stack/inject",
                  body=[{"method": "POST", "path": "/api/v2/statements", "action": "429",
                         "retry_after": 2}, {"method": "POST", "path": "/api/v2/statements",
                                             "action": "503"}])
    assert r.status == 200
    r = sql(stack, "select 1")
    assert r.status == 429 and r.headers["Retry-After"] == "2" and r.json["code"] == "390505"
    assert sql(stack, "select 1").status == 503
    assert sql(stack, "select 1").status == 200


def test_restart_keeps_data(stack):
    assert sql(stack, "create or replace database KEEP").status == 200
    ctx = {"database": "KEEP", "schema": "PUBLIC"}
    assert sql(stack, "create table k as select 7 as x", **ctx).status == 200
    r = sql(stack, "select x from k", **ctx)
    h = r.json["statementHandle"]
    stack.stop()
    stack.start()
    r = sql(stack, "select x from k", **ctx)
    assert r.status == 200 and r.json["data"] == [["7"]]
    g = c.request(stack.base, "GET", "/api/v2/statements/" + h, stack.jwt())
    assert g.status == 200 and g.json["data"] == [["7"]]


def test_million_rows_paged_out(stack):
    """A 1,000,000-row result is spilled to partition files, not held in the server's memory."""
    r = sql(stack, "select seq4() as n, 'name_' || seq4() as s from table(generator(rowcount => 1000000))",
            params="&async=true")
    r, rows_seen, last = c.wait(stack.base, stack.jwt(), r), 0, None
    assert r.status == 200
    info = r.json["resultSetMetaData"]["partitionInfo"]
    assert r.json["resultSetMetaData"]["numRows"] == 1000000 and len(info) > 5
    rows_seen = len(r.json["data"])
    for n in range(1, len(info)):
        p = c.request(stack.base, "GET", "/api/v2/statements/%s?partition=%d"
                      % (r.json["statementHandle"], n), stack.jwt())
        assert p.headers.get("Content-Encoding") == "gzip"
        assert len(p.json["data"]) == info[n]["rowCount"]
        rows_seen += len(p.json["data"])
        last = p.json["data"][-1]
    assert rows_seen == 1000000 and last == ["999999", "name_999999"]
    with open("/proc/%d/status" % stack.proc.pid) as f:
        hwm_kb = int([l for l in f if l.startswith("VmHWM")][0].split()[1])
    assert hwm_kb < 400 * 1024, hwm_kb


def test_inject_from_command_line():
    from conftest import Stack
    s = Stack(extra_args=["--inject", "POST:/api/v2/statements:503:1",
                          "--inject", "GET:/api/v2/statements/:429:1:3"])
    try:
        assert sql(s, "select 1").status == 503
        r = sql(s, "select 1")
        assert r.status == 200
        g = c.request(s.base, "GET", "/api/v2/statements/" + r.json["statementHandle"], s.jwt())
        assert g.status == 429 and g.headers["Retry-After"] == "3"
        stats = c.request(s.base, "GET", "/_stack/stats").json
        assert stats["requests"]["POST /api/v2/statements"] == 2 and stats["statements_executed"] == 1
    finally:
        s.stop()
        s.tmp.cleanup()


def test_concurrent_requests(stack):
    from concurrent.futures import ThreadPoolExecutor
    assert sql(stack, "create database if not exists CONC").status == 200
    ctx = {"database": "CONC", "schema": "PUBLIC"}
    assert sql(stack, "create or replace table t (id int)", **ctx).status == 200
    t0 = time.time()
    with ThreadPoolExecutor(8) as ex:
        waits = [ex.submit(sql, stack, "select system$wait(1)") for _ in range(4)]
        inserts = [ex.submit(sql, stack, "insert into t select * from range(%d)" % (i * 10), **ctx)
                   for i in range(1, 5)]
        assert all(f.result().status == 200 for f in waits + inserts)
    assert time.time() - t0 < 3.5
    assert sql(stack, "select count(*) from t", **ctx).json["data"] == [["100"]]


def test_context_functions(stack):
    r = sql(stack, "select current_user(), current_role(), current_account(), current_database(), "
                   "current_warehouse()", role="LOADER", warehouse="LOAD_WH")
    assert r.status == 200, r.raw
    assert r.json["data"] == [["ALICE", "LOADER", "MYORG-MYACCOUNT", None, "LOAD_WH"]]
    assert r.json["resultSetMetaData"]["rowType"][0]["name"] == "CURRENT_USER()"


def test_output_format_parameters(stack):
    q = ("select '2020-01-02'::date d, '2021-03-19 17:06:59.123456'::timestamp_ntz ts, "
         "'23:01:59'::time t, to_binary('736E6F77','HEX') b")
    r = sql(stack, q, parameters={"DATE_OUTPUT_FORMAT": "YYYY-MM-DD",
                                  "TIMESTAMP_NTZ_OUTPUT_FORMAT": "YYYY-MM-DD HH24:MI:SS.FF3",
                                  "TIME_OUTPUT_FORMAT": "HH24:MI", "BINARY_OUTPUT_FORMAT": "BASE64"})
    assert r.status == 200, r.raw
    assert r.json["data"] == [["2020-01-02", "2021-03-19 17:06:59.123", "23:01", "c25vdw=="]]
    r = sql(stack, q)  # without them: the epoch forms
    assert r.json["data"] == [["18263", "1616173619.123456000", "82919.000000000", "736E6F77"]]


def test_function_translations(stack):
    r = sql(stack, "select to_char('2020-01-02 03:04:05.678'::timestamp_ntz, 'YYYYMMDD HH24:MI:SS.FF3'), "
                   "to_number(substr(md5('a'), 1, 16), 'XXXXXXXXXXXXXXXX'), "
                   "to_decimal('1,234.56', '9,999.99', 10, 2), count_if(true), iff(1 > 0, 'y', 'n')")
    assert r.status == 200, r.raw
    assert r.json["data"] == [["20200102 03:04:05.678", "919145239626757800", "1234.56", "1", "y"]]
    r = sql(stack, "select to_char(1.5, '999.99')")  # refused rather than silently ignored
    assert r.status == 422 and r.json["code"] == "001003"
