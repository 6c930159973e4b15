"""The stand-in's runbook objects: integration, stage, grants, COPY from moto S3, pipes."""
import json
import os
import tempfile

import boto3
import duckdb
import pytest

import sfclient as c

CTX = {"database": "LAND", "schema": "PUBLIC"}
ROLE_ARN = "arn:aws:iam::123456789012:role/sf-load"


def aws(env, svc):
    return boto3.client(svc, endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def put_parquet(env, key, select):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "f.parquet")
        duckdb.connect().execute("COPY (%s) TO '%s' (FORMAT parquet)" % (select, p))
        aws(env, "s3").upload_file(p, "landing", key)


@pytest.fixture(scope="module")
def land(stack_s3, moto):
    s3 = aws(moto, "s3")
    s3.create_bucket(Bucket="landing")
    aws(moto, "iam").create_role(RoleName="sf-load", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                 "Action": "sts:AssumeRole"}]}))
    good = ("SELECT i::BIGINT AS id, (i * 1.25)::DECIMAL(12,2) AS amount, 'n' || i AS \"custName\", "
            "TIMESTAMP '2025-11-01 10:00:00' + to_seconds(i) AS ts, DATE '2025-11-01' AS d "
            "FROM range(%d, %d) t(i)")
    put_parquet(moto, "events/date=2025-11-01/run=1/part-00000.parquet", good % (0, 100))
    put_parquet(moto, "events/date=2025-11-01/run=1/part-00001.parquet", good % (100, 250))
    put_parquet(moto, "events/date=2025-11-02/run=1/part-00000.parquet",
                "SELECT 1::BIGINT AS id, 'abc' AS amount, 'x' AS \"custName\", "
                "TIMESTAMP '2025-11-02 00:00:00' AS ts, DATE '2025-11-02' AS d")
    put_parquet(moto, "other/secret.parquet", good % (0, 1))
    q = lambda text, **kw: c.run(stack_s3.base, stack_s3.jwt(), text, **dict(CTX, **kw))
    assert c.run(stack_s3.base, stack_s3.jwt(), "create or replace database LAND").status == 200
    return q


COPY = ("COPY INTO events (id, amount, cust, ts, d, src) FROM (SELECT $1:\"id\"::NUMBER(38,0), "
        "$1:\"amount\"::NUMBER(12,2), $1:\"custName\"::VARCHAR, $1:\"ts\"::TIMESTAMP_NTZ, "
        "$1:\"d\"::DATE, METADATA$FILENAME FROM @land_stg/) FILES = (%s) "
        "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE) ON_ERROR = ABORT_STATEMENT FORCE = TRUE")
GOOD_FILES = "'date=2025-11-01/run=1/part-00000.parquet', 'date=2025-11-01/run=1/part-00001.parquet'"


def test_integration(land):
    r = land("CREATE OR REPLACE STORAGE INTEGRATION s3_int TYPE = EXTERNAL_STAGE STORAGE_PROVIDER = 'S3' "
             "ENABLED = TRUE STORAGE_AWS_ROLE_ARN = '%s' STORAGE_ALLOWED_LOCATIONS = ('s3://landing/events/')"
             % ROLE_ARN)
    assert r.status == 200, r.raw
    r = land("DESC INTEGRATION s3_int")
    assert [t["name"] for t in r.json["resultSetMetaData"]["rowType"]] == [
        "property", "property_type", "property_value", "property_default"]
    props = {row[0]: row[2] for row in r.json["data"]}
    assert props["STORAGE_AWS_ROLE_ARN"] == ROLE_ARN
    assert props["STORAGE_AWS_IAM_USER_ARN"].startswith("arn:aws:iam::")
    assert "_SFCRole=" in props["STORAGE_AWS_EXTERNAL_ID"]
    assert props["STORAGE_ALLOWED_LOCATIONS"] == "s3://landing/events/"
    # re-creating gives a new external id, the IAM user stays
    r2 = land("CREATE OR REPLACE STORAGE INTEGRATION s3_int TYPE = EXTERNAL_STAGE STORAGE_PROVIDER = 'S3' "
              "ENABLED = TRUE STORAGE_AWS_ROLE_ARN = '%s' STORAGE_ALLOWED_LOCATIONS = ('s3://landing/events/')"
              % ROLE_ARN)
    assert r2.status == 200
    props2 = {row[0]: row[2] for row in land("DESC INTEGRATION s3_int").json["data"]}
    assert props2["STORAGE_AWS_EXTERNAL_ID"] != props["STORAGE_AWS_EXTERNAL_ID"]
    assert props2["STORAGE_AWS_IAM_USER_ARN"] == props["STORAGE_AWS_IAM_USER_ARN"]
    r = land("SHOW INTEGRATIONS")
    assert [row[0] for row in r.json["data"]] == ["S3_INT"]
    assert land("DESC INTEGRATION nope").json["code"] == "002003"


