/* databricks_test.c: value typing, validation, sizing and configuration of the Databricks client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "databricks.h"
#include "t.h"

static char out[4096];

/* dbx_value_json into a string, or "ERR" when the value is rejected. */
static const char *
val(const char *type, const char *text)
{
	struct buf b = { 0 };
	int rc = dbx_value_json(type, text, &b);

	snprintf(out, sizeof out, "%s", rc ? "ERR" : b.p);
	buf_free(&b);
	return out;
}

static void
test_values(void)
{
	T_STREQ(val("INT", "42"), "42");
	T_STREQ(val("LONG", "-17"), "-17");
	T_STREQ(val("LONG", "9007199254740992"), "9007199254740992");
	T_STREQ(val("LONG", "9007199254740993"), "\"9007199254740993\"");
	T_STREQ(val("LONG", "-9007199254740993"), "\"-9007199254740993\"");
	T_STREQ(val("LONG", "9223372036854775807"), "\"9223372036854775807\"");
	T_STREQ(val("SHORT", "007"), "7");
	T_STREQ(val("BYTE", "1.5"), "ERR");
	T_STREQ(val("INT", ""), "ERR");
	T_STREQ(val("DECIMAL", "12345678901234567890.123456789"), "\"12345678901234567890.123456789\"");
	T_STREQ(val("DECIMAL", "-0.10"), "\"-0.10\"");
	/* Every decimal text BigDecimal takes, printed plain with its scale (issue 10). */
	T_STREQ(val("DECIMAL", "1e5"), "\"100000\"");
	T_STREQ(val("DECIMAL", "1E-10"), "\"0.0000000001\"");
	T_STREQ(val("DECIMAL", "0E-10"), "\"0.0000000000\"");
	T_STREQ(val("DECIMAL", "-1.23E-2"), "\"-0.0123\"");
	T_STREQ(val("DECIMAL", "1.5E+3"), "\"1500\"");
	T_STREQ(val("DECIMAL", "9.9999999999999999999999999999E+27"), "\"9999999999999999999999999999.9\"");
	T_STREQ(val("DECIMAL", "1."), "\"1\"");
	T_STREQ(val("DECIMAL", ".5"), "\"0.5\"");
	T_STREQ(val("DECIMAL", "-0.00"), "\"0.00\"");
	T_STREQ(val("DECIMAL", "+2.50"), "\"2.50\"");
	T_STREQ(val("DECIMAL", "-"), "ERR");
	T_STREQ(val("DECIMAL", "."), "ERR");
	T_STREQ(val("DECIMAL", "1e"), "ERR");
	T_STREQ(val("DECIMAL", "1e+"), "ERR");
	T_STREQ(val("DECIMAL", "1e99999"), "ERR");
	T_STREQ(val("DECIMAL", "1.2.3"), "ERR");
	T_STREQ(val("DECIMAL", "NaN"), "ERR");
	T_STREQ(val("DOUBLE", "0.1"), "0.1");
	T_STREQ(val("DOUBLE", "1.0E10"), "1.0E10");
	T_STREQ(val("DOUBLE", "-2.5E-7"), "-2.5E-7");
	T_STREQ(val("FLOAT", "NaN"), "\"NaN\"");
	T_STREQ(val("DOUBLE", "Infinity"), "\"Infinity\"");
	T_STREQ(val("DOUBLE", "-Infinity"), "\"-Infinity\"");
	T_STREQ(val("DOUBLE", "+1.5"), "1.5");
	T_STREQ(val("DOUBLE", "abc"), "ERR");
	T_STREQ(val("DOUBLE", "1e"), "ERR");
	T_STREQ(val("BOOLEAN", "true"), "true");
	T_STREQ(val("BOOLEAN", "false"), "false");
	T_STREQ(val("BOOLEAN", "yes"), "ERR");
	T_STREQ(val("DATE", "2024-02-29"), "\"2024-02-29\"");
	T_STREQ(val("TIMESTAMP", "2024-06-01T12:34:56.789Z"), "\"2024-06-01T12:34:56.789Z\"");
	T_STREQ(val("TIMESTAMP", "2024-06-01 12:34:56.789"), "\"2024-06-01T12:34:56.789\"");
	T_STREQ(val("TIMESTAMP_NTZ", "2024-06-01 00:00:00"), "\"2024-06-01T00:00:00\"");
	T_STREQ(val("STRING", "a \"quoted\"\\ line\nnext\x01"), "\"a \\\"quoted\\\"\\\\ line\\nnext\\u0001\"");
	T_STREQ(val("STRING", "h\xc3\xa9llo"), "\"h\xc3\xa9llo\"");
	T_STREQ(val("BINARY", "AAEC"), "\"AAEC\"");
	T_STREQ(val("INTERVAL", "1-2"), "\"1-2\"");
	T_STREQ(val("ARRAY", "[1,2,3]"), "[1,2,3]");
	T_STREQ(val("ARRAY", "[0.1,\"x\",null]"), "[0.1,\"x\",null]");
	T_STREQ(val("MAP", "{\"b\":1,\"a\":2}"), "{\"b\":1,\"a\":2}");
	T_STREQ(val("STRUCT", "{\"id\":9007199254740993,\"n\":[1]}"), "{\"id\":\"9007199254740993\",\"n\":[1]}");
	T_STREQ(val("ARRAY", "[1,"), "ERR");
	T_STREQ(val("INT", NULL), "null");
	T_STREQ(val("STRING", NULL), "null");
	T_STREQ(val("NULL", "anything"), "null");
	T_STREQ(val("USER_DEFINED_TYPE", "x"), "\"x\"");
	T_STREQ(val(NULL, "x"), "\"x\"");
}

