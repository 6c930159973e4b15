"""Table locks (Snowflake's queueing of DML behind another transaction) and QUERY_HISTORY."""
import threading
import time

import sfclient as c

SETUP = ("create database if not exists LK; create or replace table LK.PUBLIC.T (d int, id int); "
         "insert into LK.PUBLIC.T values (1, 1), (1, 2), (2, 3)")


def sql(stack, text, n=0, **kw):
    params = dict(kw.pop("parameters", {}))
    params.setdefault("MULTI_STATEMENT_COUNT", n)
    return c.run(stack.base, stack.jwt(), text, parameters=params, **kw)


def done(stack, r):
    return c.wait(stack.base, stack.jwt(), r)


def rows(stack, text):
    return c.all_rows(stack.base, stack.jwt(), sql(stack, text, 1, database="LK"))[1]


def reload(n, extra=""):
    return ("%sbegin; delete from T where d = 1; insert into T select 1, %d; commit" % (extra, n))


def history(stack, tag):
    return rows(stack, "select query_id, query_type, execution_status from "
                       "table(information_schema.query_history(result_limit => 10000)) "
                       "where query_tag = '%s' order by start_time" % tag)


def cancel(stack, r):
    h = r.json["statementHandle"]
    assert c.request(stack.base, "POST", "/api/v2/statements/%s/cancel" % h, stack.jwt()).status == 200


def until(what, cond, seconds=60):
    for _ in range(int(seconds * 5)):
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def test_second_transaction_waits_for_the_first(stack):
    assert done(stack, sql(stack, SETUP)).status == 200
    # the first reload holds T's lock until cancelled; nobody polls it (a client gone does not stop it)
    first = sql(stack, "begin; delete from T where d = 1; insert into T select 1, 10; select system$wait(600); commit",
                database="LK", params="&async=true", parameters={"QUERY_TAG": "first"})
    assert first.status == 202
    until("the first's lock", lambda: ["SELECT", "RUNNING"] in [r[1:] for r in history(stack, "first")])
    second = sql(stack, reload(20), database="LK", params="&async=true", parameters={"QUERY_TAG": "second"})
    until("the second to wait", lambda: ["DELETE", "BLOCKED"] in [r[1:] for r in history(stack, "second")])
    assert ["MULTI_STATEMENT", "RUNNING"] in [r[1:] for r in history(stack, "first")]
    assert c.request(stack.base, "GET", second.json["statementStatusUrl"], stack.jwt()).status == 202
    cancel(stack, first)  # the first rolls back, its lock goes: the second runs on
    r = done(stack, second)
    assert r.status == 200, r.raw[:400]
    assert rows(stack, "select d, id from T order by d, id") == [["1", "20"], ["2", "3"]]
    assert all(s == "SUCCESS" for _, _, s in history(stack, "second"))
    assert history(stack, "first")[0][2] == "FAILED_WITH_ERROR"


def test_lock_timeout_parameter_and_alter_session(stack):
    assert done(stack, sql(stack, SETUP)).status == 200
    holder = sql(stack, "begin; delete from T where d = 2; select system$wait(600); commit", database="LK",
                 params="&async=true", parameters={"QUERY_TAG": "holder"})
    until("the holder's lock", lambda: ["SELECT", "RUNNING"] in [r[1:] for r in history(stack, "holder")])
    t0 = time.time()
    r = done(stack, sql(stack, reload(30), database="LK", parameters={"LOCK_TIMEOUT": 1}))
    assert r.status == 422 and "has locked table 'LK.PUBLIC.T'" in r.json["message"], r.raw
    assert "LOCK_TIMEOUT" in r.json["message"]
    assert time.time() - t0 >= 0.9
    r = done(stack, sql(stack, reload(31, "alter session set lock_timeout = 0; "), database="LK"))
    assert r.status == 422 and "has locked table 'LK.PUBLIC.T'" in r.json["message"], r.raw
    cancel(stack, holder)
    assert rows(stack, "select d, id from T order by d, id") == [["1", "1"], ["1", "2"], ["2", "3"]]


def test_reads_do_not_wait_and_other_tables_do_not_wait(stack):
    assert done(stack, sql(stack, SETUP + "; create or replace table LK.PUBLIC.U (x int)")).status == 200
    holder = sql(stack, "begin; delete from T where d = 2; select system$wait(60); commit", database="LK",
                 params="&async=true")
    time.sleep(0.5)
    assert rows(stack, "select count(*) from T") == [["3"]]  # the uncommitted delete is not seen
    assert done(stack, sql(stack, "insert into U values (1)", 1, database="LK")).status == 200
    # both done while the holder still holds T's lock
    assert c.request(stack.base, "GET", holder.json["statementStatusUrl"], stack.jwt()).status == 202
    cancel(stack, holder)


def test_twenty_waiters_at_most(stack):
    assert done(stack, sql(stack, SETUP)).status == 200
    holder = sql(stack, "begin; delete from T where d = 2; select system$wait(60); commit", database="LK",
                 params="&async=true")
    time.sleep(0.5)
    waiters = [sql(stack, "insert into T values (9, %d)" % i, 1, database="LK", params="&async=true",
                   parameters={"QUERY_TAG": "waiter"}) for i in range(20)]
    for _ in range(100):
        if [r[2] for r in history(stack, "waiter")] == ["BLOCKED"] * 20:
            break
        time.sleep(0.2)
    assert [r[2] for r in history(stack, "waiter")] == ["BLOCKED"] * 20
    r = done(stack, sql(stack, "insert into T values (9, 99)", 1, database="LK"))
    assert r.status == 422 and r.json["code"] == "000625", r.raw
    assert "exceeds the 20 statements limit" in r.json["message"]
    cancel(stack, holder)
    assert all(done(stack, w).status == 200 for w in waiters)
    assert rows(stack, "select count(*) from T where d = 9") == [["20"]]
    assert rows(stack, "select count(*) from T where d = 2") == [["1"]]  # the holder rolled back


def test_query_history_shape(stack):
    r = done(stack, sql(stack, "select 1", 1, parameters={"QUERY_TAG": "shape"}))
    assert r.status == 200
    e = done(stack, sql(stack, "select * from table(information_schema.query_history())", 1))
    assert e.status == 422 and e.json["code"] == "090105"  # no current database
    resp, got = c.all_rows(stack.base, stack.jwt(), sql(
        stack, "select query_id, query_text, query_type, user_name, execution_status, error_code, "
               "warehouse_name, end_time is not null from table(LK.information_schema.query_history_by_user("
               "result_limit => 5)) where query_tag = 'shape'", 1))
    assert got == [[r.json["statementHandle"], "select 1", "SELECT", "ALICE", "SUCCESS", None, "TEST_WH", "true"]]
