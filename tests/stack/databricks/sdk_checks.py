"""The stand-in driven by databricks-sdk, the official Python client (pinned in
tests/stack/requirements-databricks.txt), so its shapes are checked by a client we did not write.

smoke.py calls run() against its running server, after its own scenario (the trips table
main.sales.trips exists).  Every response body the SDK receives from the API is also parsed
into the SDK's own dataclass and serialized back: a key the SDK does not know, a value of the
wrong type or an unknown enum value shows up as a difference from the raw body.
"""

import json
import os
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TRIPS = "main.sales.trips"

# type_name values the live service sends that the SDK's ColumnInfoTypeName enum lacks
# (the SDK maps them to None); see README.databricks.
ENUM_GAPS = {"TIMESTAMP_NTZ"}


def _stats(base):
    with urllib.request.urlopen(base + "/_stack/stats", timeout=30) as r:
        return json.load(r)


def _inject(base, spec):
    req = urllib.request.Request(base + "/_stack/inject", data=json.dumps(spec).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).close()


def _diff(raw, back, path=""):
    """Where back (the SDK's round trip) differs from raw; [] when equal."""
    if isinstance(raw, dict) and isinstance(back, dict):
        out = []
        for k in sorted(set(raw) | set(back)):
            p = path + "." + k
            if k not in back:
                if not (k == "type_name" and raw[k] in ENUM_GAPS):
                    out.append("%s: dropped by the SDK (%r)" % (p, raw[k]))
            elif k not in raw:
                out.append("%s: added by the SDK (%r)" % (p, back[k]))
            else:
                out += _diff(raw[k], back[k], p)
        return out
    if isinstance(raw, list) and isinstance(back, list) and len(raw) == len(back):
        out = []
        for i, (a, b) in enumerate(zip(raw, back)):
            out += _diff(a, b, "%s[%d]" % (path, i))
        return out
    return [] if raw == back else ["%s: %r became %r" % (path, raw, back)]


class Recorder:
    """Wraps ApiClient.do so every raw JSON body the services parse is kept."""

    def __init__(self, w):
        self.bodies = []
        inner = w.api_client.do

        def do(method, path=None, **kw):
            r = inner(method, path, **kw)
            self.bodies.append((method, path, r))
            return r
        w.api_client.do = do

    def last(self):
        return self.bodies[-1][2]


