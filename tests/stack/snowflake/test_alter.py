"""ALTER TABLE ... ADD COLUMN / ALTER COLUMN ... SET DATA TYPE as strict as Snowflake (issue 13's
schema evolution), and DESC TABLE after them. Research: Snowflake's ALTER TABLE ... ALTER COLUMN
page (supported / unsupported changes); error texts and codes: README.snowflake, ALTER TABLE."""
import time

import sfclient as c
from test_locks import cancel, until

DB = {"database": "ALT", "schema": "PUBLIC"}


def sql(stack, text, n=1, **kw):
    params = dict(kw.pop("parameters", {}))
    params.setdefault("MULTI_STATEMENT_COUNT", n)
    kw.setdefault("database", "ALT")
    kw.setdefault("schema", "PUBLIC")
    return c.run(stack.base, stack.jwt(), text, parameters=params, **kw)


def done(stack, r):
    return c.wait(stack.base, stack.jwt(), r)


def rows(stack, text):
    return c.all_rows(stack.base, stack.jwt(), sql(stack, text))[1]


def desc(stack, table='"trips"'):
    """name -> (type, null?)"""
    return {r[0]: (r[1], r[3]) for r in rows(stack, "desc table " + table)}


def fresh(stack):
    assert c.run(stack.base, stack.jwt(), "create database if not exists ALT").status == 200
    r = sql(stack, 'create or replace table "trips" ("id" int, "fare" number(10,2), "zone" varchar(50), '
                   '"day" date, "ratio" float); '
                   "insert into \"trips\" values (1, 12.50, 'a', '2024-01-01', 0.5), "
                   "(2, 99999.99, 'b', '2024-01-02', 1.5)",
            0)
    assert r.status == 200, r.raw


def refused(r, code, state, message):
    assert r.status == 422, r.raw
    assert (r.json["code"], r.json["sqlState"], r.json["message"]) == (code, state, message), r.raw


def test_add_column_if_not_exists(stack):
    fresh(stack)
    r = sql(stack, 'alter table "trips" add column if not exists "tip" number(10,2)')
    assert r.status == 200 and r.json["data"] == [["Statement executed successfully."]], r.raw
    assert desc(stack)["tip"] == ("NUMBER(10,2)", "Y")  # an added column is nullable
    assert rows(stack, 'select "tip" from "trips" order by "id"') == [[None], [None]]
    r = sql(stack, 'alter table "trips" add column if not exists "tip" varchar')  # exists: nothing changes
    assert r.status == 200, r.raw
    assert desc(stack)["tip"] == ("NUMBER(10,2)", "Y")
    refused(sql(stack, 'alter table "trips" add column "tip" number(10,2)'),
            "001430", "42601", "SQL compilation error:\ncolumn 'tip' already exists")
    refused(sql(stack, 'alter table "trips" add "fare" int'),
            "001430", "42601", "SQL compilation error:\ncolumn 'fare' already exists")
    # ADD without COLUMN, several at once, an unquoted name folded to upper case
    r = sql(stack, 'alter table "trips" add "extra" varchar(20), note string')
    assert r.status == 200, r.raw
    d = desc(stack)
    assert d["extra"] == ("VARCHAR(20)", "Y") and d["NOTE"] == ("VARCHAR(16777216)", "Y")
    assert list(d) == ["id", "fare", "zone", "day", "ratio", "tip", "extra", "NOTE"]


def test_add_column_in_another_case_is_not_a_silent_no_op(stack):
    fresh(stack)
    # Snowflake would add a second column "FARE" beside "fare"; DuckDB cannot hold both. The
    # stand-in must refuse rather than pretend the column exists.
    r = sql(stack, "alter table \"trips\" add column if not exists FARE number(18,2)")
    assert r.status == 422 and r.json["code"] == "000002", r.raw
    assert "FARE" not in desc(stack)


