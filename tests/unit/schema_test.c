/* schema_test.c: the Parquet -> Snowflake type map, CREATE TABLE and the load request text. */
#include <stdlib.h>

#include "schema.h"
#include "t.h"

static char err[512];

/* The Snowflake type of one schema element given as JSON text, or "ERR: <message>". */
static const char *
type_of(const char *elem)
{
	static struct buf b;
	json_t *c = json_loads(elem, 0, NULL);
	static char e[600];

	buf_reset(&b);
	buf_add(&b, NULL, 0);
	if (!c)
		return "bad test JSON";
	if (schema_sf_type(&b, c, err, sizeof err) < 0) {
		json_decref(c);
		snprintf(e, sizeof e, "ERR: %s", err);
		return e;
	}
	json_decref(c);
	return b.p;
}

static const char *
select_of(const char *elem)
{
	static struct buf b;
	json_t *c = json_loads(elem, 0, NULL);

	buf_reset(&b);
	buf_add(&b, NULL, 0);
	if (!c || schema_sf_select(&b, c, err, sizeof err) < 0) {
		json_decref(c);
		return NULL;
	}
	json_decref(c);
	return b.p;
}

#define COLS "[{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null,\"repetition\":\"OPTIONAL\"}," \
	"{\"name\":\"fare\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\"," \
	"\"repetition\":\"OPTIONAL\",\"precision\":12,\"scale\":2,\"length\":6}]"

/* One s3-ls-parquet line. */
static json_t *
line(const char *key, const char *date, long long rows, const char *schema)
{
	char *s = esprintf("{\"url\":\"s3://land/%s\",\"bucket\":\"land\",\"key\":\"%s\",\"size\":1,"
	    "\"partition\":{\"date\":\"%s\",\"run\":\"r1\"},\"rows\":%lld,\"row_groups\":1,\"schema\":%s}",
	    key, key, date, rows, schema);
	json_t *o = json_loads(s, 0, NULL);

	free(s);
	return o;
}

