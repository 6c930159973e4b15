"""Where the stand-in must be as strict as Snowflake: identifier case, warehouses, statements
allowed only in multi-statement requests, async=true, the object named in 002003. (COPY element names: test_copy.py.)"""
import sfclient as c

DB = {"database": "STRICT", "schema": "PUBLIC"}


def sql(stack, text, **kw):
    return c.run(stack.base, stack.jwt(), text, **kw)


def setup_db(stack):
    assert sql(stack, "create database if not exists STRICT").status == 200
    assert sql(stack, 'create or replace table "lower_t" ("id" int, "Name" varchar, AMOUNT int)', **DB).status == 200
    assert sql(stack, "insert into \"lower_t\" values (1, 'a', 10)", **DB).status == 200


# ---------------------------------------------------------------- identifiers

def test_unquoted_column_folds_to_upper(stack):
    setup_db(stack)
    r = sql(stack, 'select ID from "lower_t"', **DB)
    assert r.status == 422 and r.json["code"] == "000904", r.raw
    assert "invalid identifier 'ID'" in r.json["message"]
    r = sql(stack, 'select "ID" from "lower_t"', **DB)
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, 'select "name" from "lower_t"', **DB)
    assert r.status == 422 and "invalid identifier '\"name\"'" in r.json["message"], r.raw
    r = sql(stack, 'select t."id", amount, "Name" from "lower_t" t where "id" = 1', **DB)
    assert r.status == 200 and r.json["data"] == [["1", "10", "a"]], r.raw
    r = sql(stack, 'select "id" from "lower_t" where Id = 1', **DB)
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, 'select x from (select "id" as x from "lower_t") where x = 1', **DB)
    assert r.status == 200 and r.json["data"] == [["1"]]
    r = sql(stack, 'with c as (select "id" from "lower_t") select ID from c', **DB)
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, 'insert into "lower_t" (ID) values (2)', **DB)
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, 'update "lower_t" set NAME = \'b\'', **DB)
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, 'delete from "lower_t" where ID = 1', **DB)
    assert r.status == 422 and r.json["code"] == "000904"
    r = sql(stack, 'select count(*) from "lower_t"', **DB)
    assert r.json["data"] == [["1"]]


def test_subquery_in_from_does_not_see_the_outer_from(stack):
    # parity-check's profile query names "name" inside a subquery whose output feeds the outer
    # query; Snowflake does not resolve it against that output (not LATERAL): 000904.
    setup_db(stack)
    r = sql(stack, 'select r."name" from (select 1 as "x") d left join '
                   '(select "name" from "lower_t") r on true', **DB)
    assert r.status == 422 and "invalid identifier '\"name\"'" in r.json["message"], r.raw
    r = sql(stack, 'select r."name" from (select 1 as "x") d left join '
                   '(select "Name" as "name" from "lower_t") r on true', **DB)
    assert r.status == 200 and r.json["data"] == [["a"]], r.raw
    # A correlated subquery in WHERE still sees its outer query.
    r = sql(stack, 'select "id" from "lower_t" t where exists (select 1 from "lower_t" u where u."id" = t."id")', **DB)
    assert r.status == 200 and r.json["data"] == [["1"]], r.raw


def test_unquoted_table_folds_to_upper(stack):
    setup_db(stack)
    r = sql(stack, "select * from lower_t", **DB)
    assert r.status == 422 and r.json["code"] == "002003" and r.json["sqlState"] == "42S02", r.raw
    assert r.json["message"] == "SQL compilation error:\nObject 'STRICT.PUBLIC.LOWER_T' does not exist or not authorized."
    r = sql(stack, 'select * from "LOWER_T"', **DB)
    assert r.status == 422 and r.json["code"] == "002003"
    r = sql(stack, "drop table if exists lower_t", **DB)
    assert r.status == 200
    r = sql(stack, 'select count(*) from STRICT.PUBLIC."lower_t"')
    assert r.status == 200 and r.json["data"] == [["1"]], r.raw
    r = sql(stack, "desc table lower_t", **DB)
    assert r.status == 422 and r.json["code"] == "002003"


def test_missing_table_named_as_snowflake_does(stack):
    setup_db(stack)
    r = sql(stack, "select * from no_such_table", **DB)
    assert r.status == 422
    assert r.json["message"] == "SQL compilation error:\nObject 'STRICT.PUBLIC.NO_SUCH_TABLE' does not exist or not authorized."
    r = sql(stack, "insert into STRICT.PUBLIC.nope values (1)")
    assert r.json["message"] == "SQL compilation error:\nObject 'STRICT.PUBLIC.NOPE' does not exist or not authorized."
    r = sql(stack, "select * from STRICT.NOSCHEMA.t")
    assert r.json["code"] == "002003" and "Schema 'STRICT.NOSCHEMA' does not exist" in r.json["message"]
    assert "Error:" not in r.json["message"]


# ---------------------------------------------------------------- warehouses

NO_WH = ("No active warehouse selected in the current session.  Select an active warehouse with "
         "the 'use warehouse' command.")