static void
test_rows(void)
{
	json_t *cols = json_loads("[{\"name\":\"id\",\"type_name\":\"LONG\"},"
	    "{\"name\":\"amt\",\"type_name\":\"DECIMAL\"},{\"name\":\"ok\",\"type_name\":\"BOOLEAN\"},"
	    "{\"name\":\"z\",\"type_name\":\"STRING\"}]", 0, NULL);
	json_t *row = json_loads("[\"1\",\"2.50\",\"true\",null]", 0, NULL);
	json_t *bad = json_loads("[\"1\",\"2.50\",\"maybe\",null]", 0, NULL);
	struct buf b = { 0 };
	const char *badcol = NULL;

	T_CHECK(dbx_row_json(cols, row, &b, &badcol) == 0, "row converts");
	T_STREQ(b.p, "{\"id\":1,\"amt\":\"2.50\",\"ok\":true,\"z\":null}\n");
	buf_reset(&b);
	T_CHECK(dbx_row_json(cols, bad, &b, &badcol) == -1, "bad boolean rejected");
	T_STREQ(badcol, "ok");
	T_STREQ(dbx_row_get(cols, row, "amt"), "2.50");
	T_CHECK(dbx_row_get(cols, row, "z") == NULL, "null value");
	{
		/* U+0000 inside a string goes out escaped, the rest of the string kept (issue 10). */
		json_t *nul = json_loads("[\"1\",\"1E-10\",\"false\",\"a\\u0000b\"]", JSON_ALLOW_NUL, NULL);

		buf_reset(&b);
		T_CHECK(nul && dbx_row_json(cols, nul, &b, &badcol) == 0, "a NUL in a string converts");
		T_STREQ(b.p, "{\"id\":1,\"amt\":\"0.0000000001\",\"ok\":false,\"z\":\"a\\u0000b\"}\n");
		json_decref(nul);
	}
	T_CHECK(dbx_row_get(cols, row, "nope") == NULL, "no such column");
	buf_free(&b);
	json_decref(cols);
	json_decref(row);
	json_decref(bad);
}