def run(check, base, pat, wh, sp_id, sp_secret, tokens_path):
    try:
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.config import Config
        from databricks.sdk import errors
        from databricks.sdk.service import sql
        from databricks.sdk.version import __version__
    except ImportError as e:
        check("databricks-sdk importable (pip install -r tests/stack/requirements-databricks.txt)",
              False, str(e))
        return
    print("     (databricks-sdk %s)" % __version__)
    for k in [k for k in os.environ if k.startswith(("DATABRICKS_", "ARM_", "GOOGLE_"))]:
        del os.environ[k]  # only what each client below is given may configure it

    def client(**kw):  # short retry budget: a refused request fails in a minute, not five
        return WorkspaceClient(config=Config(retry_timeout_seconds=60, http_timeout_seconds=60, **kw))

    def same_shape(name, cls, raw):
        d = _diff(raw, cls.from_dict(raw).as_dict())
        check("sdk: %s: %s round-trips" % (name, cls.__name__), not d, "; ".join(d)[:600])

    # --- discovery and PAT auth
    s0 = _stats(base)
    w = client(host=base, token=pat, auth_type="pat")
    rec = Recorder(w)
    s1 = _stats(base)
    check("sdk: host metadata fetched (GET /.well-known/databricks-config -> 200)",
          s1["requests"].get("GET /.well-known/databricks-config", 0)
          > s0["requests"].get("GET /.well-known/databricks-config", 0)
          and w.config.workspace_id and w.config.account_id
          and w.config.discovery_url == base + "/oidc/.well-known/oauth-authorization-server",
          "workspace_id=%r account_id=%r discovery_url=%r"
          % (w.config.workspace_id, w.config.account_id, w.config.discovery_url))
    check("sdk: auth_type pat", w.config.auth_type == "pat", w.config.auth_type)

    # --- warehouses
    wh_resp = w.warehouses.get(wh)
    check("sdk: warehouses.get state RUNNING", wh_resp.state == sql.State.RUNNING and wh_resp.id == wh)
    same_shape("warehouses.get", sql.GetWarehouseResponse, rec.last())
    try:
        w.warehouses.get("nope")
        check("sdk: warehouses.get unknown -> ResourceDoesNotExist", False, "no error")
    except errors.ResourceDoesNotExist as e:
        check("sdk: warehouses.get unknown -> ResourceDoesNotExist", "nope" in str(e), str(e))

    # --- synchronous INLINE, typed parameters, chunks
    P = sql.StatementParameterListItem
    r = w.statement_execution.execute_statement(
        "SELECT trip_id, fare, passengers, vendor, trip_date, pickup_ts, CAST(pickup_ts AS "
        "TIMESTAMP_NTZ) AS ntz, flag, distance FROM IDENTIFIER(:t) WHERE trip_date = :d "
        "ORDER BY trip_id", wh, wait_timeout="30s",
        parameters=[P(name="t", value=TRIPS), P(name="d", value="2024-06-02", type="DATE")],
        disposition=sql.Disposition.INLINE, format=sql.Format.JSON_ARRAY)
    raw = rec.last()
    check("sdk: execute_statement SUCCEEDED", r.status.state == sql.StatementState.SUCCEEDED,
          json.dumps(raw)[:300])
    same_shape("execute_statement INLINE", sql.StatementResponse, raw)
    m = r.manifest
    check("sdk: manifest format/rows/chunks", m.format == sql.Format.JSON_ARRAY
          and m.total_row_count == 50 and m.total_chunk_count == len(m.chunks) == 8
          and m.truncated is False and m.schema.column_count == 9)
    types = {c.name: c for c in m.schema.columns}
    check("sdk: column type names", types["trip_id"].type_name == sql.ColumnInfoTypeName.LONG
          and types["fare"].type_name == sql.ColumnInfoTypeName.DECIMAL
          and types["fare"].type_precision == 10 and types["fare"].type_scale == 2
          and types["trip_date"].type_name == sql.ColumnInfoTypeName.DATE
          and types["pickup_ts"].type_name == sql.ColumnInfoTypeName.TIMESTAMP
          and types["flag"].type_name == sql.ColumnInfoTypeName.BOOLEAN
          and types["distance"].type_name == sql.ColumnInfoTypeName.DOUBLE
          and types["ntz"].type_text == "TIMESTAMP_NTZ",
          json.dumps([c.as_dict() for c in m.schema.columns])[:400])
    rows = list(r.result.data_array)
    i = r.result.next_chunk_index
    seen = [r.result.chunk_index]
    while i is not None:
        c = w.statement_execution.get_statement_result_chunk_n(r.statement_id, i)
        if i == 1:
            same_shape("chunk 1", sql.ResultData, rec.last())
        seen.append(c.chunk_index)
        rows += c.data_array or []
        i = c.next_chunk_index
    check("sdk: every chunk by next_chunk_index", seen == list(range(8)) and len(rows) == 50,
          "chunks %r rows %d" % (seen, len(rows)))
    link = r.result.next_chunk_internal_link
    c = w.api_client.do("GET", link)
    check("sdk: next_chunk_internal_link is a host-relative path the client can GET",
          c.get("chunk_index") == 1 and c.get("row_offset") == m.chunks[1].row_offset, link)
    g = w.statement_execution.get_statement(r.statement_id)
    same_shape("get_statement SUCCEEDED", sql.StatementResponse, rec.last())
    check("sdk: get_statement repeats manifest and first chunk",
          g.manifest.total_row_count == 50 and g.result.chunk_index == 0
          and g.result.data_array == r.result.data_array)

    r = w.statement_execution.execute_statement(
        "SELECT :x + 1 AS y, :f AS f, :n AS n, :s AS s", wh, wait_timeout="30s",
        parameters=[P(name="x", value="9007199254740993", type="BIGINT"),
                    P(name="f", value="1.5", type="DECIMAL(10,2)"), P(name="n", type="INT"),
                    P(name="s", value="it's ü")])
    check("sdk: typed, NULL and STRING parameters",
          r.result and r.result.data_array == [["9007199254740994", "1.50", None, "it's ü"]]
          and [c.type_name for c in r.manifest.schema.columns]
          == [sql.ColumnInfoTypeName.LONG, sql.ColumnInfoTypeName.DECIMAL,
              sql.ColumnInfoTypeName.INT, sql.ColumnInfoTypeName.STRING],
          json.dumps(rec.last())[:300])

    r = w.statement_execution.execute_statement("SELECT id FROM range(20)", wh, wait_timeout="30s",
                                                row_limit=5)
    check("sdk: row_limit truncates", r.manifest.truncated is True
          and r.manifest.total_row_count == 5 and len(r.result.data_array) == 5)

    r = w.statement_execution.execute_statement("SELECT * FROM IDENTIFIER(:t) WHERE false", wh,
                                                wait_timeout="30s", parameters=[P(name="t", value=TRIPS)])
    same_shape("empty result", sql.StatementResponse, rec.last())
    check("sdk: empty result", r.manifest.total_row_count == 0 and r.result.row_count == 0
          and not r.result.data_array)
    r = w.statement_execution.execute_statement("CREATE TABLE IF NOT EXISTS sdk_t (x INT) USING DELTA",
                                                wh, wait_timeout="30s", schema="sales", catalog="main")
    same_shape("command result", sql.StatementResponse, rec.last())
    check("sdk: command (catalog, schema)", r.status.state == sql.StatementState.SUCCEEDED
          and r.manifest.schema.column_count == 0 and r.result is None, json.dumps(rec.last())[:300])

    # --- EXTERNAL_LINKS
    r = w.statement_execution.execute_statement("SELECT id, CAST(id AS STRING) AS s FROM range(20)",
                                                wh, wait_timeout="30s",
                                                disposition=sql.Disposition.EXTERNAL_LINKS,
                                                format=sql.Format.JSON_ARRAY)
    same_shape("execute_statement EXTERNAL_LINKS", sql.StatementResponse, rec.last())
    links = list(r.result.external_links or [])
    i = links[-1].next_chunk_index if links else None
    while i is not None:
        c = w.statement_execution.get_statement_result_chunk_n(r.statement_id, i)
        if i == 1:
            same_shape("external chunk 1", sql.ResultData, rec.last())
        links += c.external_links
        i = c.external_links[-1].next_chunk_index
    data = []
    for ln in links:
        with urllib.request.urlopen(ln.external_link, timeout=30) as f:  # no Authorization
            data += json.load(f)
    check("sdk: external links fetched without auth", len(links) == 3
          and [x[0] for x in data] == [str(n) for n in range(20)]
          and r.manifest.total_byte_count is not None and links[0].expiration,
          "links %d rows %d" % (len(links), len(data)))

    # --- asynchronous: wait_timeout 0s, poll, cancel, on_wait_timeout CANCEL
    r = w.statement_execution.execute_statement("SELECT 42 AS n", wh, wait_timeout="0s")
    ok_id = r.statement_id
    same_shape("execute_statement 0s", sql.StatementResponse, rec.last())
    t = time.time()
    while r.status.state in (sql.StatementState.PENDING, sql.StatementState.RUNNING) \
            and time.time() - t < 60:
        time.sleep(0.3)
        r = w.statement_execution.get_statement(r.statement_id)
    check("sdk: async execute then get_statement polls to SUCCEEDED",
          r.status.state == sql.StatementState.SUCCEEDED and r.result.data_array == [["42"]])

    _inject(base, {"delay": 30, "state": "RUNNING", "count": 2, "match": "sdk-slow"})
    r = w.statement_execution.execute_statement("SELECT 'sdk-slow' AS s", wh, wait_timeout="0s")
    check("sdk: 0s returns PENDING or RUNNING", r.status.state in
          (sql.StatementState.PENDING, sql.StatementState.RUNNING), str(r.status.state))
    w.statement_execution.cancel_execution(r.statement_id)
    t = time.time()
    while time.time() - t < 30:
        g = w.statement_execution.get_statement(r.statement_id)
        if g.status.state not in (sql.StatementState.PENDING, sql.StatementState.RUNNING):
            break
        time.sleep(0.3)
    same_shape("get_statement CANCELED", sql.StatementResponse, rec.last())
    check("sdk: cancel_execution -> CANCELED", g.status.state == sql.StatementState.CANCELED)
    r = w.statement_execution.execute_statement(
        "SELECT 'sdk-slow' AS s", wh, wait_timeout="5s",
        on_wait_timeout=sql.ExecuteStatementRequestOnWaitTimeout.CANCEL)
    check("sdk: on_wait_timeout CANCEL", r.status.state == sql.StatementState.CANCELED)

    # --- statement failures (HTTP 200, state FAILED) and request errors (HTTP 4xx)
    r = w.statement_execution.execute_statement("SELECT * FROM main.sales.nope", wh, wait_timeout="30s")
    same_shape("FAILED statement", sql.StatementResponse, rec.last())
    check("sdk: SQL error -> FAILED with ServiceError BAD_REQUEST and sql_state",
          r.status.state == sql.StatementState.FAILED
          and r.status.error.error_code == sql.ServiceErrorCode.BAD_REQUEST
          and "[TABLE_OR_VIEW_NOT_FOUND]" in r.status.error.message
          and r.status.sql_state == "42P01", json.dumps(rec.last())[:300])
    _inject(base, {"fail": {"error_code": "IO_ERROR", "message": "sdk injected"}, "count": 1,
                   "match": "sdk-fail"})
    r = w.statement_execution.execute_statement("SELECT 'sdk-fail'", wh, wait_timeout="30s")
    check("sdk: injected failure -> ServiceErrorCode.IO_ERROR",
          r.status.error and r.status.error.error_code == sql.ServiceErrorCode.IO_ERROR)
    failed_id = r.statement_id

    def raises(name, cls, fn, text=None):
        try:
            fn()
            check("sdk: %s -> %s" % (name, cls.__name__), False, "no error")
        except cls as e:
            check("sdk: %s -> %s" % (name, cls.__name__), text is None or text in str(e), str(e))
        except Exception as e:
            check("sdk: %s -> %s" % (name, cls.__name__), False, "%s: %s" % (type(e).__name__, e))

    ex = w.statement_execution.execute_statement
    raises("wait_timeout 4s", errors.InvalidParameterValue,
           lambda: ex("SELECT 1", wh, wait_timeout="4s"), "wait_timeout")
    raises("ARROW_STREAM with INLINE", errors.InvalidParameterValue,
           lambda: ex("SELECT 1", wh, format=sql.Format.ARROW_STREAM,
                      disposition=sql.Disposition.INLINE))
    raises("CSV with EXTERNAL_LINKS (not emulated)", errors.NotImplemented,
           lambda: ex("SELECT 1", wh, format=sql.Format.CSV,
                      disposition=sql.Disposition.EXTERNAL_LINKS))
    raises("complex parameter type", errors.InvalidParameterValue,
           lambda: ex("SELECT :a", wh, parameters=[P(name="a", value="[1]", type="ARRAY<INT>")]))
    raises("unknown warehouse", errors.ResourceDoesNotExist, lambda: ex("SELECT 1", "nope"))
    raises("unknown statement", errors.ResourceDoesNotExist,
           lambda: w.statement_execution.get_statement("01ef0000-0000-0000-0000-000000000000"))
    raises("chunk of a FAILED statement", errors.InvalidState,
           lambda: w.statement_execution.get_statement_result_chunk_n(failed_id, 0))
    raises("chunk index out of range", errors.InvalidParameterValue,
           lambda: w.statement_execution.get_statement_result_chunk_n(ok_id, 99))
    bad = client(host=base, token="dapi-not-a-token", auth_type="pat")
    raises("unknown PAT", errors.PermissionDenied, lambda: bad.warehouses.get(wh))

    # --- transient errors: the SDK retries 429 and 503 after Retry-After
    s0 = _stats(base)
    _inject(base, {"status": 429, "path": "/api/2.0/sql/statements", "method": "POST",
                   "count": 1, "retry_after": 1})
    _inject(base, {"status": 503, "path": "/api/2.0/sql/statements", "method": "POST",
                   "count": 1, "retry_after": 1})
    r = ex("SELECT 7", wh, wait_timeout="30s")
    s1 = _stats(base)
    check("sdk: retries injected 429 and 503, then succeeds",
          r.result.data_array == [["7"]]
          and s1["injected"].get("http_429", 0) == s0["injected"].get("http_429", 0) + 1
          and s1["injected"].get("http_503", 0) == s0["injected"].get("http_503", 0) + 1)

    # --- OAuth M2M: discovery -> token endpoint -> Bearer
    s0 = _stats(base)
    m2m = client(host=base, client_id=sp_id, client_secret=sp_secret,
                          auth_type="oauth-m2m")
    r = m2m.statement_execution.execute_statement("SELECT current_date() IS NOT NULL", wh,
                                                  wait_timeout="30s")
    s1 = _stats(base)
    check("sdk: OAuth M2M (client_id/secret) runs a statement",
          r.status.state == sql.StatementState.SUCCEEDED and r.result.data_array == [["true"]]
          and s1["oauth_tokens_issued"] == s0["oauth_tokens_issued"] + 1
          and s1["requests"].get("GET /oidc/.well-known/oauth-authorization-server", 0)
          > s0["requests"].get("GET /oidc/.well-known/oauth-authorization-server", 0))
    check("sdk: M2M token endpoint from discovery",
          m2m.config.oauth_token().access_token and m2m.config.auth_type == "oauth-m2m"
          and m2m.config.databricks_oidc_endpoints.token_endpoint == base + "/oidc/v1/token")
    wrong = client(host=base, client_id=sp_id, client_secret="wrong", auth_type="oauth-m2m")
    try:
        wrong.warehouses.get(wh)
        check("sdk: M2M wrong secret refused (invalid_client)", False, "no error")
    except Exception as e:
        check("sdk: M2M wrong secret refused (invalid_client)", "invalid_client" in str(e), str(e)[:300])

    # --- bootstrap-databricks's .databrickscfg, read by the SDK's own config loader
    d = os.path.join(os.path.dirname(tokens_path), "bootstrap")
    port = base.rsplit(":", 1)[1]
    b = subprocess.run([os.path.join(HERE, "..", "bootstrap-databricks"), d, port],
                       capture_output=True, text=True)
    if b.returncode != 0:
        check("sdk: bootstrap-databricks runs", False, b.stderr[:300])
        return
    with open(os.path.join(d, "tokens.json")) as f:
        boot = json.load(f)
    with open(tokens_path) as f:
        cur = json.load(f)
    cur["pats"] += boot["pats"]
    cur["warehouses"] += boot["warehouses"]
    cur["oauth_clients"].update(boot["oauth_clients"])
    with open(tokens_path + ".tmp", "w") as f:
        json.dump(cur, f)
    os.replace(tokens_path + ".tmp", tokens_path)
    cfg = os.path.join(d, "databrickscfg")
    for profile, auth in (("DEFAULT", "pat"), ("sp", "oauth-m2m")):
        pw = client(config_file=cfg, profile=profile)
        r = pw.statement_execution.execute_statement("SELECT 1", pw.config.warehouse_id,
                                                     wait_timeout="30s")
        check("sdk: databrickscfg profile %s (%s)" % (profile, auth),
              pw.config.auth_type == auth and r.result.data_array == [["1"]],
              "auth_type %s" % pw.config.auth_type)
