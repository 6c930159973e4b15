#include <stdlib.h>

#include "profile.h"
#include "t.h"

static const char *
norm(const char *s)
{
	static struct buf b;

	buf_reset(&b);
	buf_add(&b, NULL, 0);
	return profile_dec_norm(&b, s) == 0 ? b.p : NULL;
}

static json_t *
parse(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, 0, &e);

	if (!v)
		fprintf(stderr, "profile_test: bad fixture: %s: %s\n", s, e.text);
	return v;
}

/* 1 if the text holds needle. */
static int
has(const char *text, const char *needle)
{
	return text && strstr(text, needle) != NULL;
}

static struct profile
schema(const char *line)
{
	struct profile p = { 0 };
	json_t *v = parse(line);
	char err[256];

	/* A refused schema leaves p empty, which the callers check. */
	profile_add_schema(&p, v, "files.jsonl:1", err, sizeof err);
	json_decref(v);
	return p;
}

#define COLS "[{\"name\":\"trip_id\",\"physical\":\"INT64\",\"logical\":null}," \
	"{\"name\":\"Fare \\\"usd\\\"\",\"physical\":\"INT64\",\"logical\":\"DECIMAL\",\"precision\":10,\"scale\":2}," \
	"{\"name\":\"tick`s\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"}," \
	"{\"name\":\"ok\",\"physical\":\"BOOLEAN\",\"logical\":null}," \
	"{\"name\":\"day\",\"physical\":\"INT32\",\"logical\":\"DATE\"}," \
	"{\"name\":\"at\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":true}," \
	"{\"name\":\"wall\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":false}," \
	"{\"name\":\"old\",\"physical\":\"INT96\",\"logical\":null}," \
	"{\"name\":\"raw\",\"physical\":\"BYTE_ARRAY\",\"logical\":null}," \
	"{\"name\":\"dist\",\"physical\":\"DOUBLE\",\"logical\":null}," \
	"{\"name\":\"tags\",\"physical\":\"GROUP\",\"logical\":\"LIST\",\"fields\":[]}]"

static void
test_schema(void)
{
	struct profile p = schema("{\"url\":\"s3://b/a.parquet\",\"schema\":" COLS "}");
	json_t *v;
	char err[256];
	int rc;

	T_CHECK(p.ncols == 11, "11 columns, got %zu", p.ncols);
	if (p.ncols != 11)
		return;
	T_CHECK(p.cols[0].kind == PROFILE_INT, "INT64 is an integer");
	T_CHECK(p.cols[1].kind == PROFILE_DECIMAL && p.cols[1].scale == 2, "decimal scale 2");
	T_CHECK(p.cols[2].kind == PROFILE_STRING, "string");
	T_CHECK(p.cols[3].kind == PROFILE_BOOL, "boolean");
	T_CHECK(p.cols[4].kind == PROFILE_DATE, "date");
	T_CHECK(p.cols[5].kind == PROFILE_TS_UTC, "utc timestamp");
	T_CHECK(p.cols[6].kind == PROFILE_TS_NTZ, "wall-clock timestamp");
	T_CHECK(p.cols[7].kind == PROFILE_TS_INT96, "INT96");
	T_CHECK(p.cols[8].kind == PROFILE_BINARY, "binary");
	T_CHECK(p.cols[9].kind == PROFILE_FLOAT, "double: exact float text");
	T_CHECK(p.cols[10].kind == PROFILE_NULLS_ONLY && has(p.cols[10].why, "nested"), "list: nulls only");

	/* The same schema again is accepted; a changed scale is refused, naming file and column. */
	v = parse("{\"url\":\"s3://b/b.parquet\",\"schema\":" COLS "}");
	T_CHECK(profile_add_schema(&p, v, "files.jsonl:2", err, sizeof err) == 0, "same schema: %s", err);
	json_decref(v);
	v = parse("{\"url\":\"s3://b/c.parquet\",\"schema\":[{\"name\":\"trip_id\",\"physical\":\"INT64\","
	    "\"logical\":null},{\"name\":\"Fare \\\"usd\\\"\",\"physical\":\"INT64\",\"logical\":\"DECIMAL\","
	    "\"precision\":12,\"scale\":2},{\"name\":\"tick`s\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"},"
	    "{\"name\":\"ok\",\"physical\":\"BOOLEAN\"},{\"name\":\"day\",\"physical\":\"INT32\",\"logical\":\"DATE\"},"
	    "{\"name\":\"at\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":true},"
	    "{\"name\":\"wall\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":false},"
	    "{\"name\":\"old\",\"physical\":\"INT96\"},{\"name\":\"raw\",\"physical\":\"BYTE_ARRAY\"},"
	    "{\"name\":\"dist\",\"physical\":\"DOUBLE\"},{\"name\":\"tags\",\"physical\":\"GROUP\",\"logical\":\"LIST\",\"fields\":[]}]}");
	rc = profile_add_schema(&p, v, "files.jsonl:3", err, sizeof err);
	T_CHECK(rc < 0, "changed decimal refused");
	T_CHECK(has(err, "files.jsonl:3") && has(err, "s3://b/c.parquet") && has(err, "Fare \"usd\"") &&
	    has(err, "DECIMAL(12,2)") && has(err, "DECIMAL(10,2)") && has(err, "s3://b/a.parquet"),
	    "message names file, column and both types: %s", err);
	json_decref(v);
	v = parse("{\"url\":\"s3://b/d.parquet\",\"schema\":[{\"name\":\"trip_id\",\"physical\":\"INT64\"}]}");
	T_CHECK(profile_add_schema(&p, v, "files.jsonl:4", err, sizeof err) < 0 && has(err, "1 columns, 11"),
	    "fewer columns refused: %s", err);
	json_decref(v);
	profile_free(&p);

	p = schema("{\"schema\":[{\"name\":\"x\",\"physical\":\"INT64\"},{\"name\":\"x\",\"physical\":\"INT64\"}]}");
	T_CHECK(p.ncols == 0, "a column twice is refused");
	p = schema("{\"schema\":[{\"name\":\"dbx2sf_md5\",\"physical\":\"INT64\"}]}");
	T_CHECK(p.ncols == 0, "a reserved name is refused");
	p = schema("{\"schema\":[{\"name\":\"a\\nb\",\"physical\":\"INT64\"}]}");
	T_CHECK(p.ncols == 0, "a control byte in a name is refused");
	v = parse("{\"url\":\"s3://b/e.parquet\"}");
	T_CHECK(profile_add_schema(&p, v, "files.jsonl:9", err, sizeof err) < 0 && has(err, "files.jsonl:9: no schema"),
	    "no schema: %s", err);
	json_decref(v);
}