/* load_add of one line; the line is released. */
static int
add(struct load *l, json_t *o, const char *where)
{
	int rc = load_add(l, o, where, err, sizeof err);

	json_decref(o);
	return rc;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while (hay && (hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_type_map(void)
{
	T_STREQ(type_of("{\"name\":\"b\",\"physical\":\"BOOLEAN\",\"logical\":null}"), "BOOLEAN");
	T_STREQ(type_of("{\"name\":\"i\",\"physical\":\"INT32\",\"logical\":null}"), "NUMBER(38,0)");
	T_STREQ(type_of("{\"name\":\"i\",\"physical\":\"INT64\",\"logical\":null}"), "NUMBER(38,0)");
	T_STREQ(type_of("{\"name\":\"i\",\"physical\":\"INT32\",\"logical\":\"INTEGER\",\"bits\":8,\"signed\":true}"),
	    "NUMBER(38,0)");
	T_STREQ(type_of("{\"name\":\"u\",\"physical\":\"INT64\",\"logical\":\"INTEGER\",\"bits\":64,\"signed\":false}"),
	    "NUMBER(38,0)");
	T_STREQ(type_of("{\"name\":\"f\",\"physical\":\"FLOAT\",\"logical\":null}"), "FLOAT");
	T_STREQ(type_of("{\"name\":\"d\",\"physical\":\"DOUBLE\",\"logical\":null}"), "FLOAT");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"INT32\",\"logical\":\"DECIMAL\",\"precision\":9,\"scale\":2}"),
	    "NUMBER(9,2)");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"INT64\",\"logical\":\"DECIMAL\",\"precision\":18,\"scale\":0}"),
	    "NUMBER(18,0)");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\","
	    "\"precision\":38,\"scale\":38,\"length\":16}"), "NUMBER(38,38)");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"DECIMAL\",\"precision\":20,\"scale\":4}"),
	    "NUMBER(20,4)");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\","
	    "\"precision\":39,\"scale\":2,\"length\":17}"),
	    "ERR: column \"m\": DECIMAL(39,2) is wider than Snowflake's NUMBER(38)");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"INT64\",\"logical\":\"DECIMAL\",\"precision\":4,\"scale\":5}"),
	    "ERR: column \"m\": DECIMAL without a valid precision and scale");
	T_STREQ(type_of("{\"name\":\"s\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"}"), "VARCHAR");
	T_STREQ(type_of("{\"name\":\"e\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"ENUM\"}"), "VARCHAR");
	T_STREQ(type_of("{\"name\":\"j\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"JSON\"}"), "VARIANT");
	T_STREQ(type_of("{\"name\":\"x\",\"physical\":\"BYTE_ARRAY\",\"logical\":null}"), "BINARY");
	T_STREQ(type_of("{\"name\":\"x\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":null,\"length\":4}"),
	    "BINARY");
	T_STREQ(type_of("{\"name\":\"u\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"UUID\",\"length\":16}"),
	    "VARCHAR");
	T_STREQ(type_of("{\"name\":\"d\",\"physical\":\"INT32\",\"logical\":\"DATE\"}"), "DATE");
	T_STREQ(type_of("{\"name\":\"t\",\"physical\":\"INT32\",\"logical\":\"TIME\",\"unit\":\"MILLIS\",\"utc\":true}"),
	    "TIME(3)");
	T_STREQ(type_of("{\"name\":\"t\",\"physical\":\"INT64\",\"logical\":\"TIME\",\"unit\":\"MICROS\",\"utc\":false}"),
	    "TIME(6)");
	T_STREQ(type_of("{\"name\":\"t\",\"physical\":\"INT64\",\"logical\":\"TIME\",\"unit\":\"NANOS\",\"utc\":true}"),
	    "TIME(9)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MILLIS\",\"utc\":false}"),
	    "TIMESTAMP_NTZ(3)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":false}"),
	    "TIMESTAMP_NTZ(6)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"NANOS\",\"utc\":false}"),
	    "TIMESTAMP_NTZ(9)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MILLIS\",\"utc\":true}"),
	    "TIMESTAMP_LTZ(3)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":true}"),
	    "TIMESTAMP_LTZ(6)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"NANOS\",\"utc\":true}"),
	    "TIMESTAMP_LTZ(9)");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\"}"),
	    "ERR: column \"ts\": TIMESTAMP without utc");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":null,\"utc\":true}"),
	    "ERR: column \"ts\": TIMESTAMP without a unit");
	T_STREQ(type_of("{\"name\":\"ts\",\"physical\":\"INT96\",\"logical\":null}"), "TIMESTAMP_NTZ(9)");
	T_STREQ(type_of("{\"name\":\"g\",\"physical\":\"GROUP\",\"logical\":null,\"fields\":[]}"), "VARIANT");
	T_STREQ(type_of("{\"name\":\"l\",\"physical\":\"GROUP\",\"logical\":\"LIST\",\"fields\":[]}"), "VARIANT");
	T_STREQ(type_of("{\"name\":\"m\",\"physical\":\"GROUP\",\"logical\":\"MAP\",\"fields\":[]}"), "VARIANT");
	T_STREQ(type_of("{\"name\":\"r\",\"physical\":\"INT32\",\"logical\":null,\"repetition\":\"REPEATED\"}"),
	    "VARIANT");
	T_STREQ(type_of("{\"name\":\"b\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"BSON\"}"),
	    "ERR: column \"b\": Parquet BYTE_ARRAY BSON has no Snowflake type");
	T_STREQ(type_of("{\"name\":\"h\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"FLOAT16\",\"length\":2}"),
	    "ERR: column \"h\": Parquet FIXED_LEN_BYTE_ARRAY FLOAT16 has no Snowflake type");
	T_STREQ(type_of("{\"name\":\"x\",\"physical\":\"NIBBLE\",\"logical\":null}"),
	    "ERR: column \"x\": unknown Parquet type NIBBLE");
	T_STREQ(type_of("{\"physical\":\"INT32\",\"logical\":null}"), "ERR: malformed schema element");
	T_STREQ(type_of("{\"name\":\"x\",\"physical\":\"INT32\",\"logical\":7}"), "ERR: malformed schema element");
}