def test_widen_number_precision_all_spellings(stack):
    fresh(stack)
    for stmt, want in (('alter table "trips" alter column "fare" set data type number(12,2)', "NUMBER(12,2)"),
                       ('alter table "trips" alter "fare" set data type number(14,2)', "NUMBER(14,2)"),
                       ('alter table "trips" alter "fare" type number(16,2)', "NUMBER(16,2)"),
                       ('alter table "trips" modify column "fare" set data type number(17,2)', "NUMBER(17,2)"),
                       ('alter table "trips" modify "fare" number(18,2)', "NUMBER(18,2)"),
                       ('alter table "trips" alter ("id" set data type number(38,0))', "NUMBER(18,2)")):
        r = sql(stack, stmt)
        assert r.status == 200 and r.json["data"] == [["Statement executed successfully."]], (stmt, r.raw)
        assert desc(stack)["fare"] == (want, "Y"), stmt
    assert rows(stack, 'select "fare" from "trips" order by "id"') == [["12.50"], ["99999.99"]]
    r = sql(stack, 'alter table "trips" alter "id" set data type bigint')  # synonymous: NUMBER(38,0)
    assert r.status == 200, r.raw
    assert desc(stack)["id"] == ("NUMBER(38,0)", "Y")


def test_number_scale_change_refused(stack):
    fresh(stack)
    refused(sql(stack, 'alter table "trips" alter column "fare" set data type number(18,4)'),
            "040052", "22000", "SQL compilation error: cannot change column fare from type NUMBER(10,2) to "
                               "NUMBER(18,4) because changing the scale of a number is not supported.")
    refused(sql(stack, 'alter table "trips" alter "id" set data type number(38,2)'),
            "040052", "22000", "SQL compilation error: cannot change column id from type NUMBER(38,0) to "
                               "NUMBER(38,2) because changing the scale of a number is not supported.")
    assert desc(stack)["fare"] == ("NUMBER(10,2)", "Y")


def test_number_precision_decrease_only_when_the_values_fit(stack):
    fresh(stack)
    r = sql(stack, 'alter table "trips" alter "fare" set data type number(7,2)')  # 99999.99 fits
    assert r.status == 200, r.raw
    assert desc(stack)["fare"] == ("NUMBER(7,2)", "Y")
    refused(sql(stack, 'alter table "trips" alter "fare" set data type number(6,2)'),
            "040052", "22000", "SQL compilation error: cannot change column fare from type NUMBER(7,2) to "
                               "NUMBER(6,2) because some existing values cannot be represented using "
                               "precision 6 instead of precision 7.")
    assert desc(stack)["fare"] == ("NUMBER(7,2)", "Y")
    assert rows(stack, 'select "fare" from "trips" order by "id"') == [["12.50"], ["99999.99"]]


def test_type_family_change_refused(stack):
    fresh(stack)
    for col, new, old, shown in (("id", "varchar(20)", "NUMBER(38,0)", "VARCHAR(20)"),
                                 ("zone", "int", "VARCHAR(50)", "NUMBER(38,0)"),
                                 ("day", "timestamp_ntz", "DATE", "TIMESTAMP_NTZ(9)"),
                                 ("ratio", "number(10,2)", "FLOAT", "NUMBER(10,2)"),
                                 ("fare", "float", "NUMBER(10,2)", "FLOAT")):
        refused(sql(stack, 'alter table "trips" alter column "%s" set data type %s' % (col, new)),
                "002108", "22000", "SQL compilation error: cannot change column %s from type %s to %s"
                % (col, old, shown))
    d = desc(stack)
    assert (d["id"][0], d["zone"][0], d["day"][0], d["ratio"][0]) == ("NUMBER(38,0)", "VARCHAR(50)", "DATE", "FLOAT")


def test_varchar_length(stack):
    fresh(stack)
    assert desc(stack)["zone"] == ("VARCHAR(50)", "Y")  # the declared length is kept for DESC
    r = sql(stack, 'alter table "trips" alter "zone" set data type varchar(100)')
    assert r.status == 200, r.raw
    assert desc(stack)["zone"] == ("VARCHAR(100)", "Y")
    refused(sql(stack, 'alter table "trips" alter "zone" set data type varchar(60)'),
            "040052", "22000", "SQL compilation error: cannot change column zone from type VARCHAR(100) to "
                               "VARCHAR(60) because reducing the byte-length of a varchar is not supported.")
    r = sql(stack, 'alter table "trips" modify column "zone" string')
    assert r.status == 200, r.raw
    assert desc(stack)["zone"] == ("VARCHAR(16777216)", "Y")
    assert rows(stack, 'select "zone" from "trips" order by "id"') == [["a"], ["b"]]