static void
test_sql(void)
{
	struct profile p = schema("{\"url\":\"s3://b/a.parquet\",\"schema\":" COLS "}");
	char *dates[] = { "2025-11-15", "2025-11-16" }, *bad[] = { "2025-02-30" };
	char err[256], *spark, *sf;

	spark = profile_sql(&p, SQL_SPARK, "main.sales.trips", "trip_date", dates, 2, err, sizeof err);
	sf = profile_sql(&p, SQL_SNOWFLAKE, "ANALYTICS.PUBLIC.TRIPS", "trip_date", dates, 1, err, sizeof err);
	T_CHECK(spark && sf, "SQL for both: %s", err);
	if (!spark || !sf)
		return;
	/* Identifiers quoted the dialect's way, quotes doubled; metrics named column.metric. */
	T_CHECK(has(spark, "`Fare \"usd\"`") && has(spark, "AS `Fare \"usd\".nulls`"), "spark quotes");
	T_CHECK(has(spark, "`tick``s`") && has(spark, "AS `tick``s.min`"), "spark doubles backquotes");
	T_CHECK(has(sf, "\"Fare \"\"usd\"\"\"") && has(sf, "AS \"Fare \"\"usd\"\".nulls\""), "snowflake doubles quotes");
	T_CHECK(has(sf, "\"tick`s\"") && has(sf, "AS \"tick`s.max\""), "backquote plain in snowflake");
	T_CHECK(has(spark, "FROM main.sales.trips") && has(sf, "FROM ANALYTICS.PUBLIC.TRIPS"), "table");
	T_CHECK(has(spark, "WHERE `trip_date` IN (DATE '2025-11-15', DATE '2025-11-16')"), "spark dates");
	T_CHECK(has(sf, "WHERE \"trip_date\" IN (DATE '2025-11-15')"), "snowflake date");
	/* Every date asked has its row, an empty one too: the dates LEFT JOIN the rows. */
	T_CHECK(has(spark, "FROM (SELECT '2025-11-15' AS `dbx2sf_partition` UNION ALL SELECT '2025-11-16') AS d\n"
	    "LEFT JOIN (SELECT") && has(spark, ") AS r ON r.`dbx2sf_partition` = d.`dbx2sf_partition`"),
	    "spark: dates left join rows");
	T_CHECK(has(sf, "FROM (SELECT '2025-11-15' AS \"dbx2sf_partition\") AS d\nLEFT JOIN (SELECT"), "snowflake: one date");
	T_CHECK(has(spark, "GROUP BY d.`dbx2sf_partition`") && has(sf, "GROUP BY d.\"dbx2sf_partition\""), "grouped");
	/* Every metric is text in the SQL itself; rows count MD5s, which only the empty row lacks. */
	T_CHECK(has(spark, "CAST(COUNT(`dbx2sf_md5`) AS STRING) AS `rows`") &&
	    has(sf, "TO_VARCHAR(COUNT(\"dbx2sf_md5\")) AS \"rows\""), "rows");
	T_CHECK(has(spark, "CAST(COUNT(`dbx2sf_md5`) - COUNT(`ok`) AS STRING) AS `ok.nulls`"), "nulls");
	T_CHECK(has(spark, "CAST(COALESCE(SUM(CAST(conv(") && has(sf, "TO_VARCHAR(COALESCE(SUM(CAST("), "checksum 0 when empty");
	T_CHECK(has(spark, "CAST(COUNT(CASE WHEN `ok` THEN 1 END) AS STRING) AS `ok.trues`"), "trues");
	T_CHECK(!has(spark, "`ok.min`") && !has(spark, "`tags.min`"), "no min for bool, list");
	T_CHECK(has(spark, "AS `dist.nulls`") && has(sf, "AS \"tags.nulls\""), "null counts for the rest");
	/* Sums: integers in DECIMAL(38,0), decimals printed with their scale, never 1E-8. */
	T_CHECK(has(spark, "CAST(SUM(CAST(`trip_id` AS DECIMAL(38,0))) AS STRING) AS `trip_id.sum`"), "spark int sum");
	T_CHECK(has(sf, "TO_VARCHAR(SUM(CAST(\"trip_id\" AS NUMBER(38,0)))) AS \"trip_id.sum\""), "snowflake int sum");
	/* Decimals: two sums of 20-digit halves of the scaled integer, named by their weight. */
	T_CHECK(has(spark, "CAST(SUM(CASE WHEN `Fare \"usd\"` < 0 THEN -1 ELSE 1 END * CAST(substr(LPAD(REPLACE(REPLACE("
	    "replace(format_number(`Fare \"usd\"`, 2), ',', ''), '-', ''), '.', ''), 40, '0'), 1, 20) AS DECIMAL(38,0))) "
	    "AS STRING) AS `Fare \"usd\".sum.e18`"), "spark decimal high half");
	T_CHECK(has(sf, "TO_VARCHAR(SUM(CASE WHEN \"Fare \"\"usd\"\"\" < 0 THEN -1 ELSE 1 END * CAST(SUBSTR(LPAD(REPLACE(REPLACE("
	    "TO_VARCHAR(\"Fare \"\"usd\"\"\"), '-', ''), '.', ''), 40, '0'), 21, 20) AS NUMBER(38,0)))) "
	    "AS \"Fare \"\"usd\"\".sum.e-2\""), "snowflake decimal low half");
	T_CHECK(!has(spark, "AS `Fare \"usd\".sum`"), "no decimal SUM that can overflow");
	/* Doubles: exact text, counts of NaN and -0. */
	T_CHECK(has(spark, "CAST(COUNT(CASE WHEN isnan(CAST(`dist` AS DOUBLE)) THEN 1 END) AS STRING) AS `dist.nans`"), "nans");
	T_CHECK(has(sf, "TO_VARCHAR(COUNT(CASE WHEN \"dist\" = 0 AND TO_VARCHAR(\"dist\") LIKE '-%' THEN 1 END)) "
	    "AS \"dist.negzeros\""), "negzeros");
	T_CHECK(has(spark, "FLOOR(LOG2(CASE WHEN ABS(CAST(MIN(`dist`) AS DOUBLE)) > 0") &&
	    has(sf, "FLOOR(LOG(2, CASE WHEN ABS(CAST(MAX(\"dist\") AS FLOAT)) > 0"), "min and max as m p q");
	T_CHECK(has(spark, "'p', CAST(CAST(GREATEST(") && has(spark, "- 52, -1074) AS BIGINT) AS STRING)) END"), "spark m p q");
	T_CHECK(has(sf, "WHEN CAST(\"dist\" AS FLOAT) = 0 THEN CASE WHEN TO_VARCHAR(CAST(\"dist\" AS FLOAT)) LIKE '-%' "
	    "THEN '-0' ELSE '0' END"), "the checksum tells -0 from 0");
	T_CHECK(has(spark, "WHEN CAST(MIN(`dist`) AS DOUBLE) = 0 THEN '0'"), "min and max do not");
	/* Canonical text in the checksum. */
	T_CHECK(has(spark, "md5(concat_ws('|',") && has(sf, "MD5(CONCAT_WS('|',"), "row text joined by |");
	T_CHECK(has(spark, "coalesce(`tick``s`, '<null>')") && has(sf, "COALESCE(\"tick`s\", '<null>')"), "NULL token");
	T_CHECK(has(spark, "coalesce(hex(`raw`), '<null>')") && has(sf, "COALESCE(HEX_ENCODE(\"raw\"), '<null>')"), "hex");
	T_CHECK(has(spark, "unix_micros(`at`)") && has(spark, "unix_micros(`old`)"), "instants from epoch micros");
	T_CHECK(has(sf, "TO_VARCHAR(CONVERT_TIMEZONE('UTC', CAST(\"at\" AS TIMESTAMP_LTZ)), 'YYYY-MM-DD HH24:MI:SS.FF6')"),
	    "ltz in UTC");
	T_CHECK(has(sf, "TO_VARCHAR(CAST(\"old\" AS TIMESTAMP_NTZ), 'YYYY-MM-DD HH24:MI:SS.FF6')"), "INT96 is NTZ in snowflake");
	T_CHECK(has(spark, "rpad(CASE WHEN length(CAST(`wall` AS STRING)) = 19"), "ntz without the session zone");
	T_CHECK(has(sf, "TO_VARCHAR(CAST(\"day\" AS DATE), 'YYYY-MM-DD')") && has(spark, "CAST(`day` AS STRING)"), "dates");
	T_CHECK(has(spark, "coalesce(CASE WHEN CAST(`dist` AS DOUBLE) IS NULL") && !has(spark, "coalesce(`tags`"),
	    "double in the checksum, list not");
	T_CHECK(has(spark, "CAST(conv(substr(`dbx2sf_md5`, 21), 16, 10) AS DECIMAL(38,0))"), "spark low 48 bits");
	T_CHECK(has(sf, "(POSITION(SUBSTR(\"dbx2sf_md5\", 21, 1), '0123456789abcdef') - 1) * 17592186044416") &&
	    has(sf, "(POSITION(SUBSTR(\"dbx2sf_md5\", 32, 1), '0123456789abcdef') - 1) * 1 AS NUMBER(38,0)"),
	    "snowflake low 48 bits digit by digit");
	free(spark), free(sf);

	spark = profile_sql(&p, SQL_SPARK, "main.sales.trips", "trip_date", NULL, 0, err, sizeof err);
	T_CHECK(spark && !has(spark, "WHERE") && !has(spark, "LEFT JOIN") && has(spark, "GROUP BY r.`dbx2sf_partition`"),
	    "no dates: every partition that has rows");
	free(spark);
	T_CHECK(!profile_sql(&p, SQL_SPARK, "t; drop table x", "d", NULL, 0, err, sizeof err) && has(err, "not a table"),
	    "bad table refused: %s", err);
	T_CHECK(!profile_sql(&p, SQL_SPARK, "t", "d", bad, 1, err, sizeof err) && has(err, "2025-02-30"),
	    "bad date refused: %s", err);

	/* Pinned: the snapshot read, and said in every row. */
	p.version = "431";
	spark = profile_sql(&p, SQL_SPARK, "main.sales.trips", "trip_date", dates, 1, err, sizeof err);
	T_CHECK(spark && has(spark, "FROM main.sales.trips VERSION AS OF 431\n\tWHERE") &&
	    has(spark, "'431' AS `version`"), "VERSION AS OF: %s", spark ? spark : err);
	free(spark);
	T_CHECK(!profile_sql(&p, SQL_SNOWFLAKE, "T", "d", NULL, 0, err, sizeof err) && has(err, "Spark only"),
	    "no version on snowflake: %s", err);
	p.version = "0412";
	T_CHECK(!profile_sql(&p, SQL_SPARK, "t", "d", NULL, 0, err, sizeof err) && has(err, "not a Delta version"),
	    "leading zero refused: %s", err);
	p.version = NULL;
	T_CHECK(profile_version_valid("0") && profile_version_valid("9223372036854775807") &&
	    !profile_version_valid("9223372036854775808") && !profile_version_valid("") &&
	    !profile_version_valid("1 OR 1") && !profile_version_valid("-1"), "version text");
	profile_free(&p);

	/* Only columns without a common text form: the checksum still has its second argument. */
	p = schema("{\"schema\":[{\"name\":\"x\",\"physical\":\"INT32\",\"logical\":\"TIME\"}]}");
	sf = profile_sql(&p, SQL_SNOWFLAKE, "T", "d", NULL, 0, err, sizeof err);
	T_CHECK(has(sf, "CONCAT_WS('|', '')"), "empty row text");
	free(sf);
	profile_free(&p);
}

