#!/usr/bin/env python3
"""Local stand-in for the Snowflake SQL API v2 (see tests/stack/README.snowflake).

  server.py --host 127.0.0.1 --port PORT --state DIR [--account NAME] [--partition-rows N]
            [--partition-bytes N] [--sync-wait SECONDS] [--inject SPEC]...
"""
import argparse
import gzip
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import auth  # noqa: E402
import emulate  # noqa: E402
import engine  # noqa: E402

SUCCESS = ("090001", "00000", "Statement executed successfully.")
RUNNING_MSG = ("Asynchronous execution in progress. Use provided query id to perform query "
               "monitoring and management.")
STATEMENTS = "/api/v2/statements"
SQL_API_PARAMS = {"BINARY_OUTPUT_FORMAT", "CLIENT_RESULT_CHUNK_SIZE", "DATE_OUTPUT_FORMAT",
                  "MULTI_STATEMENT_COUNT", "QUERY_TAG", "ROWS_PER_RESULTSET", "TIME_OUTPUT_FORMAT",
                  "TIMESTAMP_LTZ_OUTPUT_FORMAT", "TIMESTAMP_NTZ_OUTPUT_FORMAT",
                  "TIMESTAMP_OUTPUT_FORMAT", "TIMESTAMP_TZ_OUTPUT_FORMAT", "TIMEZONE",
                  "USE_CACHED_RESULT"}


def now_ms():
    return int(time.time() * 1000)


# ---------------------------------------------------------------- fault injection