static void
test_validation(void)
{
	T_CHECK(dbx_valid_s3url("s3://landing/exports"), "bucket and prefix");
	T_CHECK(dbx_valid_s3url("s3://landing/exports/"), "trailing slash");
	T_CHECK(dbx_valid_s3url("s3://my.bucket-1/a/b=c/d_e"), "safe characters");
	T_CHECK(dbx_valid_s3url("s3://landing"), "bucket alone");
	T_CHECK(!dbx_valid_s3url("s3://landing/ex'ports"), "quote");
	T_CHECK(!dbx_valid_s3url("s3://landing/ex\\ports"), "backslash");
	T_CHECK(!dbx_valid_s3url("s3://landing/a b"), "blank");
	T_CHECK(!dbx_valid_s3url("s3://landing//a"), "empty segment");
	T_CHECK(!dbx_valid_s3url("s3://landing/../a"), "dot-dot");
	T_CHECK(!dbx_valid_s3url("s3://Landing/a"), "upper-case bucket");
	T_CHECK(!dbx_valid_s3url("s3://ab/a"), "short bucket");
	T_CHECK(!dbx_valid_s3url("s3://-ab/a"), "bucket starts with hyphen");
	T_CHECK(!dbx_valid_s3url("https://landing/a"), "not s3");
	T_CHECK(!dbx_valid_s3url("s3:///a"), "no bucket");

	T_CHECK(dbx_valid_dataset("trips"), "dataset");
	T_CHECK(!dbx_valid_dataset("a/b"), "dataset with slash");
	T_CHECK(!dbx_valid_dataset(".."), "dataset dot-dot");
	T_CHECK(dbx_valid_dataset("trips_2025.v-1"), "dataset of letters, digits, _ . -");
	T_CHECK(!dbx_valid_dataset("_hidden"), "dataset hidden by _");
	T_CHECK(!dbx_valid_dataset(".hidden"), "dataset hidden by .");
	T_CHECK(!dbx_valid_dataset("date=x"), "dataset read as a partition");
	T_CHECK(!dbx_valid_dataset(""), "empty dataset");

	{
		char *t = dbx_quote_table("main.sales.trips"), *i = dbx_quote_ident("we`ird");

		T_STREQ(t, "`main`.`sales`.`trips`");
		T_STREQ(i, "`we``ird`");
		free(t);
		free(i);
	}
}

static void
test_sizing(void)
{
	T_CHECK(dbx_file_count(0, 200) == 1, "empty slice: one file");
	T_CHECK(dbx_file_count(1, 200) == 1, "tiny");
	T_CHECK(dbx_file_count(200, 200) == 1, "exactly one");
	T_CHECK(dbx_file_count(201, 200) == 2, "just over");
	T_CHECK(dbx_file_count(1000LL << 20, 200LL << 20) == 5, "1000 MiB at 200 MiB");
	T_CHECK(dbx_file_count(1001LL << 20, 200LL << 20) == 6, "1001 MiB at 200 MiB");
	T_CHECK(dbx_slice_bytes(1000, 25, 100) == 250, "quarter");
	T_CHECK(dbx_slice_bytes(1000, 1, 3) == 334, "rounded up");
	T_CHECK(dbx_slice_bytes(1000, 0, 100) == 0, "no rows in slice");
	T_CHECK(dbx_slice_bytes(1000, 10, 0) == 0, "empty table");
	T_CHECK(dbx_slice_bytes(1000000000000000LL, 999999999999LL, 1000000000000LL) == 999999999999000LL,
	    "no overflow");
}

static void
test_params(void)
{
	char a[] = "d=2024-06-01", b[] = "d:DATE=2024-06-01", c[] = "amt:DECIMAL(10, 2)=1.50",
	    d[] = "x=a=b:c", e[] = "1x=3", f[] = "noequals", g[] = "x:DA'TE=1", h[] = "x:=1";
	struct dbx_param p;
	json_t *body;
	char *s;

	T_CHECK(dbx_param_parse(a, &p) == 0 && !strcmp(p.name, "d") && !strcmp(p.value, "2024-06-01") &&
	    p.type == NULL, "name=value");
	T_CHECK(dbx_param_parse(b, &p) == 0 && !strcmp(p.type, "DATE"), "name:TYPE=value");
	T_CHECK(dbx_param_parse(c, &p) == 0 && !strcmp(p.type, "DECIMAL(10, 2)") &&
	    !strcmp(p.value, "1.50"), "decimal type");
	T_CHECK(dbx_param_parse(d, &p) == 0 && !strcmp(p.value, "a=b:c"), "value keeps = and :");
	T_CHECK(dbx_param_parse(e, &p) == -1, "bad name");
	T_CHECK(dbx_param_parse(f, &p) == -1, "no =");
	T_CHECK(dbx_param_parse(g, &p) == -1, "bad type");
	T_CHECK(dbx_param_parse(h, &p) == -1, "empty type");

	p.name = "d";
	p.value = "2024-06-01";
	p.type = "DATE";
	body = dbx_statement_body("wh1", "SELECT :d", &p, 1, DBX_EXTERNAL_LINKS);
	s = json_dumps(body, JSON_COMPACT);
	T_STREQ(s, "{\"warehouse_id\":\"wh1\",\"statement\":\"SELECT :d\",\"parameters\":[{\"name\":\"d\","
	    "\"value\":\"2024-06-01\",\"type\":\"DATE\"}],\"wait_timeout\":\"5s\",\"on_wait_timeout\":"
	    "\"CONTINUE\",\"disposition\":\"EXTERNAL_LINKS\",\"format\":\"JSON_ARRAY\"}");
	free(s);
	json_decref(body);
}