def test_stage_and_grants(land):
    r = land("CREATE STAGE bad_stg URL = 's3://landing/other/' STORAGE_INTEGRATION = s3_int")
    assert r.status == 422, r.raw
    r = land("CREATE OR REPLACE STAGE land_stg URL = 's3://landing/events/' STORAGE_INTEGRATION = s3_int "
             "FILE_FORMAT = (TYPE = PARQUET)")
    assert r.status == 200 and r.json["data"] == [["Stage area LAND_STG successfully created."]]
    r = land("SHOW STAGES")
    assert r.json["data"][0][1] == "LAND_STG" and r.json["data"][0][-1] == "S3_INT"
    assert land("GRANT USAGE ON INTEGRATION s3_int TO ROLE loader").status == 200
    assert land("GRANT USAGE ON STAGE land_stg TO ROLE loader").status == 200
    r = land("SHOW GRANTS TO ROLE loader")
    assert sorted(row[2] for row in r.json["data"]) == ["INTEGRATION", "STAGE"]
    assert land("REVOKE USAGE ON STAGE land_stg FROM ROLE loader").status == 200
    assert len(land("SHOW GRANTS TO ROLE loader").json["data"]) == 1


def test_show_stages_scope(land, stack_s3):
    """SHOW STAGES ... IN SCHEMA / IN DATABASE / IN ACCOUNT, and without IN the current schema:
    a stage of another database is not listed where Snowflake would not list it."""
    other = lambda text: c.run(stack_s3.base, stack_s3.jwt(), text, database="LAND2", schema="PUBLIC")
    assert c.run(stack_s3.base, stack_s3.jwt(), "create or replace database LAND2").status == 200
    r = other("CREATE OR REPLACE STAGE other_stg URL = 's3://landing/events/' STORAGE_INTEGRATION = s3_int")
    assert r.status == 200, r.raw
    names = lambda r: sorted(row[2] + "." + row[1] for row in r.json["data"])
    assert names(land("SHOW STAGES")) == ["LAND.LAND_STG"]
    assert names(land("SHOW STAGES IN SCHEMA LAND2.PUBLIC")) == ["LAND2.OTHER_STG"]
    assert names(land("SHOW STAGES LIKE '%STG' IN DATABASE LAND")) == ["LAND.LAND_STG"]
    assert names(land("SHOW STAGES IN ACCOUNT")) == ["LAND.LAND_STG", "LAND2.OTHER_STG"]
    assert names(other("SHOW STAGES IN SCHEMA PUBLIC")) == ["LAND2.OTHER_STG"]
    assert other("DROP STAGE other_stg").status == 200


def test_list_stage(land):
    """LIST @stage: the objects under the stage's URL, read through its integration, as Snowflake
    lists them (full URL, size, md5, last_modified)."""
    assert land("CREATE OR REPLACE STAGE list_stg URL = 's3://landing/events/' STORAGE_INTEGRATION = s3_int").status == 200
    r = land("LIST @list_stg")
    assert r.status == 200, r.raw
    assert [t["name"] for t in r.json["resultSetMetaData"]["rowType"]] == ["name", "size", "md5", "last_modified"]
    names = [row[0] for row in r.json["data"]]
    assert "s3://landing/events/date=2025-11-01/run=1/part-00000.parquet" in names
    assert all(n.startswith("s3://landing/events/") for n in names)
    assert all(int(row[1]) > 0 and row[3].endswith(" GMT") for row in r.json["data"])
    r = land("LIST @list_stg/date=2025-11-01/ PATTERN = '.*part-00000.*'")
    assert [row[0] for row in r.json["data"]] == ["s3://landing/events/date=2025-11-01/run=1/part-00000.parquet"]
    assert land("LIST @no_such_stage").status == 422