static void
test_decimals(void)
{
	T_STREQ(norm("1.50"), "1.5");
	T_STREQ(norm("1.5"), "1.5");
	T_STREQ(norm("-0.00"), "0");
	T_STREQ(norm("+007"), "7");
	T_STREQ(norm("1E-8"), "0.00000001");
	T_STREQ(norm("0E-10"), "0");
	T_STREQ(norm("15e-1"), "1.5");
	T_STREQ(norm("1.2E+3"), "1200");
	T_STREQ(norm("-12345678901234567890123456789.0123456789"), "-12345678901234567890123456789.0123456789");
	T_STREQ(norm(".5"), "0.5");
	T_STREQ(norm("100"), "100");
	T_CHECK(norm("") == NULL && norm("-") == NULL && norm(".") == NULL, "no digits");
	T_CHECK(norm("1.2.3") == NULL && norm("1e") == NULL && norm("abc") == NULL && norm("1 ") == NULL,
	    "not numerals");
	T_CHECK(norm("1e999999") == NULL, "absurd exponent refused");
	/* Exact: 2^53 + 1 differs from 2^53 although a double cannot tell them apart. */
	T_CHECK(!profile_value_equal("x.sum", "9007199254740993", "9007199254740992"), "no floating point");
	T_CHECK(profile_value_equal("x.sum", "12.50", "12.5"), "sum compares by value");
	T_CHECK(profile_value_equal("rows", "10", "10"), "rows");
	T_CHECK(!profile_value_equal("rows", "10", "11"), "rows differ");
	T_CHECK(profile_value_equal("fare.min", "1.50", "1.5"), "numeric min by value");
	T_CHECK(!profile_value_equal("name.min", "abc", "abd"), "text min by bytes");
	T_CHECK(!profile_value_equal("name.max", "1e2", "100"), "exponents in a min are text");
	T_CHECK(profile_value_equal("x.sum", "1E-8", "0.00000001"), "exponents in a sum are numbers");
	T_CHECK(!profile_value_equal("name.nulls", "1", NULL), "NULL differs from a value");
	T_CHECK(profile_value_equal("name.min", NULL, NULL), "NULL equals NULL");
	T_CHECK(!profile_value_equal("x.sum", "abc", "abd"), "non-numeral sums compare by bytes");
}