def bob(stack, text, **kw):
    return c.run(stack.base, "pat-bob", text, token_type="PROGRAMMATIC_ACCESS_TOKEN", **kw)


def test_compute_needs_a_warehouse(stack):
    setup_db(stack)
    # BOB has no default warehouse: DDL, SHOW, DESC and constant SELECTs run, compute does not
    for ok in ("create or replace table wh_t (a int)", "show tables", "desc table wh_t",
               "select current_warehouse()"):
        r = bob(stack, ok, **DB)
        assert r.status == 200, (ok, r.raw)
    for bad in ("select * from wh_t", "insert into wh_t values (1)", "delete from wh_t",
                "update wh_t set a = 2", "create table wh_u as select * from wh_t"):
        r = bob(stack, bad, **DB)
        assert r.status == 422 and r.json["code"] == "000606" and r.json["sqlState"] == "57P03", (bad, r.raw)
        assert r.json["message"] == NO_WH
    # a warehouse named in the body must exist
    r = bob(stack, "select * from wh_t", warehouse="NO_SUCH_WH", **DB)
    assert r.status == 422 and r.json["code"] == "000606"
    r = bob(stack, "select * from wh_t", warehouse="test_wh", **DB)  # body names are case-sensitive
    assert r.status == 422 and r.json["code"] == "000606"
    r = bob(stack, "select count(*) from wh_t", warehouse="TEST_WH", **DB)
    assert r.status == 200 and r.json["data"] == [["0"]], r.raw
    # USE WAREHOUSE inside a multi-statement request
    r = bob(stack, "use warehouse TEST_WH; select count(*) from wh_t", parameters={"MULTI_STATEMENT_COUNT": 2}, **DB)
    assert r.status == 200, r.raw
    r = bob(stack, "use warehouse NOPE_WH; select 1", parameters={"MULTI_STATEMENT_COUNT": 2}, **DB)
    assert r.status == 422 and "Object does not exist" in r.json["message"]
    # CREATE WAREHOUSE makes it current; the user default (ALTER USER) is used when it exists
    r = bob(stack, "create warehouse BOB_WH; select count(*) from wh_t; drop warehouse BOB_WH; "
                   "select count(*) from wh_t", parameters={"MULTI_STATEMENT_COUNT": 4}, **DB)
    assert r.status == 422 and NO_WH in r.json["message"] and "(at line 1" in r.json["message"], r.raw
    assert sql(stack, "create warehouse if not exists BOB_WH").status == 200
    assert sql(stack, "alter user BOB set default_warehouse = BOB_WH").status == 200
    r = bob(stack, "select count(*), current_warehouse() from wh_t", **DB)
    assert r.status == 200 and r.json["data"] == [["0", "BOB_WH"]], r.raw
    r = sql(stack, "show warehouses like 'BOB%'")
    assert [row[0] for row in r.json["data"]] == ["BOB_WH"]


# ---------------------------------------------------------------- multi-statement-only statements

def test_session_statements_refused_alone(stack):
    for text in ("begin", "BEGIN TRANSACTION", "commit", "rollback", "use database STRICT",
                 "use warehouse TEST_WH", "use schema PUBLIC", "alter session set timezone = 'UTC'",
                 "set x = 1", "unset x", "create temporary table tt (a int)"):
        r = sql(stack, text)
        assert r.status == 422 and r.json["code"] == "391911", (text, r.raw)
    r = sql(stack, "begin; commit", parameters={"MULTI_STATEMENT_COUNT": 2})
    assert r.status == 200, r.raw


# ---------------------------------------------------------------- async=true

def test_async_always_202(stack):
    for _ in range(60):
        r = sql(stack, "select 1", params="&async=true")
        assert r.status == 202, r.raw
        assert r.json["code"] == "333334" and r.json["statementHandle"]
        assert "data" not in r.json and r.json["statementStatusUrl"]
    done = c.wait(stack.base, stack.jwt(), r)
    assert done.status == 200 and done.json["data"] == [["1"]]


def test_subquery_in_update_and_delete(stack):
    # quoted lower-case columns named exactly, inside a subquery of UPDATE/DELETE (as runbook.bats does)
    setup_db(stack)
    r = sql(stack, 'update "lower_t" set AMOUNT = AMOUNT + 1 where "id" = (select min("id") from "lower_t")', **DB)
    assert r.status == 200, r.raw
    r = sql(stack, 'delete from "lower_t" where "id" = (select max(ID) from "lower_t")', **DB)
    assert r.status == 422 and r.json["code"] == "000904", r.raw
    r = sql(stack, 'delete from "lower_t" where "id" = (select max("id") from "lower_t")', **DB)
    assert r.status == 200 and r.json["data"] == [["1"]], r.raw
    r = sql(stack, 'update "lower_t" set AMOUNT = 1 where ID = (select min("id") from "lower_t")', **DB)
    assert r.status == 422 and r.json["code"] == "000904", r.raw