static void
test_select(void)
{
	T_STREQ(select_of("{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null}"), "$1:\"id\"::NUMBER(38,0)");
	/* keys are case-exact and quoted, quotes doubled */
	T_STREQ(select_of("{\"name\":\"Fare Amount\",\"physical\":\"DOUBLE\",\"logical\":null}"),
	    "$1:\"Fare Amount\"::FLOAT");
	T_STREQ(select_of("{\"name\":\"say \\\"hi\\\"\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"}"),
	    "$1:\"say \"\"hi\"\"\"::VARCHAR");
	T_STREQ(select_of("{\"name\":\"a.b:c'd\",\"physical\":\"BOOLEAN\",\"logical\":null}"),
	    "$1:\"a.b:c'd\"::BOOLEAN");
	T_STREQ(select_of("{\"name\":\"doc\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"JSON\"}"),
	    "PARSE_JSON($1:\"doc\"::VARCHAR)");
	T_STREQ(select_of("{\"name\":\"tags\",\"physical\":\"GROUP\",\"logical\":\"LIST\",\"fields\":[]}"),
	    "$1:\"tags\"::VARIANT");
	T_CHECK(select_of("{\"name\":\"a\\u0001b\",\"physical\":\"INT32\",\"logical\":null}") == NULL,
	    "control byte in a name refused");
}

static void
test_ddl(void)
{
	struct load l = { .table = "db.raw.trips", .part_col = "date", .ddl = 1 };
	const char *odd = "[{\"name\":\"Trip ID\",\"physical\":\"INT64\",\"logical\":null},"
	    "{\"name\":\"q\\\"x\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"},"
	    "{\"name\":\"ts\",\"physical\":\"INT96\",\"logical\":null}]";
	char *s;

	T_CHECK(add(&l, line("t/date=2025-11-15/r/a.parquet", "2025-11-15", 5, odd), "in:1") == 0, "%s", err);
	T_CHECK(add(&l, line("t/date=2025-11-16/r/b.parquet", "2025-11-16", 5, odd), "in:2") == 0, "%s", err);
	s = load_ddl(&l, 1, err, sizeof err);
	T_STREQ(s, "CREATE TABLE IF NOT EXISTS db.raw.trips (\n"
	    "  \"Trip ID\" NUMBER(38,0),\n"
	    "  \"q\"\"x\" VARCHAR,\n"
	    "  \"ts\" TIMESTAMP_NTZ(9),\n"
	    "  \"date\" DATE\n"
	    ");\n");
	free(s);
	load_free(&l);

	/* partition values that are not dates make a VARCHAR column; no partition column: none */
	l = (struct load){ .table = "trips", .part_col = "run", .ddl = 1 };
	T_CHECK(add(&l, line("t/date=2025-11-15/run=r1/a.parquet", "2025-11-15", 1, COLS), "in:1") == 0, "%s", err);
	s = load_ddl(&l, 0, err, sizeof err);
	T_STREQ(s, "CREATE TABLE trips (\n  \"id\" NUMBER(38,0),\n  \"fare\" NUMBER(12,2),\n  \"run\" VARCHAR\n);\n");
	free(s);
	load_free(&l);
	l = (struct load){ .table = "trips", .ddl = 1 };
	T_CHECK(add(&l, line("t/a.parquet", "x", 1, COLS), "in:1") == 0, "%s", err);
	s = load_ddl(&l, 0, err, sizeof err);
	T_STREQ(s, "CREATE TABLE trips (\n  \"id\" NUMBER(38,0),\n  \"fare\" NUMBER(12,2)\n);\n");
	free(s);
	load_free(&l);

	l = (struct load){ .table = "a-b.trips", .ddl = 1 };
	T_CHECK(add(&l, line("t/a.parquet", "x", 1, COLS), "in:1") == 0, "%s", err);
	T_CHECK(load_ddl(&l, 0, err, sizeof err) == NULL, "bad table name refused");
	T_STREQ(err, "a-b.trips: not a table name (db.schema.table, plain identifiers)");
	load_free(&l);

	l = (struct load){ .table = "trips", .ddl = 1 };
	T_CHECK(add(&l, line("t/a.parquet", "x", 1, "[{\"name\":\"w\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\","
	    "\"logical\":\"DECIMAL\",\"precision\":40,\"scale\":0,\"length\":17}]"), "in:1") < 0,
	    "DECIMAL(40) refused");
	T_STREQ(err, "in:1: s3://land/t/a.parquet: column \"w\": DECIMAL(40,0) is wider than Snowflake's NUMBER(38)");
	load_free(&l);
}