class Injections:
    """Faults for the next N requests matching METHOD + path prefix.

    SPEC (command line): METHOD:PATHPREFIX:ACTION[:COUNT[:ARG]]
      ACTION 429 (ARG = Retry-After seconds, default 1), 500, 503, 504,
             delay (ARG = seconds, then served normally), drop (ARG unused),
             slow (ARG = seconds: each statement of the POSTed request sleeps that long first).
    JSON (POST /_stack/inject): {"method","path","action","count","retry_after","seconds"}
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    @staticmethod
    def parse_spec(spec):
        p = spec.split(":")
        if len(p) < 3:
            raise ValueError("inject spec: METHOD:PATHPREFIX:ACTION[:COUNT[:ARG]]")
        rule = {"method": p[0].upper(), "path": p[1], "action": p[2].lower(),
                "count": int(p[3]) if len(p) > 3 and p[3] else 1}
        if len(p) > 4:
            if rule["action"] == "429":
                rule["retry_after"] = p[4]
            else:
                rule["seconds"] = float(p[4])
        return rule

    def add(self, rule):
        action = str(rule.get("action", "")).lower()
        if action not in ("429", "500", "502", "503", "504", "delay", "drop", "slow"):
            raise ValueError("unknown action %r" % action)
        r = {"method": str(rule.get("method", "*")).upper(), "path": rule.get("path", "/"),
             "action": action, "count": int(rule.get("count", 1)),
             "retry_after": str(rule.get("retry_after", "1")),
             "seconds": float(rule.get("seconds", rule.get("delay", 1.0))),
             "match": str(rule.get("match", ""))}
        with self.lock:
            self.rules.append(r)
        return r

    def take(self, method, path, body=b""):
        with self.lock:
            for r in self.rules:
                if r.get("match") and r["match"].encode() not in body:
                    continue
                if r["count"] > 0 and r["method"] in ("*", method) and path.startswith(r["path"]):
                    r["count"] -= 1
                    if r["count"] == 0:
                        self.rules.remove(r)
                    return dict(r)
        return None

    def pending(self):
        with self.lock:
            return [dict(r) for r in self.rules]


# ---------------------------------------------------------------- statements

class Statement:
    def __init__(self, app, handle, request_id, parent=None):
        self.app = app
        self.handle = handle
        self.request_id = request_id
        self.parent = parent
        self.created = now_ms()
        self.status = "running"  # running | success | failed | canceled | timeout
        self.error = None  # (code, sqlState, message)
        self.meta = None
        self.stats = None
        self.children = []
        self.done = threading.Event()
        self.cancel_event = threading.Event()
        self.session = None
        self.timeout = None
        self.slow = 0  # injected: seconds each statement of the request sleeps first
        self.blocked = False  # waiting for a table lock
        self.ended = None
        self.info = {}  # what QUERY_HISTORY shows: text, user, role, warehouse, database, schema, tag
        self.rdir = os.path.join(app.results_dir, handle)

    def status_url(self):
        u = "%s/%s" % (STATEMENTS, self.handle)
        return u + ("?requestId=%s" % self.request_id if self.request_id else "")

    def to_record(self):
        return {"handle": self.handle, "requestId": self.request_id, "created": self.created,
                "status": self.status, "error": self.error, "meta": self.meta,
                "stats": self.stats, "children": self.children, "parent": self.parent}

    @classmethod
    def from_record(cls, app, rec):
        s = cls(app, rec["handle"], rec.get("requestId"), rec.get("parent"))
        s.created, s.status, s.error = rec["created"], rec["status"], rec.get("error")
        s.meta, s.stats, s.children = rec.get("meta"), rec.get("stats"), rec.get("children", [])
        if s.status == "running":  # the server died under it
            s.status, s.error = "failed", ["000603", "XX000", "SQL execution internal error: server restarted."]
        s.done.set()
        return s

    def save(self):
        os.makedirs(self.rdir, exist_ok=True)
        tmp = os.path.join(self.rdir, "meta.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.to_record(), f)
        os.replace(tmp, os.path.join(self.rdir, "meta.json"))

    def finish(self, status, error=None):
        self.status, self.error = status, error
        self.ended = now_ms()
        self.save()
        self.done.set()

    def cancel(self, why="canceled"):
        if self.done.is_set():
            return
        self.cancel_event.set()
        self._why = why
        sess = self.session
        if sess is not None:
            try:
                sess.cur.interrupt()
            except Exception:
                pass


class App:
    def __init__(self, args):
        self.args = args
        self.state = os.path.abspath(args.state)
        os.makedirs(self.state, exist_ok=True)
        self.results_dir = os.path.join(self.state, "results")
        os.makedirs(self.results_dir, exist_ok=True)
        self.expire_results()
        self.users = auth.Users(self.state, args.account)
        self.db = engine.Database(self.state)
        self.objects = emulate.Objects(self, self.state)
        self.injections = Injections()
        for spec in args.inject or []:
            self.injections.add(Injections.parse_spec(spec))
        self.sync_wait = args.sync_wait
        self.stop = threading.Event()
        threading.Thread(target=emulate.pipe_poller, args=(self, self.stop), daemon=True).start()
        self.lock = threading.Lock()
        self.statements = {}
        self.by_request = {}
        self.request_counts = {}
        self.executions = {}
        self.executed_total = 0
        self.ledger = os.path.join(self.state, "requests.jsonl")
        if os.path.exists(self.ledger):
            with open(self.ledger) as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except ValueError:
                        continue
                    self.by_request[r["requestId"]] = r["handle"]
                    self.executions[r["requestId"]] = self.executions.get(r["requestId"], 0) + 1

    def expire_results(self):
        """Snowflake keeps results for 24 hours; so do we (checked at start-up)."""
        cutoff = time.time() - 24 * 3600
        for h in os.listdir(self.results_dir):
            p = os.path.join(self.results_dir, h)
            try:
                if os.path.getmtime(p) < cutoff:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass

    def statement(self, handle):
        with self.lock:
            s = self.statements.get(handle)
        if s is not None:
            return s
        p = os.path.join(self.results_dir, os.path.basename(handle), "meta.json")
        if not os.path.exists(p):
            return None
        with open(p) as f:
            s = Statement.from_record(self, json.load(f))
        with self.lock:
            self.statements[handle] = s
        return s

    def count_request(self, key):
        with self.lock:
            self.request_counts[key] = self.request_counts.get(key, 0) + 1

    # -------------------------------------------------------- execution
    def submit(self, user, body, request_id, nullable, slow=0):
        handle = str(uuid.uuid4())
        st = Statement(self, handle, request_id)
        st.nullable = nullable
        st.slow = slow
        st.info = {"text": body.get("statement", ""), "user": user,
                   "tag": str(self._params(body).get("QUERY_TAG", "") or "")}
        with self.lock:
            self.statements[handle] = st
            if request_id:
                self.by_request[request_id] = handle
                self.executions[request_id] = self.executions.get(request_id, 0) + 1
            self.executed_total += 1
        if request_id:
            with open(self.ledger, "a") as f:
                f.write(json.dumps({"requestId": request_id, "handle": handle}) + "\n")
        st.save()
        t = threading.Thread(target=self._run, args=(st, user, body), daemon=True)
        t.start()
        timeout = body.get("timeout")
        if isinstance(timeout, int) and timeout > 0:
            st.timeout = timeout
            timer = threading.Timer(timeout, lambda: st.cancel("timeout"))
            timer.daemon = True
            timer.start()
        return st

    def _params(self, body):
        params = {}
        for k, v in (body.get("parameters") or {}).items():
            params[str(k).upper()] = v
        return params

    def _defaults(self, user, body):
        """Missing database/schema/role/warehouse come from the user's defaults."""
        u = self.users.get(user) or {}
        ns = u.get("default_namespace")
        if not body.get("database") and ns:
            parts = engine.split_name(ns)
            body["database"] = parts[0]
            if len(parts) > 1 and not body.get("schema"):
                body["schema"] = parts[1]
        if not body.get("role") and u.get("default_role"):
            body["role"] = u["default_role"]
        if not body.get("warehouse") and u.get("default_warehouse"):
            body["warehouse"] = u["default_warehouse"]
        body["_account"] = self.args.account

    def _run(self, st, user, body):
        params = self._params(body)
        self._defaults(user, body)
        sess = None
        try:
            text = body["statement"]
            stmts = engine.split_statements(text)
            want = params.get("MULTI_STATEMENT_COUNT", 1)
            try:
                want = int(want)
            except (TypeError, ValueError):
                raise engine.SqlError("000008", "0A000", "Invalid value for MULTI_STATEMENT_COUNT: %r" % want)
            if not stmts:
                raise engine.compilation_error("Empty SQL statement.")
            if want != 0 and want != len(stmts):
                raise engine.SqlError("000008", "0A000",
                                      "Actual statement count %d did not match the desired statement count %d."
                                      % (len(stmts), want))
            multi = want != 1
            bindings = engine.convert_bindings(body.get("bindings"))
            if multi and bindings:
                raise engine.SqlError("000002", "0A000", "Unsupported feature 'bindings in multi-statement request'.")
            sess = engine.Session(self.db, user, body, params, st.cancel_event)
            if sess.warehouse and not self.objects.warehouse_exists(sess.warehouse):
                sess.warehouse = None  # a named or default warehouse that does not exist: none current
            st.session = sess
            st.info.update(self._where(sess))
            if multi:
                st.info["type"] = "MULTI_STATEMENT"
            if not multi:
                kind = emulate.session_statement(stmts[0])
                if kind:
                    # research §1.7: only inside a multi-statement request (code UNCONFIRMED)
                    raise engine.SqlError("391911", "0A000",
                                          "Statement type '%s' is not supported in a single-statement "
                                          "request; send it in a multi-statement request." % kind)
                self._exec_one(st, sess, stmts[0], bindings)
                st.finish("success")
                return
            for i, sql in enumerate(stmts):
                child = Statement(self, str(uuid.uuid4()), None, parent=st.handle)
                child.nullable = st.nullable
                child.slow = st.slow
                child.info = {"text": sql, "user": user}
                with self.lock:
                    self.statements[child.handle] = child
                st.children.append(child.handle)
                try:
                    self._exec_one(child, sess, sql, None)
                    child.finish("success")
                except engine.Canceled:
                    child.finish("canceled", ["000604", "57014", "SQL execution canceled"])
                    raise
                except engine.SqlError as e:
                    child.finish("failed", [e.code, e.sqlstate, e.message])
                    pos = text.find(sql)
                    line = text.count("\n", 0, pos) + 1 if pos >= 0 else 1
                    raise engine.SqlError(
                        "100132", "P0000",
                        "JavaScript execution error: Uncaught Execution of multiple statements failed on "
                        "statement \"%s...\" (at line %d, position %d).\n%s"
                        % (sql[:30], line, max(pos, 0), e.message))
            sess.close()
            res = engine.status_result("Multiple statements executed successfully.",
                                       name="multiple statement execution")
            self._store(st, res)
            st.finish("success")
        except engine.Canceled:
            why = getattr(st, "_why", "canceled")
            if why == "timeout":
                st.finish("timeout", ["000630", "57014", "Statement reached its statement or warehouse "
                                      "timeout of %s second(s) and was canceled." % st.timeout])
            else:
                st.finish("canceled", ["000604", "57014", "SQL execution canceled"])
        except engine.SqlError as e:
            st.finish("failed", [e.code, e.sqlstate, e.message])
        except Exception as e:  # an engine bug: still answer in Snowflake's shape
            traceback.print_exc()
            st.finish("failed", ["000603", "XX000", "SQL execution internal error: %s" % e])
        finally:
            if sess is not None:
                sess.close()

    @staticmethod
    def _where(sess):
        return {"role": sess.role, "warehouse": sess.warehouse, "database": sess.database,
                "schema": sess.schema, "session": sess.session_id,
                "tag": str(sess.params.get("QUERY_TAG", "") or "")}

    def _exec_one(self, st, sess, sql, bindings):
        cancel = st.cancel_event if st.parent is None else self.statement(st.parent).cancel_event
        if cancel.is_set():
            raise engine.Canceled()
        st.info.update(self._where(sess))
        st.info.setdefault("type", emulate.query_type(sql))
        if st.slow and cancel.wait(st.slow):  # injected: a slow statement
            raise engine.Canceled()
        if not sess.warehouse and emulate.needs_warehouse(sql):
            raise engine.SqlError("000606", "57P03", "No active warehouse selected in the current session.  "
                                  "Select an active warehouse with the 'use warehouse' command.")
        sess.statement_id = st.handle
        sess.on_block = lambda b: setattr(st, "blocked", b)
        try:
            sql = emulate.query_history_sql(self, sess, sql)
            res = emulate.handle(self, sess, sql, bindings)
            if res is None:
                res = sess.run_core(sql, bindings)
            self._store(st, res, sess.params)
        finally:
            sess.on_block = None
            sess.end_statement()

    def history(self):
        """Every statement this server has run, newest first (QUERY_HISTORY)."""
        with self.lock:
            sts = [s for s in self.statements.values() if s.info]
        return sorted(sts, key=lambda s: s.created, reverse=True)

    def _store(self, st, res, params=None):
        params = params or {}
        rows_cap = 0
        try:
            rows_cap = int(params.get("ROWS_PER_RESULTSET", 0) or 0)
        except (TypeError, ValueError):
            pass
        spill = engine.Spill(st.rdir, self.args.partition_rows, self.args.partition_bytes)
        cancel = st.parent and self.statement(st.parent).cancel_event or st.cancel_event
        try:
            total = spill.write(res, getattr(st, "nullable", True), rows_cap, cancel, params)
        except Exception as e:
            import duckdb
            if isinstance(e, duckdb.Error):
                raise engine.map_duck_error(e)
            raise
        row_type = []
        for name, t in zip(res.names, res.types):
            rt = dict(t)
            rt.update({"name": name, "database": st.session.database if st.session else "",
                       "schema": "", "table": ""})
            row_type.append(rt)
        st.meta = {"numRows": total, "format": "jsonv2", "rowType": row_type,
                   "partitionInfo": spill.parts}
        st.stats = res.stats


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "snowflake-standin/1"
    app = None

    def log_message(self, fmt, *args):
        if os.environ.get("SF_STANDIN_LOG"):
            sys.stderr.write("sf-standin: %s\n" % (fmt % args))

    # -------------------------------------------------------- helpers
    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_bytes(code, body, "application/json", headers)

    def send_bytes(self, code, body, ctype, headers=None, gz=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # -------------------------------------------------------- dispatch
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def dispatch(self, method):
        app = self.app
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        raw = self.read_body() if method in ("POST", "PUT", "PATCH") else b""
        if path.startswith("/_stack/"):
            return self.admin(method, path, raw)
        app.count_request("%s %s" % (method, path if not path.startswith(STATEMENTS + "/")
                                     else STATEMENTS + "/{handle}" + ("/cancel" if path.endswith("/cancel") else "")))
        inj = app.injections.take(method, path, raw)
        drop_after = False
        slow = 0
        if inj:
            a = inj["action"]
            if a == "429":
                return self.send_json(429, {"code": "390505", "message": "Too many requests."},
                                      {"Retry-After": inj["retry_after"]})
            if a in ("500", "502", "503", "504"):
                msg = {"500": "Internal Server Error", "502": "Bad Gateway",
                       "503": "Service Unavailable", "504": "Gateway Timeout"}[a]
                return self.send_bytes(int(a), (msg + "\n").encode(), "text/plain")
            if a == "delay":
                time.sleep(inj["seconds"])
            if a == "drop":
                drop_after = True
            if a == "slow":
                slow = inj["seconds"]
        try:
            if path == STATEMENTS:
                if method != "POST":
                    return self.send_json(405, {"code": "391902", "message": "Method not allowed."})
                return self.submit(query, raw, drop_after, slow)
            if path.startswith(STATEMENTS + "/"):
                rest = path[len(STATEMENTS) + 1:].split("/")
                if len(rest) == 1 and rest[0]:
                    if method != "GET":
                        return self.send_json(405, {"code": "391902", "message": "Method not allowed."})
                    return self.get_status(rest[0], query, drop_after)
                if len(rest) == 2 and rest[1] == "cancel":
                    if method != "POST":
                        return self.send_json(405, {"code": "391902", "message": "Method not allowed."})
                    return self.cancel(rest[0], drop_after)
            return self.send_json(404, {"code": "390404", "message": "Not found."})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:  # a stand-in bug: answer 500 rather than a silent close
            traceback.print_exc()
            try:
                self.send_json(500, {"code": "390500", "message": "Internal error in the stand-in."})
            except OSError:
                pass

    def authenticate(self):
        try:
            return self.app.users.authenticate(self.headers)
        except auth.AuthError as e:
            self.send_json(401, {"code": e.code, "message": e.message})
            return None

    # -------------------------------------------------------- SQL API
    def submit(self, query, raw, drop_after, inj_slow=0):
        app = self.app
        user = self.authenticate()
        if user is None:
            return
        if not (self.headers.get("User-Agent") or "").strip():
            # required by the docs; the error code is from a third-party report (README)
            return self.send_json(400, {"code": "391903", "message": "User-Agent header is missing."})
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self.send_json(415, {"code": "391903", "message": "Unsupported media type."})
        bad = {"code": "390142", "message": "Incoming request does not contain a valid payload."}
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.send_json(400, bad)
        if not isinstance(body, dict) or not isinstance(body.get("statement"), str):
            return self.send_json(400, bad)
        if body.get("timeout") is not None and (not isinstance(body.get("timeout"), int)
                                                or isinstance(body.get("timeout"), bool)
                                                or body["timeout"] < 0):
            return self.send_json(400, bad)
        for k in ("parameters", "bindings"):
            if body.get(k) is not None and not isinstance(body[k], dict):
                return self.send_json(400, bad)
        for k in ("database", "schema", "warehouse", "role"):
            if body.get(k) is not None and not isinstance(body[k], str):
                return self.send_json(400, bad)
        request_id = query.get("requestId")
        if request_id:
            try:
                uuid.UUID(request_id)
            except ValueError:
                return self.send_json(400, bad)
        nullable = str(query.get("nullable", "true")).lower() != "false"
        is_async = str(query.get("async", "false")).lower() == "true"
        retry = str(query.get("retry", "false")).lower() == "true"
        st = None
        slow = inj_slow
        if request_id and retry:
            with app.lock:
                h = app.by_request.get(request_id)
            prev = app.statement(h) if h else None
            if prev is not None and prev.status in ("running", "success"):
                st = prev  # already executed (or executing): do not run it again
        if st is None:
            timeout = body.get("timeout")
            if timeout == 0:
                body["timeout"] = 604800
            st = app.submit(user, body, request_id, nullable, slow)
        if drop_after:
            st.done.wait()
            return self.drop()
        if is_async:
            # async=true: always 202 + QueryStatus, however fast the statement finished
            return self.respond_statement(st, post=True, running=True)
        st.done.wait(app.sync_wait)
        return self.respond_statement(st, post=True)

    def respond_statement(self, st, post=False, partition=None, running=False):
        if running or not st.done.is_set():
            return self.send_json(202, {"code": "333334", "message": RUNNING_MSG,
                                        "statementHandle": st.handle,
                                        "statementStatusUrl": st.status_url()})
        if st.status != "success":
            code, sqlstate, msg = st.error
            http = 408 if (st.status == "timeout" and post) else 422
            return self.send_json(http, {"code": code, "sqlState": sqlstate, "message": msg,
                                         "statementHandle": st.handle, "createdOn": st.created,
                                         "statementStatusUrl": st.status_url()})
        parts = st.meta["partitionInfo"]
        n = partition or 0
        if n < 0 or n >= len(parts):
            return self.send_json(422, {"code": "391922", "sqlState": "22023",
                                        "message": "Invalid partition number %d; the result has %d partition(s)."
                                        % (n, len(parts)),
                                        "statementHandle": st.handle})
        data, gz = engine.read_partition(st.rdir, n)
        links = self.link_header(st, n, len(parts))
        if n > 0:
            accept = (self.headers.get("Accept-Encoding") or "").lower()
            body_bytes = gzip.decompress(data)
            # partitions > 0 carry only the data array (research §1.5)
            payload = b'{"data":' + body_bytes + b"}"
            if "gzip" in accept:
                return self.send_bytes(200, gzip.compress(payload, compresslevel=1),
                                       "application/json", links, gz=True)
            return self.send_bytes(200, payload, "application/json", links)
        head = {"resultSetMetaData": st.meta, "code": SUCCESS[0], "statementStatusUrl": st.status_url(),
                "requestId": st.request_id, "sqlState": SUCCESS[1], "statementHandle": st.handle,
                "message": SUCCESS[2], "createdOn": st.created}
        if st.children:
            head["statementHandles"] = st.children
        if st.stats:
            head["stats"] = st.stats
        enc = json.dumps(head).encode()
        payload = enc[:-1] + b',"data":' + data + b"}"
        return self.send_bytes(200, payload, "application/json", links)

    def link_header(self, st, n, total):
        base = "%s/%s?partition=" % (STATEMENTS, st.handle)
        links = ['<%s0>;rel="first"' % base]
        if n + 1 < total:
            links.append('<%s%d>;rel="next"' % (base, n + 1))
        if n > 0:
            links.append('<%s%d>;rel="prev"' % (base, n - 1))
        links.append('<%s%d>;rel="last"' % (base, total - 1))
        return {"Link": ",".join(links)}

    def get_status(self, handle, query, drop_after):
        user = self.authenticate()
        if user is None:
            return
        st = self.app.statement(handle)
        if st is None:
            return self.send_json(422, {"code": "000709", "sqlState": "02000",
                                        "message": "Statement %s not found" % handle,
                                        "statementHandle": handle})
        if "nullable" in query:
            return self.send_json(400, {"code": "390142",
                                        "message": "Incoming request does not contain a valid payload."})
        try:
            partition = int(query.get("partition", "0"))
        except ValueError:
            return self.send_json(400, {"code": "390142",
                                        "message": "Incoming request does not contain a valid payload."})
        if drop_after:
            return self.drop()
        return self.respond_statement(st, partition=partition)

    def cancel(self, handle, drop_after):
        user = self.authenticate()
        if user is None:
            return
        st = self.app.statement(handle)
        if st is None:
            return self.send_json(422, {"code": "000709", "sqlState": "02000",
                                        "message": "Statement %s not found" % handle,
                                        "statementHandle": handle})
        st.cancel()
        for c in list(st.children):
            cs = self.app.statement(c)
            if cs is not None:
                cs.cancel()
        st.done.wait(5)
        if drop_after:
            return self.drop()
        return self.send_json(200, {"code": "000604", "sqlState": "57014",
                                    "message": "SQL execution canceled", "statementHandle": handle,
                                    "statementStatusUrl": st.status_url()})

    # -------------------------------------------------------- admin
    def admin(self, method, path, raw):
        app = self.app
        try:
            if path == "/_stack/inject" and method == "POST":
                spec = json.loads(raw or b"{}")
                rules = spec if isinstance(spec, list) else [spec]
                added = [app.injections.add(r) for r in rules]
                return self.send_json(200, {"added": added, "pending": app.injections.pending()})
            if path == "/_stack/inject" and method == "DELETE":
                with app.injections.lock:
                    app.injections.rules.clear()
                return self.send_json(200, {"pending": []})
            if path == "/_stack/stats" and method == "GET":
                with app.lock:
                    out = {"requests": dict(app.request_counts), "executions": dict(app.executions),
                           "statements_executed": app.executed_total,
                           "injections_pending": app.injections.pending()}
                return self.send_json(200, out)
            if path == "/_stack/config" and method == "POST":
                cfg = json.loads(raw or b"{}")
                if "sync_wait" in cfg:
                    app.sync_wait = float(cfg["sync_wait"])
                if "partition_rows" in cfg:
                    app.args.partition_rows = int(cfg["partition_rows"])
                return self.send_json(200, {"sync_wait": app.sync_wait,
                                            "partition_rows": app.args.partition_rows})
            if path == "/_stack/health":
                return self.send_json(200, {"ok": True})
        except (ValueError, TypeError) as e:
            return self.send_json(400, {"error": str(e)})
        return self.send_json(404, {"error": "unknown admin endpoint"})


def main(argv=None):
    ap = argparse.ArgumentParser(description="Snowflake SQL API v2 stand-in")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--account", default=os.environ.get("SF_STANDIN_ACCOUNT", "TESTORG-TESTACCOUNT"))
    ap.add_argument("--partition-rows", type=int, default=0,
                    help="rows per result partition (default: size-based)")
    ap.add_argument("--partition-bytes", type=int, default=4 * 1024 * 1024)
    ap.add_argument("--sync-wait", type=float, default=45.0,
                    help="seconds a POST waits before answering 202 (real service: 45)")
    ap.add_argument("--inject", action="append", help="METHOD:PATHPREFIX:ACTION[:COUNT[:ARG]]")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the stand-in only listens on loopback")
    app = App(args)
    Handler.app = app
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    sys.stderr.write("sf-standin: listening on http://%s:%d state %s account %s\n"
                     % (args.host, args.port, app.state, args.account))
    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    try:
        srv.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        app.stop.set()
        srv.server_close()
        try:
            app.db.con.close()  # checkpoint the DuckDB files
        except Exception:
            pass


if __name__ == "__main__":
    main()
