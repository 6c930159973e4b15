/* evolve_test.c: a date's files against the table's columns, every kind of change; the
 * statements -e add runs; the union of several files' schemas for --ddl. */
#include <stdlib.h>

#include "evolve.h"
#include "jsonl.h"
#include "schema.h"
#include "t.h"

static char err[512];

/* Parquet schema elements of s3-ls-parquet, by the Snowflake type they load as. */
#define I64(n)	"{\"name\":\"" n "\",\"physical\":\"INT64\",\"logical\":null}"
#define DEC(n, p, s) "{\"name\":\"" n "\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\"," \
	"\"precision\":" #p ",\"scale\":" #s "}"
#define STR(n)	"{\"name\":\"" n "\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\"}"
#define TS(n, u) "{\"name\":\"" n "\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\",\"unit\":\"" u "\",\"utc\":false}"
#define DT(n)	"{\"name\":\"" n "\",\"physical\":\"INT32\",\"logical\":\"DATE\"}"
/* DESC TABLE rows as sf-exec prints them. */
#define COL(n, t) "{\"name\":\"" n "\",\"type\":\"" t "\",\"kind\":\"COLUMN\",\"null?\":\"Y\"}"

static struct evolve e;

/* Classifies; the differences as "column:change:file type:table type" lines, or "ERR: …". */
static const char *
diffs(const char *schema, const char *table, const char *part)
{
	static struct buf b;
	json_t *s = json_loads(schema, 0, NULL), *t = json_loads(table, 0, NULL);
	size_t i;

	buf_reset(&b);
	buf_add(&b, NULL, 0);
	evolve_free(&e);
	if (!s || !t)
		return "bad test JSON";
	if (evolve_compare(&e, s, t, part, err, sizeof err) < 0) {
		buf_printf(&b, "ERR: %s", err);
	} else {
		for (i = 0; i < e.ndiff; i++) {
			const struct evolve_diff *d = &e.diff[i];

			buf_printf(&b, "%s%s%s%s:%s:%s:%s", i ? "\n" : "", d->column,
			    d->table_column && strcmp(d->table_column, d->column) ? ">" : "",
			    d->table_column && strcmp(d->table_column, d->column) ? d->table_column : "",
			    evolve_change_name(d->change), d->file_type ? d->file_type : "-",
			    d->table_type ? d->table_type : "-");
		}
	}
	json_decref(s);
	json_decref(t);
	return b.p;
}