static void
test_diff(void)
{
	json_t *s = parse("{\"partition\":\"2025-11-15\",\"rows\":\"3\",\"checksum\":\"99\",\"fare.sum\":\"12.50\","
	    "\"name.min\":\"a\",\"name.max\":null}");
	json_t *t = parse("{\"partition\":\"2025-11-15\",\"rows\":3,\"checksum\":\"99\",\"fare.sum\":\"12.5\","
	    "\"name.min\":\"a\",\"name.max\":null}");
	json_t *d, *e;
	char *text, *v;

	d = profile_diff(s, t, NULL);
	T_CHECK(json_array_size(d) == 0, "same profile: no difference");
	json_decref(d);
	d = profile_diff(s, t, "3");
	T_CHECK(json_array_size(d) == 0, "footers agree");
	json_decref(d);
	d = profile_diff(s, t, "4");
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T_STREQ(text, "[{\"metric\":\"rows\",\"source\":\"3\",\"target\":\"3\",\"files\":\"4\"}]");
	free(text);
	json_decref(d);

	json_object_set_new(t, "name.min", json_string("b"));
	json_object_set_new(t, "checksum", json_string("98"));
	json_object_del(t, "name.max");
	json_object_set_new(t, "extra.nulls", json_string("0"));
	d = profile_diff(s, t, NULL);
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T_STREQ(text, "[{\"metric\":\"checksum\",\"source\":\"99\",\"target\":\"98\"},"
	    "{\"metric\":\"name.min\",\"source\":\"a\",\"target\":\"b\"},"
	    "{\"metric\":\"name.max\",\"source\":null,\"absent\":\"target\"},"
	    "{\"metric\":\"extra.nulls\",\"source\":\"3\",\"target\":\"0\"}]");
	free(text);
	json_decref(d);

	e = json_real(1.5);
	T_CHECK(profile_value(e, &v) < 0, "a real is refused");
	json_decref(e);
	e = json_integer(-42);
	T_CHECK(profile_value(e, &v) == 0 && v && strcmp(v, "-42") == 0, "an integer as text");
	free(v);
	json_decref(e);
	e = json_true();
	T_CHECK(profile_value(e, &v) < 0, "a boolean is refused");
	T_CHECK(profile_metric_numeric("rows") && profile_metric_numeric("checksum") &&
	    profile_metric_numeric("a.b.sum") && !profile_metric_numeric("a.min"), "numeric metrics");
	json_decref(s), json_decref(t);
}

