#include "sql.h"
#include "t.h"

static const char *
quoted(int (*f)(struct buf *, const char *), const char *s)
{
	static struct buf b;

	buf_reset(&b);
	buf_add(&b, NULL, 0);
	return f(&b, s) == 0 ? b.p : NULL;
}

static int ident_sf(struct buf *b, const char *s) { return sql_quote_ident(b, s, SQL_SNOWFLAKE); }
static int ident_spark(struct buf *b, const char *s) { return sql_quote_ident(b, s, SQL_SPARK); }
static int name_sf(struct buf *b, const char *s) { return sql_quote_name(b, s, SQL_SNOWFLAKE); }

/* The checks dbx-export applies, once databricks.c's own copies (now gone). */
static void
dbx_export_checks(void)
{
	T_CHECK(sql_ident_plain("trip_date", SQL_SPARK), "identifier");
	T_CHECK(sql_ident_plain("_x9", SQL_SPARK), "leading underscore");
	T_CHECK(!sql_ident_plain("9x", SQL_SPARK), "leading digit");
	T_CHECK(!sql_ident_plain("a-b", SQL_SPARK), "hyphen");
	T_CHECK(!sql_ident_plain("a`b", SQL_SPARK), "backquote");
	T_CHECK(!sql_ident_plain("", SQL_SPARK), "empty");
	T_CHECK(sql_name_valid("trips", SQL_SPARK), "one part");
	T_CHECK(sql_name_valid("main.sales.trips", SQL_SPARK), "three parts");
	T_CHECK(!sql_name_valid("a.b.c.d", SQL_SPARK), "four parts");
	T_CHECK(!sql_name_valid("a..b", SQL_SPARK), "empty part");
	T_CHECK(!sql_name_valid(".a", SQL_SPARK), "leading dot");
	T_CHECK(!sql_name_valid("a.", SQL_SPARK), "trailing dot");
	T_CHECK(!sql_name_valid("a; DROP TABLE b", SQL_SPARK), "injection");
	T_CHECK(!sql_name_valid("", SQL_SPARK), "empty table");

	T_CHECK(sql_date_valid("2024-02-29"), "leap day");
	T_CHECK(sql_date_valid("2000-02-29"), "leap century");
	T_CHECK(!sql_date_valid("1900-02-29"), "not a leap century");
	T_CHECK(!sql_date_valid("2023-02-29"), "not a leap year");
	T_CHECK(!sql_date_valid("2024-04-31"), "April 31");
	T_CHECK(!sql_date_valid("2024-13-01"), "month 13");
	T_CHECK(!sql_date_valid("2024-00-10"), "month 0");
	T_CHECK(!sql_date_valid("2024-1-01"), "short month");
	T_CHECK(!sql_date_valid("2024-01-01'"), "quote");
	T_CHECK(sql_date_valid("2024-12-31"), "year end");
}

int
main(void)
{
	T_CHECK(sql_ident_plain("trip_date", SQL_SPARK), "plain");
	T_CHECK(sql_ident_plain("_x$1", SQL_SNOWFLAKE), "dollar in snowflake");
	T_CHECK(!sql_ident_plain("_x$1", SQL_SPARK), "no dollar in spark");
	T_CHECK(!sql_ident_plain("1abc", SQL_SPARK), "leading digit");
	T_CHECK(!sql_ident_plain("a b", SQL_SPARK), "blank");
	T_CHECK(!sql_ident_plain("", SQL_SPARK), "empty");
	T_CHECK(sql_name_valid("main.sales.trips", SQL_SPARK), "three parts");
	T_CHECK(!sql_name_valid("a.b.c.d", SQL_SPARK), "four parts");
	T_CHECK(!sql_name_valid("a..b", SQL_SPARK), "empty part");
	T_CHECK(!sql_name_valid("a.", SQL_SPARK), "trailing dot");
	T_CHECK(!sql_name_valid("t; drop table x", SQL_SNOWFLAKE), "injection");

	T_STREQ(quoted(ident_sf, "fare \"usd\""), "\"fare \"\"usd\"\"\"");
	T_STREQ(quoted(ident_spark, "a`b"), "`a``b`");
	T_CHECK(quoted(ident_sf, "a\nb") == NULL, "control byte refused");
	T_CHECK(quoted(ident_sf, "") == NULL, "empty identifier refused");
	T_STREQ(quoted(name_sf, "db.sch.trips"), "db.sch.trips");
	T_CHECK(quoted(name_sf, "db.sch.\"x\"") == NULL, "quoted part refused");
	T_STREQ(quoted(sql_quote_string, "it's a\\b"), "'it''s a\\\\b'");
	T_CHECK(quoted(sql_quote_string, "a\tb") == NULL, "tab refused in literal");

	T_CHECK(sql_date_valid("2024-02-29"), "leap day");
	T_CHECK(!sql_date_valid("2023-02-29"), "not a leap year");
	T_CHECK(!sql_date_valid("1900-02-29"), "century not leap");
	T_CHECK(sql_date_valid("2000-02-29"), "400 leap");
	T_CHECK(!sql_date_valid("2025-13-01"), "month 13");
	T_CHECK(!sql_date_valid("2025-11-31"), "Nov 31");
	T_CHECK(!sql_date_valid("2025-11-1"), "short");
	T_CHECK(!sql_date_valid("2025-11-15x"), "trailing");
	T_CHECK(!sql_date_valid("2025/11/15"), "slashes");
	dbx_export_checks();
	T_DONE();
}