static void
test_copy_small(void)
{
	struct load l = { .table = "db.raw.trips", .stage = "db.raw.land", .stage_url = "s3://land/trips/",
	    .part_col = "date" };
	char *s;

	T_CHECK(add(&l, line("trips/date=2025-11-15/run=r1/part-0.parquet", "2025-11-15", 3, COLS), "in:1") == 0,
	    "%s", err);
	T_CHECK(add(&l, line("trips/date=2025-11-15/run=r1/part-1.parquet", "2025-11-15", 4, COLS), "in:2") == 0,
	    "%s", err);
	s = load_sql(&l, err, sizeof err);
	T_STREQ(s, "ALTER SESSION SET TRANSACTION_ABORT_ON_ERROR = TRUE;\n"
	    "BEGIN;\n"
	    "DELETE FROM db.raw.trips WHERE \"date\" = '2025-11-15'::DATE;\n"
	    "COPY INTO db.raw.trips (\"id\", \"fare\", \"date\")\n"
	    "  FROM (SELECT $1:\"id\"::NUMBER(38,0), $1:\"fare\"::NUMBER(12,2), '2025-11-15'::DATE\n"
	    "    FROM @db.raw.land/date=2025-11-15/run=r1/)\n"
	    "  FILES = ('part-0.parquet',\n"
	    "    'part-1.parquet')\n"
	    "  FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE BINARY_AS_TEXT = FALSE)\n"
	    "  ON_ERROR = ABORT_STATEMENT FORCE = TRUE;\n"
	    "SELECT (IFF(COUNT(*) = 7, '', 'sf-copy: the footers count 7 rows, the table holds ') || COUNT(*))"
	    "::NUMBER(38,0) AS \"rows\"\n"
	    "  FROM db.raw.trips WHERE \"date\" = '2025-11-15'::DATE;\n"
	    "COMMIT;\n");
	free(s);
	load_free(&l);

	/* a directory that cannot stand unquoted in @stage/path: FROM the stage, paths in FILES */
	l = (struct load){ .table = "trips", .stage = "land", .stage_url = "s3://land/", .part_col = "date" };
	T_CHECK(add(&l, line("t/date=2025-11-15/run=a b/it's.parquet", "2025-11-15", 1, COLS), "in:1") == 0, "%s", err);
	s = load_sql(&l, err, sizeof err);
	T_CHECK(s && strstr(s, "    FROM @land/)\n  FILES = ('t/date=2025-11-15/run=a b/it''s.parquet')\n"),
	    "odd path: %s", s ? s : err);
	free(s);
	load_free(&l);
}

static void
test_copy_batches(void)
{
	struct load l = { .table = "db.raw.trips", .stage = "db.raw.land", .stage_url = "s3://land/",
	    .part_col = "date" };
	char key[128], *s, *second, *third;
	int i, ok = 1;

	for (i = 0; i < 2500 && ok; i++) {
		snprintf(key, sizeof key, "trips/date=2025-11-15/run=r1/part-%05d.parquet", i);
		ok = add(&l, line(key, "2025-11-15", 10, COLS), "in") == 0;
	}
	T_CHECK(ok, "2500 lines: %s", err);
	T_CHECK(l.nfiles == 2500 && l.rows == 25000, "files %zu rows %lld", l.nfiles, l.rows);
	s = load_sql(&l, err, sizeof err);
	T_CHECK(s != NULL, "%s", err);
	T_CHECK(count(s, "COPY INTO db.raw.trips") == 3, "3 COPY statements, got %zu", count(s, "COPY INTO"));
	T_CHECK(count(s, "FORCE = TRUE;\n") == 3, "each COPY forced");
	T_CHECK(count(s, "FROM @db.raw.land/trips/date=2025-11-15/run=r1/)") == 3, "each COPY from the run");
	T_CHECK(count(s, ".parquet'") == 2500, "every file once, got %zu", count(s, ".parquet'"));
	T_CHECK(count(s, "BEGIN;\n") == 1 && count(s, "COMMIT;\n") == 1 && count(s, "DELETE FROM") == 1,
	    "one transaction, one DELETE");
	second = s ? strstr(s, "FILES = ('part-01000.parquet',") : NULL;
	third = s ? strstr(s, "FILES = ('part-02000.parquet',") : NULL;
	T_CHECK(s && strstr(s, "FILES = ('part-00000.parquet',") && strstr(s, "'part-00999.parquet')\n"),
	    "first batch 0..999");
	T_CHECK(second && strstr(s, "'part-01999.parquet')\n") && third && strstr(s, "'part-02499.parquet')\n"),
	    "batches 1000..1999 and 2000..2499");
	T_CHECK(second && third && count(second, "'part-0") - count(third, "'part-0") == 1000 &&
	    count(third, "'part-0") == 500, "1000 + 1000 + 500");
	T_CHECK(s && strstr(s, "COUNT(*) = 25000") && strstr(s, "COMMIT;\n") == s + strlen(s) - 8,
	    "row check of all footers, COMMIT last");
	free(s);
	load_free(&l);
}