static void
test_type_change(void)
{
	T_CHECK(evolve_type_change("NUMBER(38,0)", "NUMBER(38,0)") == EVOLVE_SAME, "same NUMBER");
	T_CHECK(evolve_type_change("NUMBER(10,2)", "NUMBER(18,2)") == EVOLVE_SAME, "narrower file fits");
	T_CHECK(evolve_type_change("NUMBER(10,2)", "NUMBER(12,4)") == EVOLVE_SAME, "fewer fraction digits fit");
	T_CHECK(evolve_type_change("NUMBER(18,2)", "NUMBER(10,2)") == EVOLVE_WIDENED, "precision up, same scale");
	T_CHECK(evolve_type_change("NUMBER(10,4)", "NUMBER(10,2)") == EVOLVE_NARROWED, "scale up");
	T_CHECK(evolve_type_change("NUMBER(10,2)", "NUMBER(10,4)") == EVOLVE_NARROWED, "integer digits lost");
	T_CHECK(evolve_type_change("NUMBER(38,0)", "INT") == EVOLVE_SAME, "INT is NUMBER(38,0)");
	T_CHECK(evolve_type_change("NUMBER(38,0)", "DECIMAL") == EVOLVE_SAME, "DECIMAL is NUMBER(38,0)");
	T_CHECK(evolve_type_change("VARCHAR", "VARCHAR(16777216)") == EVOLVE_SAME, "VARCHAR is its maximum");
	T_CHECK(evolve_type_change("VARCHAR", "TEXT") == EVOLVE_SAME, "TEXT");
	T_CHECK(evolve_type_change("VARCHAR", "VARCHAR(50)") == EVOLVE_WIDENED, "longer VARCHAR");
	T_CHECK(evolve_type_change("VARCHAR(20)", "STRING") == EVOLVE_SAME, "shorter VARCHAR fits");
	T_CHECK(evolve_type_change("VARCHAR", "NUMBER(38,0)") == EVOLVE_INCOMPATIBLE, "VARCHAR vs NUMBER");
	T_CHECK(evolve_type_change("NUMBER(38,0)", "VARCHAR(16777216)") == EVOLVE_INCOMPATIBLE, "NUMBER vs VARCHAR");
	T_CHECK(evolve_type_change("DATE", "TIMESTAMP_NTZ(9)") == EVOLVE_INCOMPATIBLE, "DATE vs TIMESTAMP");
	T_CHECK(evolve_type_change("TIMESTAMP_NTZ(6)", "TIMESTAMP_NTZ(9)") == EVOLVE_SAME, "fewer fraction digits");
	T_CHECK(evolve_type_change("TIMESTAMP_NTZ(9)", "TIMESTAMP_NTZ(6)") == EVOLVE_NARROWED, "nanoseconds lost");
	T_CHECK(evolve_type_change("TIMESTAMP_NTZ(6)", "TIMESTAMP_LTZ(9)") == EVOLVE_INCOMPATIBLE, "NTZ vs LTZ");
	T_CHECK(evolve_type_change("TIMESTAMP_NTZ(6)", "DATETIME") == EVOLVE_SAME, "DATETIME");
	T_CHECK(evolve_type_change("FLOAT", "DOUBLE") == EVOLVE_SAME, "DOUBLE is FLOAT");
	T_CHECK(evolve_type_change("BINARY", "BINARY(8388608)") == EVOLVE_SAME, "BINARY");
	T_CHECK(evolve_type_change("BINARY", "BINARY(16)") == EVOLVE_NARROWED, "BINARY length is not widened");
	T_CHECK(evolve_type_change("VARIANT", "VARIANT") == EVOLVE_SAME, "VARIANT");
	T_CHECK(evolve_type_change("VARIANT", "OBJECT") == EVOLVE_INCOMPATIBLE, "VARIANT vs OBJECT");
	T_CHECK(evolve_type_change("BOOLEAN", "boolean") == EVOLVE_SAME, "case of the type");
}