def test_binary_length(stack):
    fresh(stack)
    r = sql(stack, 'create or replace table "blobs" ("raw" binary(8), "any" binary)')
    assert r.status == 200, r.raw
    assert r.json["data"] == [["Table blobs successfully created."]], r.raw
    d = desc(stack, '"blobs"')
    assert d == {"raw": ("BINARY(8)", "Y"), "any": ("BINARY(8388608)", "Y")}
    assert sql(stack, 'alter table "blobs" alter "raw" set data type binary(16)').status == 200
    assert desc(stack, '"blobs"')["raw"] == ("BINARY(16)", "Y")
    refused(sql(stack, 'alter table "blobs" alter "raw" set data type binary(4)'),
            "040052", "22000", "SQL compilation error: cannot change column raw from type BINARY(16) to "
                               "BINARY(4) because reducing the byte-length of a binary is not supported.")
    # CREATE TABLE IF NOT EXISTS of a table that exists changes nothing, its lengths included
    assert sql(stack, 'create table if not exists "blobs" ("raw" binary(2))').status == 200
    assert desc(stack, '"blobs"')["raw"] == ("BINARY(16)", "Y")


def test_quoted_identifiers_are_exact(stack):
    fresh(stack)
    r = sql(stack, 'alter table "trips" alter column FARE set data type number(18,2)')
    assert r.status == 422 and r.json["code"] == "000904", r.raw
    assert "invalid identifier 'FARE'" in r.json["message"]
    r = sql(stack, 'alter table "trips" alter column "Fare" set data type number(18,2)')
    assert r.status == 422 and "invalid identifier '\"Fare\"'" in r.json["message"], r.raw
    r = sql(stack, "alter table trips add column if not exists \"tip\" int")
    refused(r, "002003", "42S02", "SQL compilation error:\nObject 'ALT.PUBLIC.TRIPS' does not exist or not authorized.")
    r = sql(stack, "alter table if exists trips add column \"tip\" int")
    assert r.status == 200, r.raw
    assert desc(stack)["fare"] == ("NUMBER(10,2)", "Y") and "tip" not in desc(stack)


def test_ddl_commits_the_open_transaction(stack):
    fresh(stack)
    r = sql(stack, "begin; insert into \"trips\" (\"id\") values (3); "
                   "alter table \"trips\" add column if not exists \"tip\" int; rollback", 0)
    assert r.status == 200, r.raw
    assert rows(stack, 'select count(*) from "trips"') == [["3"]]  # the ALTER committed the INSERT
    r = sql(stack, "begin; insert into \"trips\" (\"id\") values (4); "
                   "alter table \"trips\" alter \"fare\" set data type number(12,2); rollback", 0)
    assert r.status == 200, r.raw
    assert rows(stack, 'select count(*) from "trips"') == [["4"]]


def test_alter_waits_for_another_transactions_lock(stack):
    fresh(stack)
    holder = sql(stack, 'begin; delete from "trips" where "id" = 2; select system$wait(600); commit', 0,
                 params="&async=true", parameters={"QUERY_TAG": "alter-holder"})
    assert holder.status == 202
    until("the holder's lock", lambda: ["SELECT", "RUNNING"] in [x[1:] for x in history_alt(stack, "alter-holder")])
    t0 = time.time()
    r = done(stack, sql(stack, 'alter table "trips" add column if not exists "tip" int',
                        parameters={"LOCK_TIMEOUT": 1}))
    assert r.status == 422 and r.json["code"] == "000625", r.raw
    assert "has locked table 'ALT.PUBLIC.\"trips\"'" in r.json["message"]
    assert time.time() - t0 >= 0.9
    # the other ALTER TABLE actions (through DuckDB) wait for the lock the same way
    r = done(stack, sql(stack, 'alter table "trips" drop column "ratio"', parameters={"LOCK_TIMEOUT": 1}))
    assert r.status == 422 and r.json["code"] == "000625", r.raw
    waiter = sql(stack, 'alter table "trips" alter "fare" set data type number(12,2)', params="&async=true",
                 parameters={"QUERY_TAG": "alter-waiter"})
    until("the ALTER to wait", lambda: ["ALTER", "BLOCKED"] in [x[1:] for x in history_alt(stack, "alter-waiter")])
    cancel(stack, holder)
    assert done(stack, waiter).status == 200
    d = desc(stack)
    assert d["fare"] == ("NUMBER(12,2)", "Y") and "tip" not in d and "ratio" in d
    assert rows(stack, 'select count(*) from "trips"') == [["2"]]  # the holder rolled back


def history_alt(stack, tag):
    return rows(stack, "select query_id, query_type, execution_status from "
                       "table(information_schema.query_history(result_limit => 10000)) "
                       "where query_tag = '%s' order by start_time" % tag)