def test_copy_transform(land):
    assert land("CREATE OR REPLACE TABLE events (id NUMBER(38,0), amount NUMBER(12,2), cust VARCHAR, "
                "ts TIMESTAMP_NTZ, d DATE, src VARCHAR)").status == 200
    r = land(COPY % GOOD_FILES)
    assert r.status == 200, r.raw
    names = [t["name"] for t in r.json["resultSetMetaData"]["rowType"]]
    assert names == ["file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen",
                     "first_error", "first_error_line", "first_error_character", "first_error_column_name"]
    rows = {row[0]: row for row in r.json["data"]}
    f0 = "s3://landing/events/date=2025-11-01/run=1/part-00000.parquet"
    assert rows[f0][1:6] == ["LOADED", "100", "100", "1", "0"]
    r = land("SELECT count(*), sum(amount), min(cust), max(ts), count_if(src like 'events/date=2025-11-01/%') FROM events")
    assert r.json["data"] == [["250", "38906.25", "n0", str(1761991200 + 249) + ".000000000", "250"]]


def test_copy_element_names_are_case_sensitive(land):
    # the file's fields are id, amount, custName; $1:name matches the Parquet field exactly
    assert land("CREATE OR REPLACE TABLE ev_case (id NUMBER(38,0), cust VARCHAR, c2 VARCHAR, c3 VARCHAR)").status == 200
    r = land("COPY INTO ev_case FROM (SELECT $1:id::NUMBER, $1:custName::VARCHAR, $1:CUSTNAME::VARCHAR, "
             "$1:\"custname\"::VARCHAR FROM @land_stg/) FILES = ('date=2025-11-01/run=1/part-00000.parquet') "
             "FILE_FORMAT = (TYPE = PARQUET)")
    assert r.status == 200, r.raw
    r = land("SELECT count(id), count(cust), count(c2), count(c3) FROM ev_case")
    assert r.json["data"] == [["100", "100", "0", "0"]]
    r = land("COPY INTO ev_case (ID, \"cust\") FROM (SELECT $1:id, $1:custName FROM @land_stg/) "
             "FILES = ('date=2025-11-01/run=1/part-00000.parquet') FILE_FORMAT = (TYPE = PARQUET)")
    assert r.status == 422 and r.json["code"] == "000904", r.raw
    r = land("COPY INTO \"ev_case\" FROM (SELECT $1:id, $1:custName, 1, 2 FROM @land_stg/) "
             "FILES = ('date=2025-11-01/run=1/part-00000.parquet') FILE_FORMAT = (TYPE = PARQUET)")
    assert r.status == 422 and r.json["code"] == "002003", r.raw
    assert "LAND.PUBLIC.\"ev_case\"" in r.json["message"]
    assert land("DROP TABLE ev_case").status == 200


def test_copy_load_metadata(land):
    no_force = (COPY % GOOD_FILES).replace(" FORCE = TRUE", "")
    r = land(no_force)
    assert r.status == 200 and r.json["data"] == [["Copy executed with 0 files processed."]]
    assert r.json["resultSetMetaData"]["rowType"][0]["name"] == "status"
    assert land("TRUNCATE TABLE events").status == 200
    r = land(no_force)
    assert r.status == 200 and len(r.json["data"]) == 2


def test_copy_abort_rolls_back(land):
    before = land("SELECT count(*) FROM events").json["data"]
    bad = COPY % "'date=2025-11-02/run=1/part-00000.parquet'"
    r = land(bad)
    assert r.status == 422 and r.json["code"] == "100038" and r.json["sqlState"] == "22018", r.raw
    r = land("BEGIN; DELETE FROM events WHERE d = '2025-11-01'; %s; COMMIT" % bad,
             parameters={"MULTI_STATEMENT_COUNT": 4})
    assert r.status == 422
    assert land("SELECT count(*) FROM events").json["data"] == before
    # the same shape succeeding: delete + reload in one transaction
    r = land("BEGIN; DELETE FROM events WHERE d = '2025-11-01'; %s; COMMIT" % (COPY % GOOD_FILES),
             parameters={"MULTI_STATEMENT_COUNT": 4})
    assert r.status == 200, r.raw
    assert land("SELECT count(*) FROM events").json["data"] == [["250"]]


def test_copy_missing_and_outside(land):
    r = land(COPY % "'date=2025-11-01/run=1/nope.parquet'")
    assert r.status == 422 and r.json["code"] == "091016" and "was not found" in r.json["message"]
    r = land(COPY % "'s3://landing/other/secret.parquet'")
    assert r.status == 422
    r = land(COPY.replace("@land_stg/", "'s3://landing/other/'") % "'secret.parquet'")
    assert r.status == 422 and r.json["code"] == "001011"