static void
test_compare(void)
{
	/* same: nothing */
	T_STREQ(diffs("[" I64("id") "," DEC("fare", 10, 2) "," STR("zone") "]",
	    "[" COL("id", "NUMBER(38,0)") "," COL("fare", "NUMBER(10,2)") "," COL("zone", "VARCHAR(16777216)") ","
	    COL("date", "DATE") "]", "date"), "");
	T_CHECK(e.ndiff == 0 && !e.stops && !e.alters, "same: no difference");
	/* fits: an older, narrower file into a widened table */
	T_STREQ(diffs("[" I64("id") "," DEC("fare", 10, 2) "]",
	    "[" COL("id", "NUMBER(38,0)") "," COL("fare", "NUMBER(18,2)") "," COL("date", "DATE") "]", "date"), "");
	/* added */
	T_STREQ(diffs("[" I64("id") "," DEC("tip", 10, 2) "]", "[" COL("id", "NUMBER(38,0)") "]", NULL),
	    "tip:added:NUMBER(10,2):-");
	T_CHECK(e.alters && !e.stops, "added: alters, does not stop");
	/* dropped, the partition column excepted */
	T_STREQ(diffs("[" I64("id") "]", "[" COL("id", "NUMBER(38,0)") "," COL("old", "VARCHAR(16777216)") ","
	    COL("date", "DATE") "]", "date"), "old:dropped:-:VARCHAR(16777216)");
	T_CHECK(!e.alters && !e.stops, "dropped: neither alters nor stops");
	/* without -p the table's date column is dropped like any other */
	T_STREQ(diffs("[" I64("id") "]", "[" COL("id", "NUMBER(38,0)") "," COL("date", "DATE") "]", NULL),
	    "date:dropped:-:DATE");
	/* widened decimal, longer VARCHAR */
	T_STREQ(diffs("[" DEC("fare", 18, 2) "," STR("zone") "]",
	    "[" COL("fare", "NUMBER(10,2)") "," COL("zone", "VARCHAR(50)") "]", NULL),
	    "fare:widened:NUMBER(18,2):NUMBER(10,2)\nzone:widened:VARCHAR:VARCHAR(50)");
	T_CHECK(e.alters && !e.stops, "widened: alters");
	/* case-only rename */
	T_STREQ(diffs("[" I64("Fare") "]", "[" COL("fare", "NUMBER(38,0)") "]", NULL),
	    "Fare>fare:renamed:NUMBER(38,0):NUMBER(38,0)");
	T_CHECK(!e.alters && !e.stops, "renamed: neither alters nor stops");
	/* an exact match wins over a case-only one; two case-only candidates are no rename */
	T_STREQ(diffs("[" I64("fare") "," I64("Fare") "]", "[" COL("fare", "NUMBER(38,0)") "]", NULL),
	    "Fare:added:NUMBER(38,0):-");
	T_STREQ(diffs("[" I64("Fare") "]", "[" COL("fare", "NUMBER(38,0)") "," COL("FARE", "NUMBER(38,0)") "]", NULL),
	    "Fare:added:NUMBER(38,0):-\nfare:dropped:-:NUMBER(38,0)\nFARE:dropped:-:NUMBER(38,0)");
	/* a rename and a widening at once: classified by the type, the table's name kept */
	T_STREQ(diffs("[" DEC("Fare", 18, 2) "]", "[" COL("fare", "NUMBER(10,2)") "]", NULL),
	    "Fare>fare:widened:NUMBER(18,2):NUMBER(10,2)");
	/* narrowed: a scale change */
	T_STREQ(diffs("[" DEC("fare", 12, 4) "]", "[" COL("fare", "NUMBER(12,2)") "]", NULL),
	    "fare:narrowed:NUMBER(12,4):NUMBER(12,2)");
	T_CHECK(e.stops, "narrowed stops");
	T_STREQ(diffs("[" TS("t", "NANOS") "]", "[" COL("t", "TIMESTAMP_NTZ(6)") "]", NULL),
	    "t:narrowed:TIMESTAMP_NTZ(9):TIMESTAMP_NTZ(6)");
	/* incompatible: VARCHAR vs NUMBER, DATE vs TIMESTAMP */
	T_STREQ(diffs("[" STR("code") "," DT("day") "]",
	    "[" COL("code", "NUMBER(38,0)") "," COL("day", "TIMESTAMP_NTZ(9)") "]", NULL),
	    "code:incompatible:VARCHAR:NUMBER(38,0)\nday:incompatible:DATE:TIMESTAMP_NTZ(9)");
	T_CHECK(e.stops, "incompatible stops");
	/* rows that are not columns are skipped; a row without a type is refused */
	T_STREQ(diffs("[" I64("id") "]", "[" COL("id", "NUMBER(38,0)") ","
	    "{\"name\":\"v\",\"type\":\"NUMBER(38,0)\",\"kind\":\"VIRTUAL_COLUMN\"}]", NULL), "");
	T_STREQ(diffs("[" I64("id") "]", "[{\"name\":\"id\"}]", NULL), "ERR: DESC TABLE row 1: no name or type");
	T_STREQ(diffs("[{\"name\":\"h\",\"physical\":\"INT32\",\"logical\":\"FLOAT16\"}]", "[]", NULL),
	    "ERR: column \"h\": Parquet INT32 FLOAT16 has no Snowflake type");
}