/* The line after profile_sums_combine, or the error prefixed with "error: ". */
static const char *
combine(const char *line)
{
	static char out[512];
	json_t *v = parse(line);
	char err[256], *t;

	if (!v)
		return "bad fixture";
	if (profile_sums_combine(v, err, sizeof err) < 0) {
		snprintf(out, sizeof out, "error: %s", err);
	} else {
		t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(out, sizeof out, "%s", t ? t : "?");
		free(t);
	}
	json_decref(v);
	return out;
}

static void
test_sums(void)
{
	/* The halves of DECIMAL(10,2): 10^18 - 0.05, kept at two fraction digits. */
	T_STREQ(combine("{\"a.sum.e18\":\"1\",\"a.sum.e-2\":\"-5\"}"), "{\"a.sum\":\"999999999999999999.95\"}");
	T_STREQ(combine("{\"a.sum.e18\":\"-1\",\"a.sum.e-2\":5}"), "{\"a.sum\":\"-999999999999999999.95\"}");
	T_STREQ(combine("{\"a.sum.e18\":\"0\",\"a.sum.e-2\":\"-5\"}"), "{\"a.sum\":\"-0.05\"}");
	T_STREQ(combine("{\"a.sum.e18\":\"0\",\"a.sum.e-2\":\"0\"}"), "{\"a.sum\":\"0.00\"}");
	T_STREQ(combine("{\"a.sum.e20\":\"0\",\"a.sum.e0\":\"0\"}"), "{\"a.sum\":\"0\"}");
	/* Three times the largest DECIMAL(38,10): past 38 digits, exact. */
	T_STREQ(combine("{\"big.sum.e10\":\"2999999999999999997\",\"big.sum.e-10\":\"299999999999999999997\"}"),
	    "{\"big.sum\":\"29999999999999999999999999999.9999999997\"}");
	/* Three times 10^38 - 1 as DECIMAL(38,0), and a -(2^63-1) on top: signs mixed. */
	T_STREQ(combine("{\"w.sum.e20\":\"2999999999999999997\",\"w.sum.e0\":\"290776627963145224190\"}"),
	    "{\"w.sum\":\"299999999999999999990776627963145224190\"}");
	T_STREQ(combine("{\"w.sum.e20\":\"-3\",\"w.sum.e0\":\"99999999999999999999\"}"), "{\"w.sum\":\"-200000000000000000001\"}");
	/* Other metrics stay; an empty date's parts are null, so is its sum. */
	T_STREQ(combine("{\"rows\":\"0\",\"a.sum.e18\":null,\"a.sum.e-2\":null,\"a.nulls\":\"0\"}"),
	    "{\"a.nulls\":\"0\",\"a.sum\":null,\"rows\":\"0\"}");
	/* A column whose own name has ".sum.e" in it. */
	T_STREQ(combine("{\"q.sum.e3.sum.e18\":\"1\",\"q.sum.e3.sum.e-2\":\"1\",\"q.sum.e3x.nulls\":\"0\"}"),
	    "{\"q.sum.e3.sum\":\"1000000000000000000.01\",\"q.sum.e3x.nulls\":\"0\"}");
	T_STREQ(combine("{\"rows\":\"3\",\"fare.sum\":\"15.50\"}"), "{\"fare.sum\":\"15.50\",\"rows\":\"3\"}");
	T_CHECK(has(combine("{\"a.sum.e18\":null,\"a.sum.e-2\":\"1\"}"), "error: \"a.sum.e*\": some parts null"),
	    "partly null refused");
	T_CHECK(has(combine("{\"a.sum.e18\":\"1.5\",\"a.sum.e-2\":\"1\"}"), "error: \"a.sum.e18\": a partial sum that is not an integer"),
	    "a fraction refused");
	T_CHECK(has(combine("{\"a.sum.e18\":\"x\"}"), "not an integer"), "text refused");
	T_CHECK(has(combine("{\"a.sum\":\"1\",\"a.sum.e-2\":\"1\"}"), "error: \"a.sum\" beside its partial sums"),
	    "both forms refused");
}