static void
test_host(void)
{
	char *h;

	T_STREQ((h = dbx_host_normalize("dbc-1.cloud.databricks.com")), "https://dbc-1.cloud.databricks.com");
	free(h);
	T_STREQ((h = dbx_host_normalize("https://dbc-1.cloud.databricks.com/?o=1")), "https://dbc-1.cloud.databricks.com");
	free(h);
	T_STREQ((h = dbx_host_normalize("http://127.0.0.1:8080/")), "http://127.0.0.1:8080");
	free(h);
	T_CHECK(dbx_host_normalize("ftp://x") == NULL, "other scheme");
	T_CHECK(dbx_host_normalize("https://") == NULL, "no host");
	T_CHECK(dbx_host_normalize("https://user@evil/") == NULL, "userinfo");
}

static const char *vars[] = {
	"DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET",
	"DATABRICKS_CONFIG_PROFILE", "DATABRICKS_CONFIG_FILE", "DATABRICKS_WAREHOUSE_ID",
	"DATABRICKS_AUTH_TYPE", NULL,
};

static void
clearenv_dbx(void)
{
	int i;

	for (i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

static void
writefile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_CHECK(f != NULL, "create %s", path);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void
test_config(void)
{
	char home[] = "/tmp/dbx-test-XXXXXX", cfg[256], other[256], err[512];
	struct dbx d;
	int rc;

	T_CHECK(mkdtemp(home) != NULL, "mkdtemp");
	snprintf(cfg, sizeof cfg, "%s/.databrickscfg", home);
	snprintf(other, sizeof other, "%s/other.cfg", home);
	setenv("HOME", home, 1);
	clearenv_dbx();

	/* nothing at all */
	rc = dbx_config(&d, NULL, NULL, err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "no workspace host"), "no host: %d %s", rc, err);
	dbx_free(&d);

	writefile(cfg,
	    "[DEFAULT]\nhost = https://dflt.example.com/\ntoken = dapiDEFAULT\nwarehouse_id = whD\n\n"
	    "[sp]\nhost = sp.example.com\nclient_id = cid\nclient_secret = s#cret\n\n"
	    "[both]\nhost = b.example.com\ntoken = t\nclient_id = c\nclient_secret = s\nwarehouse_id = w\n\n"
	    "[forced]\nhost = b.example.com\ntoken = t\nclient_id = c\nclient_secret = s\n"
	    "auth_type = oauth-m2m\nwarehouse_id = w\n\n"
	    "[nowh]\nhost = n.example.com\ntoken = t\n");

	/* DEFAULT profile of ~/.databrickscfg */
	rc = dbx_config(&d, NULL, NULL, err, sizeof err);
	T_CHECK(rc == 0, "DEFAULT: %s", err);
	T_STREQ(d.host, "https://dflt.example.com");
	T_STREQ(d.token, "dapiDEFAULT");
	T_STREQ(d.warehouse, "whD");
	T_STREQ(d.auth, "pat");
	T_STREQ(d.profile, "DEFAULT");
	dbx_free(&d);

	/* -w beats DATABRICKS_WAREHOUSE_ID beats the profile */
	setenv("DATABRICKS_WAREHOUSE_ID", "whE", 1);
	rc = dbx_config(&d, NULL, NULL, err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.warehouse, "whE"), "env warehouse");
	dbx_free(&d);
	rc = dbx_config(&d, NULL, "whW", err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.warehouse, "whW"), "-w warehouse");
	dbx_free(&d);
	unsetenv("DATABRICKS_WAREHOUSE_ID");

	/* a named profile (-p), OAuth M2M, '#' kept in the secret; no inheritance from DEFAULT */
	rc = dbx_config(&d, "sp", NULL, err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "no SQL warehouse"), "sp has no warehouse: %s", err);
	dbx_free(&d);
	rc = dbx_config(&d, "sp", "w1", err, sizeof err);
	T_CHECK(rc == 0, "sp: %s", err);
	T_STREQ(d.auth, "oauth-m2m");
	T_STREQ(d.client_secret, "s#cret");
	T_STREQ(d.host, "https://sp.example.com");
	T_CHECK(d.token == NULL, "no token inherited from DEFAULT");
	dbx_free(&d);

	/* DATABRICKS_CONFIG_PROFILE, overridden by -p */
	setenv("DATABRICKS_CONFIG_PROFILE", "nowh", 1);
	rc = dbx_config(&d, NULL, "w", err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.host, "https://n.example.com"), "env profile");
	dbx_free(&d);
	rc = dbx_config(&d, "DEFAULT", NULL, err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.host, "https://dflt.example.com"), "-p wins over env profile");
	dbx_free(&d);
	unsetenv("DATABRICKS_CONFIG_PROFILE");

	/* a missing requested profile is an error */
	rc = dbx_config(&d, "nope", NULL, err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "no profile [nope]"), "missing profile: %s", err);
	dbx_free(&d);

	/* two auth methods without auth_type; auth_type settles it */
	rc = dbx_config(&d, "both", NULL, err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "more than one"), "ambiguous: %s", err);
	dbx_free(&d);
	rc = dbx_config(&d, "forced", NULL, err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.auth, "oauth-m2m"), "auth_type: %s", err);
	dbx_free(&d);

	/* environment host + token: the file is not read at all */
	setenv("DATABRICKS_HOST", "http://127.0.0.1:9999", 1);
	setenv("DATABRICKS_TOKEN", "dapiENV", 1);
	rc = dbx_config(&d, NULL, NULL, err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "warehouse"), "env only: no warehouse from the file");
	dbx_free(&d);
	rc = dbx_config(&d, NULL, "w", err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.host, "http://127.0.0.1:9999") && !strcmp(d.token, "dapiENV") &&
	    d.profile == NULL, "env only");
	dbx_free(&d);

	/* env values win over a requested profile's */
	rc = dbx_config(&d, "DEFAULT", NULL, err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.token, "dapiENV") && !strcmp(d.warehouse, "whD"),
	    "env over profile, profile fills the rest");
	dbx_free(&d);
	unsetenv("DATABRICKS_HOST");
	unsetenv("DATABRICKS_TOKEN");

	/* client id without a secret */
	setenv("DATABRICKS_HOST", "h.example.com", 1);
	setenv("DATABRICKS_CLIENT_ID", "cid", 1);
	rc = dbx_config(&d, NULL, "w", err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "client_secret"), "half of m2m: %s", err);
	dbx_free(&d);
	unsetenv("DATABRICKS_HOST");
	unsetenv("DATABRICKS_CLIENT_ID");

	/* DATABRICKS_CONFIG_FILE and [__settings__] default_profile */
	writefile(other, "[__settings__]\ndefault_profile = mine\n\n[mine]\nhost = mine.example.com\n"
	    "token = t2\nwarehouse_id = w2\n");
	setenv("DATABRICKS_CONFIG_FILE", other, 1);
	rc = dbx_config(&d, NULL, NULL, err, sizeof err);
	T_CHECK(rc == 0 && !strcmp(d.host, "https://mine.example.com") && !strcmp(d.profile, "mine"),
	    "config file and default_profile: %s", err);
	dbx_free(&d);
	setenv("DATABRICKS_CONFIG_FILE", "/nonexistent/cfg", 1);
	rc = dbx_config(&d, "x", NULL, err, sizeof err);
	T_CHECK(rc == EX_CONFIG && strstr(err, "/nonexistent/cfg"), "unreadable file: %s", err);
	dbx_free(&d);
	clearenv_dbx();

	unlink(cfg);
	unlink(other);
	rmdir(home);
}

int
main(void)
{
	test_values();
	test_rows();
	test_validation();
	test_sizing();
	test_params();
	test_host();
	test_config();
	T_DONE();
}