static void
test_refusals(void)
{
	struct load l = { .table = "trips", .stage = "land", .stage_url = "s3://land/trips/", .part_col = "date" };
	const char *other = "[{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null},"
	    "{\"name\":\"fare\",\"physical\":\"DOUBLE\",\"logical\":null}]";
	const char *fewer = "[{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null}]";
	const char *more = "[{\"name\":\"fare\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\","
	    "\"precision\":12,\"scale\":2,\"length\":6},{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null},"
	    "{\"name\":\"tip\",\"physical\":\"DOUBLE\",\"logical\":null}]";
	json_t *o;

	T_CHECK(add(&l, line("trips/date=2025-11-15/r/a.parquet", "2025-11-15", 1, COLS), "in:1") == 0, "%s", err);
	T_CHECK(add(&l, line("trips/date=2025-11-16/r/b.parquet", "2025-11-16", 1, COLS), "in:2") < 0,
	    "mixed partitions refused");
	T_STREQ(err, "in:2: s3://land/trips/date=2025-11-16/r/b.parquet: partition date=2025-11-16, "
	    "but in:1 has date=2025-11-15: load one partition at a time");
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/c.parquet", "2025-11-15", 1, other), "in:3") < 0,
	    "other type refused");
	T_STREQ(err, "in:3: s3://land/trips/date=2025-11-15/r/c.parquet: column \"fare\" is FLOAT here, "
	    "NUMBER(12,2) in s3://land/trips/date=2025-11-15/r/a.parquet");
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/d.parquet", "2025-11-15", 1, fewer), "in:4") < 0,
	    "missing column refused");
	T_STREQ(err, "in:4: s3://land/trips/date=2025-11-15/r/d.parquet: column \"fare\" of "
	    "s3://land/trips/date=2025-11-15/r/a.parquet is missing");
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/e.parquet", "2025-11-15", 1, more), "in:5") < 0,
	    "extra column refused");
	T_STREQ(err, "in:5: s3://land/trips/date=2025-11-15/r/e.parquet: column \"tip\" is not in "
	    "s3://land/trips/date=2025-11-15/r/a.parquet");
	/* the stage URL is a prefix: trips_old/ is not under trips/ */
	T_CHECK(add(&l, line("trips_old/date=2025-11-15/r/f.parquet", "2025-11-15", 1, COLS), "in:6") < 0,
	    "outside the stage refused");
	T_STREQ(err, "in:6: s3://land/trips_old/date=2025-11-15/r/f.parquet: not under the stage URL s3://land/trips/");
	o = json_loads("{\"url\":\"s3://other/trips/date=2025-11-15/x.parquet\",\"partition\":{\"date\":\"2025-11-15\"},"
	    "\"rows\":1,\"schema\":" COLS "}", 0, NULL);
	T_CHECK(add(&l, o, "in:7") < 0, "other bucket refused");
	T_STREQ(err, "in:7: s3://other/trips/date=2025-11-15/x.parquet: not under the stage URL s3://land/trips/");
	o = json_loads("{\"url\":\"s3://land/trips/x.parquet\",\"partition\":{},\"rows\":1,\"schema\":" COLS "}",
	    0, NULL);
	T_CHECK(add(&l, o, "in:8") < 0, "no partition refused");
	T_STREQ(err, "in:8: s3://land/trips/x.parquet: no partition date= in the path");
	o = json_loads("{\"url\":\"s3://land/trips/date=2025-11-15/x.parquet\",\"partition\":{\"date\":\"2025-11-15\"}}",
	    0, NULL);
	T_CHECK(add(&l, o, "in:9") < 0, "no footer refused");
	T_STREQ(err, "in:9: s3://land/trips/date=2025-11-15/x.parquet: no footer rows or schema "
	    "(s3-ls-parquet -F leaves them out)");
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/g.parquet", "2025-11-15", 1,
	    "[{\"name\":\"date\",\"physical\":\"INT32\",\"logical\":\"DATE\"}]"), "in:10") < 0,
	    "partition column in the file refused");
	T_STREQ(err, "in:10: s3://land/trips/date=2025-11-15/r/g.parquet: partition column \"date\" is also a "
	    "column of the file");
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/a.parquet", "2025-11-15", 1, COLS), "in:12") < 0,
	    "a file listed twice refused");
	T_STREQ(err, "in:12: s3://land/trips/date=2025-11-15/r/a.parquet: listed twice (also in:1)");
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/i.parquet", "2025-11-15", 1,
	    "[{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null},{\"name\":\"fare\","
	    "\"physical\":\"BYTE_ARRAY\",\"logical\":\"BSON\"}]"), "in:13") < 0, "unmappable type refused");
	T_STREQ(err, "in:13: s3://land/trips/date=2025-11-15/r/i.parquet: column \"fare\": Parquet BYTE_ARRAY BSON "
	    "has no Snowflake type");
	T_CHECK(l.nfiles == 1 && l.rows == 1, "refused lines not added");
	/* a refused file leaves the load as it was: same SQL as with the first file alone */
	T_CHECK(add(&l, line("trips/date=2025-11-15/r/h.parquet", "2025-11-15", 2, COLS), "in:11") == 0,
	    "%s", err);
	T_CHECK(l.nfiles == 2 && l.rows == 3, "good line added after refusals");
	load_free(&l);

	l = (struct load){ .table = "trips", .stage = "land", .stage_url = "s3://land/", .part_col = "date" };
	T_CHECK(load_sql(&l, err, sizeof err) == NULL, "no files refused");
	T_STREQ(err, "no Parquet files in the input");
	l.table = "trips; DROP TABLE x";
	T_CHECK(add(&l, line("t/date=2025-11-15/a.parquet", "2025-11-15", 1, COLS), "in:1") == 0, "%s", err);
	T_CHECK(load_sql(&l, err, sizeof err) == NULL, "injected table name refused");
	load_free(&l);
	l = (struct load){ .table = "trips", .stage = "land", .stage_url = "s3://land/", .part_col = "date" };
	T_CHECK(add(&l, line("t/date=2025-11-15'/a.parquet", "2025-11-15'", 1, COLS), "in:1") == 0, "%s", err);
	{
		char *s = load_sql(&l, err, sizeof err);

		T_CHECK(s && strstr(s, "WHERE \"date\" = '2025-11-15'''\n") == NULL &&
		    strstr(s, "WHERE \"date\" = '2025-11-15''';"), "partition value quoted as a string: %s", s);
		free(s);
	}
	load_free(&l);
}