static void
test_sql(void)
{
	char *s;
	json_t *r;

	diffs("[" I64("id") "," DEC("Fare", 18, 2) "," STR("new col") "," I64("Zone") "]",
	    "[" COL("id", "NUMBER(38,0)") "," COL("fare", "NUMBER(10,2)") "," COL("zone", "NUMBER(38,0)") ","
	    COL("gone", "DATE") "]", NULL);
	s = evolve_sql(&e, "db.s.trips", err, sizeof err);
	T_STREQ(s, "ALTER TABLE db.s.trips ALTER COLUMN \"fare\" SET DATA TYPE NUMBER(18,2);\n"
	    "ALTER TABLE db.s.trips ADD COLUMN IF NOT EXISTS \"new col\" VARCHAR;\n");
	free(s);
	r = evolve_renames(&e);
	T_CHECK(r && json_object_size(r) == 2 && strcmp(json_str(r, "Fare"), "fare") == 0 &&
	    strcmp(json_str(r, "Zone"), "zone") == 0, "renames: Fare and Zone");
	json_decref(r);
	T_CHECK(evolve_sql(&e, "trips; DROP TABLE x", err, sizeof err) == NULL, "a bad table name is refused");
	diffs("[" I64("id") "]", "[" COL("id", "NUMBER(38,0)") "," COL("gone", "DATE") "]", NULL);
	s = evolve_sql(&e, "trips", err, sizeof err);
	T_STREQ(s, "");
	free(s);
	T_CHECK(evolve_renames(&e) == NULL, "no renames");
}

/* One s3-ls-parquet line of the given schema. */
static json_t *
line(const char *key, const char *schema)
{
	char *s = esprintf("{\"url\":\"s3://land/t/%s\",\"partition\":{\"date\":\"%s\"},\"rows\":1,\"schema\":%s}",
	    key, key, schema);
	json_t *o = json_loads(s, 0, NULL);

	free(s);
	return o;
}

static int
add(struct load *l, const char *key, const char *schema)
{
	json_t *o = line(key, schema);
	int rc = load_add(l, o, key, err, sizeof err);

	json_decref(o);
	return rc;
}

static void
test_union(void)
{
	struct load l = { .table = "db.s.trips", .part_col = "date", .ddl = 1, .merge = 1 };
	char *ddl;

	T_CHECK(add(&l, "2025-11-01", "[" I64("id") "," DEC("fare", 10, 2) "," STR("gone") "]") == 0, "first");
	T_CHECK(add(&l, "2025-11-02", "[" I64("id") "," DEC("fare", 18, 2) "]") == 0, "widened: %s", err);
	T_CHECK(add(&l, "2025-11-03", "[" I64("id") "," DEC("fare", 12, 2) "," DEC("tip", 8, 2) "]") == 0,
	    "added, narrower: %s", err);
	T_CHECK(add(&l, "2025-11-04", "[" DEC("tip", 10, 4) "," I64("id") "]") == 0, "tip widened both ways: %s", err);
	/* a case-only rename is the same column, under the name first seen */
	T_CHECK(add(&l, "2025-11-05", "[" DEC("Fare", 20, 2) "," STR("GONE") "]") == 0, "renamed: %s", err);
	ddl = load_ddl(&l, 0, err, sizeof err);
	T_STREQ(ddl, "CREATE TABLE db.s.trips (\n  \"id\" NUMBER(38,0),\n  \"fare\" NUMBER(20,2),\n"
	    "  \"gone\" VARCHAR,\n  \"tip\" NUMBER(10,4),\n  \"date\" DATE\n);\n");
	free(ddl);
	T_CHECK(add(&l, "2025-11-07", "[" DEC("fare", 18, 4) "]") < 0, "neither holds the other");
	T_STREQ(err, "2025-11-07: s3://land/t/2025-11-07: column \"fare\" is NUMBER(18,4) here, NUMBER(20,2) in the "
	    "files before: neither type holds the other (narrowed)");
	T_CHECK(add(&l, "2025-11-06", "[" STR("id") "]") < 0, "incompatible");
	T_STREQ(err, "2025-11-06: s3://land/t/2025-11-06: column \"id\" is VARCHAR here, NUMBER(38,0) in the "
	    "files before: neither type holds the other (incompatible)");
	load_free(&l);

	/* without merge (a load, or -P) a differing schema is refused as before */
	l = (struct load){ .table = "db.s.trips", .part_col = "date", .ddl = 1 };
	T_CHECK(add(&l, "2025-11-01", "[" I64("id") "]") == 0, "first");
	T_CHECK(add(&l, "2025-11-02", "[" I64("id") "," I64("x") "]") < 0, "no merge: refused");
	load_free(&l);
}

int
main(void)
{
	test_type_change();
	test_compare();
	test_sql();
	test_union();
	evolve_free(&e);
	T_DONE();
}