/* parity-check -T: the target table's columns fit to the files' schema. */
static void
test_table_columns(void)
{
	const char *line = "{\"url\":\"s3://b/a.parquet\",\"schema\":["
	    "{\"name\":\"trip_id\",\"physical\":\"INT64\",\"logical\":null},"
	    "{\"name\":\"fare\",\"physical\":\"INT64\",\"logical\":\"DECIMAL\",\"precision\":10,\"scale\":2},"
	    "{\"name\":\"Note\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"}]}";
	struct profile p = schema(line);
	char *table[] = { "trip_date", "trip_id", "FARE", "Note", "note", "tip \"x\"" };
	char *twice[] = { "trip_id", "FARE", "Fare", "Note" };
	char *missing[] = { "trip_id", "Note" }, *dup[] = { "trip_id", "FARE", "Note", "Note" };
	char *reserved[] = { "trip_id", "FARE", "Note", "dbx2sf_md5" };
	char *dates[] = { "2025-11-15" };
	char err[256], *sf, *spark;

	T_CHECK(profile_table_columns(&p, table, 6, "trip_date", err, sizeof err) == 0, "fit: %s", err);
	T_CHECK(p.ncols == 5, "two columns the table's only: %zu", p.ncols);
	if (p.ncols != 5)
		return;
	T_STREQ(p.cols[1].from, "FARE");
	T_CHECK(!p.cols[0].from && !p.cols[2].from, "exact matches read as they are");
	T_STREQ(p.cols[3].name, "note");
	T_STREQ(p.cols[4].name, "tip \"x\"");
	T_CHECK(p.cols[3].absent && p.cols[4].absent && p.cols[4].kind == PROFILE_NULLS_ONLY, "absent, nulls only");
	sf = profile_sql(&p, SQL_SNOWFLAKE, "DB.PUBLIC.TRIPS", "trip_date", dates, 1, err, sizeof err);
	spark = profile_sql(&p, SQL_SPARK, "main.sales.trips", "trip_date", dates, 1, err, sizeof err);
	T_CHECK(sf && spark, "SQL: %s", err);
	if (!sf || !spark)
		return;
	/* The rename: the table's column under the file's name, in the MD5 the table's column. */
	T_CHECK(has(sf, "\n\t\"FARE\" AS \"fare\",\n") && has(sf, "COALESCE(TO_VARCHAR(\"FARE\"), '<null>')"),
	    "rename read from the table's column");
	T_CHECK(has(sf, "AS \"fare.sum.e18\"") && !has(sf, "\"FARE.") && has(spark, "`FARE` AS `fare`"),
	    "its metrics keep the file's name");
	/* The table's own columns: selected, their null count only, not in the checksum. */
	T_CHECK(has(sf, "TO_VARCHAR(COUNT(\"dbx2sf_md5\") - COUNT(\"note\")) AS \"note.nulls\"") &&
	    has(sf, "COUNT(\"tip \"\"x\"\"\")) AS \"tip \"\"x\"\".nulls\"") && has(sf, "\n\t\"note\",\n"),
	    "absent columns: nulls");
	T_CHECK(!has(sf, "note.min") && !has(sf, "note.max") && !has(sf, "TO_VARCHAR(\"note\")") &&
	    !has(sf, "\"note\", '<null>'"), "absent columns: nothing else, not in the MD5");
	T_CHECK(!has(sf, "trip_date.nulls") && !has(sf, "COUNT(\"trip_date\")"), "the partition column is not profiled");
	free(sf), free(spark);
	profile_free(&p);

	p = schema(line);
	T_CHECK(profile_table_columns(&p, missing, 2, "trip_date", err, sizeof err) < 0 &&
	    strcmp(err, "column \"fare\" of the files: not in the table") == 0, "added column: %s", err);
	profile_free(&p);
	p = schema(line);
	T_CHECK(profile_table_columns(&p, twice, 4, "trip_date", err, sizeof err) < 0 &&
	    strcmp(err, "column \"fare\" of the files: not in the table, and 2 of its columns differ from it "
	    "only in case") == 0, "ambiguous: %s", err);
	profile_free(&p);
	p = schema(line);
	T_CHECK(profile_table_columns(&p, dup, 4, "trip_date", err, sizeof err) < 0 &&
	    strcmp(err, "column \"Note\" twice in the table's columns") == 0, "twice: %s", err);
	profile_free(&p);
	p = schema(line);
	T_CHECK(profile_table_columns(&p, reserved, 4, "trip_date", err, sizeof err) < 0 &&
	    has(err, "reserved"), "reserved: %s", err);
	profile_free(&p);
}