/* -k: the path's date= gives the partition; the files hold the column (trip_date) themselves. */
static void
test_column_in_files(void)
{
	struct load l = {0};
	char *ddl, *sql;
	json_t *o = line("t/date=2025-11-15/run=r1/p0.parquet", "2025-11-15", 7,
	    "[{\"name\":\"id\",\"physical\":\"INT64\",\"logical\":null,\"repetition\":\"OPTIONAL\"},"
	    "{\"name\":\"trip_date\",\"physical\":\"INT32\",\"logical\":\"DATE\",\"repetition\":\"OPTIONAL\"}]");

	l.table = "db.s.trips";
	l.stage = "db.s.land";
	l.stage_url = "s3://land/t/";
	l.part_col = "trip_date";
	l.part_key = "date";
	T_CHECK(add(&l, o, "in:1") == 0, "add: %s", err);
	ddl = load_ddl(&l, 0, err, sizeof err);
	T_CHECK(ddl && count(ddl, "trip_date") == 1, "the column once, from the files: %s", ddl);
	sql = load_sql(&l, err, sizeof err);
	T_CHECK(sql && strstr(sql, "DELETE FROM db.s.trips WHERE \"trip_date\" = '2025-11-15'::DATE;"), "delete: %s", sql);
	T_CHECK(sql && strstr(sql, "COPY INTO db.s.trips (\"id\", \"trip_date\")\n"), "columns: %s", sql);
	T_CHECK(sql && !strstr(sql, "'2025-11-15'::DATE FROM @"), "no value from the path: %s", sql);
	free(ddl);
	free(sql);
	load_free(&l);
}

int
main(void)
{
	test_type_map();
	test_select();
	test_ddl();
	test_copy_small();
	test_copy_batches();
	test_refusals();
	test_column_in_files();
	T_DONE();
}