def test_copy_skip_file_and_match_by_name(land):
    r = land((COPY % ("'date=2025-11-02/run=1/part-00000.parquet', "
                      "'date=2025-11-01/run=1/part-00000.parquet'")).replace(
        "ABORT_STATEMENT", "SKIP_FILE"))
    assert r.status == 200, r.raw
    st = sorted(row[1] for row in r.json["data"])
    assert st == ["LOADED", "LOAD_FAILED"]
    assert land("CREATE OR REPLACE TABLE ev2 (ID NUMBER(38,0), \"custName\" VARCHAR, other VARCHAR)").status == 200
    r = land("COPY INTO ev2 FROM @land_stg/date=2025-11-01/ FILE_FORMAT = (TYPE = PARQUET) "
             "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE")
    assert r.status == 200, r.raw
    assert land("SELECT count(*), count(other), min(id) FROM ev2").json["data"] == [["250", "0", "0"]]
    r = land("COPY INTO ev2 FROM @land_stg/date=2025-11-01/ FILE_FORMAT = (TYPE = PARQUET)")
    assert r.status == 422 and r.json["code"] == "002019"


def test_pipe(land, moto):
    r = land("CREATE OR REPLACE PIPE events_pipe AUTO_INGEST = TRUE AS COPY INTO events (id) "
             "FROM (SELECT $1:\"id\"::NUMBER FROM @land_stg/) FILE_FORMAT = (TYPE = PARQUET)")
    assert r.status == 200, r.raw
    r = land("SHOW PIPES")
    names = [t["name"] for t in r.json["resultSetMetaData"]["rowType"]]
    row = dict(zip(names, r.json["data"][0]))
    arn = row["notification_channel"]
    assert arn.startswith("arn:aws:sqs:")
    sqs = aws(moto, "sqs")
    url = sqs.get_queue_url(QueueName=arn.split(":")[-1])["QueueUrl"]
    aws(moto, "s3").put_bucket_notification_configuration(
        Bucket="landing", NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    assert url
    before = int(land("SELECT count(*) FROM events").json["data"][0][0])
    put_parquet(moto, "events/date=2025-11-03/run=1/part-00000.parquet",
                "SELECT i::BIGINT AS id FROM range(1000, 1005) t(i)")
    import time
    deadline = time.time() + 20
    while time.time() < deadline:
        n = int(land("SELECT count(*) FROM events").json["data"][0][0])
        if n != before:
            break
        time.sleep(0.5)
    assert n == before + 5
    st = json.loads(land("SELECT SYSTEM$PIPE_STATUS('events_pipe')").json["data"][0][0])
    assert st["executionState"] == "RUNNING" and st["lastIngestedFilePath"].endswith("date=2025-11-03/run=1/part-00000.parquet")
    # REFRESH queues what was never loaded: only the 2025-11-02 file (its bad 'amount' column is
    # not read by this pipe, so its single row loads); the others are in the load metadata
    r = land("ALTER PIPE events_pipe REFRESH")
    assert r.status == 200, r.raw
    assert [row[0] for row in r.json["data"]] == [
        "s3://landing/events/date=2025-11-02/run=1/part-00000.parquet"]
    assert int(land("SELECT count(*) FROM events").json["data"][0][0]) == before + 6
    r = land("CREATE PIPE p2 AS COPY INTO events FROM @land_stg/ FORCE = TRUE")
    assert r.status == 422
    assert land("DROP PIPE events_pipe").status == 200
    assert land("SHOW PIPES").json["data"] == []


def test_cleanup(land):
    assert land("DROP STAGE land_stg").status == 200
    assert land("DROP INTEGRATION s3_int").status == 200
    assert land("DROP STAGE land_stg").status == 422
    assert land("DROP STAGE IF EXISTS land_stg").status == 200


def test_catalog_views(land):
    r = land("DESC TABLE events")
    assert r.status == 200, r.raw
    types = {row[0]: row[1] for row in r.json["data"]}
    assert types == {"ID": "NUMBER(38,0)", "AMOUNT": "NUMBER(12,2)", "CUST": "VARCHAR(16777216)",
                     "TS": "TIMESTAMP_NTZ(9)", "D": "DATE", "SRC": "VARCHAR(16777216)"}
    r = land("SHOW TABLES")
    assert sorted(row[1] for row in r.json["data"]) == ["EV2", "EVENTS"]
    assert "LAND" in [row[1] for row in land("SHOW DATABASES").json["data"]]
    assert [row[1] for row in land("SHOW SCHEMAS IN DATABASE LAND").json["data"]] == ["PUBLIC"]