/* The rule for a table column the date's files do not hold. */
static void
test_diff_absent(void)
{
	json_t *s = parse("{\"partition\":\"2025-11-15\",\"rows\":\"3\",\"fare.nulls\":\"0\"}");
	json_t *t = parse("{\"partition\":\"2025-11-15\",\"rows\":\"3\",\"fare.nulls\":\"0\",\"note.nulls\":3}");
	json_t *d;
	char *text;

	d = profile_diff(s, t, "3");
	T_CHECK(json_array_size(d) == 0, "all NULL: as many nulls as rows, a match");
	json_decref(d);
	json_object_set_new(t, "note.nulls", json_string("2"));
	d = profile_diff(s, t, NULL);
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T_STREQ(text, "[{\"metric\":\"note.nulls\",\"source\":\"3\",\"target\":\"2\"}]");
	free(text);
	json_decref(d);
	/* A value that is not all NULL on an empty date: 0 rows, so 0 nulls. */
	json_object_set_new(s, "rows", json_string("0"));
	json_object_set_new(t, "rows", json_string("0"));
	json_object_set_new(t, "note.nulls", json_string("0"));
	d = profile_diff(s, t, NULL);
	T_CHECK(json_array_size(d) == 0, "an empty date: 0 nulls of 0 rows");
	json_decref(d);
	/* Only a target-only .nulls: a .nulls the source has compares as before, and any other
	 * metric the source lacks is still absent there. */
	json_object_set_new(s, "rows", json_string("3"));
	json_object_set_new(t, "rows", json_string("3"));
	json_object_set_new(t, "note.nulls", json_string("3"));
	json_object_set_new(t, "note.min", json_string("a"));
	json_object_set_new(t, "fare.nulls", json_string("3"));
	d = profile_diff(s, t, NULL);
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T_STREQ(text, "[{\"metric\":\"fare.nulls\",\"source\":\"0\",\"target\":\"3\"},"
	    "{\"metric\":\"note.min\",\"target\":\"a\",\"absent\":\"source\"}]");
	free(text);
	json_decref(d);
	/* The source's .nulls the target lacks stays absent: the rule is the target's only. */
	d = profile_diff(t, s, NULL);
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	T_CHECK(has(text, "{\"metric\":\"note.nulls\",\"source\":\"3\",\"absent\":\"target\"}"), "%s", text);
	free(text);
	json_decref(d);
	json_decref(s), json_decref(t);
}

int
main(void)
{
	test_schema();
	test_sql();
	test_decimals();
	test_diff();
	test_sums();
	test_table_columns();
	test_diff_absent();
	T_DONE();
}
