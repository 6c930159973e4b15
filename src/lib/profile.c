/* profile.c: the profile SQL for Spark and Snowflake, and the exact comparison of profiles. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonl.h"
#include "profile.h"

/* Names the generated query gives its own columns; a Parquet column may not take them. */
#define PART_ALIAS "dbx2sf_partition"
#define MD5_ALIAS "dbx2sf_md5"

/* The row checksum's text: data-diff's NULL token and separator. */
#define NULL_TOKEN "<null>"
#define SEPARATOR "|"

/* Snowflake's longest identifier; a metric name is an identifier there. */
#define IDENT_MAX 255

static const char TS_SF[] = "YYYY-MM-DD HH24:MI:SS.FF6";

static int
is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* The type as a message shows it, e.g. "INT64 DECIMAL(18,2)", "INT64 TIMESTAMP(MICROS,utc)";
 * for groups the members follow, so that two files' groups compare whole. */
static char *
type_text(const json_t *col)
{
	const char *phys = json_str(col, "physical"), *log = json_str(col, "logical"), *unit = json_str(col, "unit");
	json_t *p = json_object_get(col, "precision"), *s = json_object_get(col, "scale");
	json_t *bits = json_object_get(col, "bits"), *len = json_object_get(col, "length");
	json_t *fields = json_object_get(col, "fields");
	struct buf b = { 0 };
	char *f;

	buf_addstr(&b, phys ? phys : "?");
	if (log)
		buf_printf(&b, " %s", log);
	if (json_is_integer(p) || json_is_integer(s))
		buf_printf(&b, "(%lld,%lld)", (long long)json_integer_value(p),
		    (long long)json_integer_value(s));
	if (unit)
		buf_printf(&b, "(%s%s)", unit, json_is_true(json_object_get(col, "utc")) ? ",utc" : "");
	if (json_is_integer(bits))
		buf_printf(&b, "(%lld,%s)", (long long)json_integer_value(bits),
		    json_is_false(json_object_get(col, "signed")) ? "unsigned" : "signed");
	if (json_is_integer(len))
		buf_printf(&b, "[%lld]", (long long)json_integer_value(len));
	if (is(json_str(col, "repetition"), "REPEATED"))
		buf_addstr(&b, " REPEATED");
	if (fields && (f = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS))) {
		buf_printf(&b, " %s", f);
		free(f);
	}
	return b.p ? b.p : estrdup("");
}

/* A column name the query can profile. */
static int
name_check(const char *name, char *err, size_t errlen)
{
	if (!*name || sql_has_control(name))
		return errf(err, errlen, "a column name that is empty or has control characters");
	if (is(name, PART_ALIAS) || is(name, MD5_ALIAS))
		return errf(err, errlen, "column \"%s\": the name is reserved for the profile query", name);
	if (strlen(name) + strlen(".nulls") > IDENT_MAX)
		return errf(err, errlen, "column \"%.40s...\": name too long for a metric name", name);
	return 0;
}

static int
col_init(struct profile_col *c, const json_t *col, char *err, size_t errlen)
{
	const char *name = json_str(col, "name"), *phys = json_str(col, "physical"), *log = json_str(col, "logical");
	json_t *lv = json_object_get(col, "logical"), *scale;
	json_t *utc = json_object_get(col, "utc");

	if (!json_is_object(col) || !name || !phys || (lv && !json_is_null(lv) && !log))
		return errf(err, errlen, "malformed schema element");
	if (name_check(name, err, errlen) < 0)
		return -1;
	memset(c, 0, sizeof *c);
	c->kind = PROFILE_NULLS_ONLY;
	if (is(json_str(col, "repetition"), "REPEATED") || is(phys, "GROUP") || is(log, "LIST") || is(log, "MAP")) {
		c->why = "nested: Snowflake holds it as VARIANT, whose JSON text is not Spark's";
	} else if (is(log, "STRING") || is(log, "ENUM")) {
		c->kind = PROFILE_STRING;
	} else if (is(log, "DECIMAL")) {
		scale = json_object_get(col, "scale");
		if (!json_is_integer(scale) || json_integer_value(scale) < 0 || json_integer_value(scale) > 38)
			return errf(err, errlen, "column \"%s\": DECIMAL without a scale of 0 to 38", name);
		c->kind = PROFILE_DECIMAL;
		c->scale = (int)json_integer_value(scale);
	} else if (is(log, "DATE")) {
		c->kind = PROFILE_DATE;
	} else if (is(log, "TIMESTAMP")) {
		if (!json_is_boolean(utc))
			return errf(err, errlen, "column \"%s\": TIMESTAMP without utc", name);
		c->kind = json_is_true(utc) ? PROFILE_TS_UTC : PROFILE_TS_NTZ;
	} else if (is(log, "INTEGER")) {
		c->kind = PROFILE_INT;
	} else if (is(log, "TIME")) {
		c->why = "TIME: Spark and Databricks have no TIME type";
	} else if (is(log, "UUID")) {
		c->why = "UUID: Spark reads it as binary, Snowflake loads it as text";
	} else if (is(log, "JSON") || is(log, "BSON")) {
		c->why = "JSON: Snowflake holds it as VARIANT, whose JSON text is not Spark's";
	} else if (is(log, "FLOAT16")) {
		c->why = "floating point: the engines print floats differently";
	} else if (log) {
		c->why = "a logical type without a common text form";
	} else if (is(phys, "BOOLEAN")) {
		c->kind = PROFILE_BOOL;
	} else if (is(phys, "INT32") || is(phys, "INT64")) {
		c->kind = PROFILE_INT;
	} else if (is(phys, "INT96")) {
		c->kind = PROFILE_TS_INT96;
	} else if (is(phys, "FLOAT") || is(phys, "DOUBLE")) {
		c->kind = PROFILE_FLOAT;
	} else if (is(phys, "BYTE_ARRAY") || is(phys, "FIXED_LEN_BYTE_ARRAY")) {
		c->kind = PROFILE_BINARY;
	} else {
		return errf(err, errlen, "column \"%s\": unknown physical type %s", name, phys);
	}
	c->name = estrdup(name);
	c->type = type_text(col);
	return 0;
}

static void
col_free(struct profile_col *c)
{
	free(c->name);
	free(c->type);
	free(c->from);
}

int
profile_add_schema(struct profile *p, const json_t *line, const char *where, char *err, size_t errlen)
{
	const json_t *schema = json_object_get(line, "schema"), *el;
	const char *url = json_str(line, "url");
	struct profile_col c, *cols;
	size_t i, j, n;
	char e[512];

	if (!json_is_array(schema) || json_array_size(schema) == 0)
		return errf(err, errlen, "%s: no schema (s3-ls-parquet lists it unless -n)", where);
	n = json_array_size(schema);
	if (p->first && n != p->ncols)
		return errf(err, errlen, "%s: %s: %zu columns, %zu in %s", where, url ? url : "file",
		    n, p->ncols, p->first);
	cols = p->first ? NULL : ecalloc(n, sizeof *cols);
	for (i = 0; i < n; i++) {
		el = json_array_get(schema, i);
		if (col_init(&c, el, e, sizeof e) < 0) {
			if (cols) {
				while (i > 0)
					col_free(&cols[--i]);
				free(cols);
			}
			return errf(err, errlen, "%s: %s: %s", where, url ? url : "file", e);
		}
		if (cols) {
			for (j = 0; j < i; j++)
				if (strcmp(cols[j].name, c.name) == 0)
					break;
			if (j < i) {
				errf(err, errlen, "%s: %s: column \"%s\" twice", where, url ? url : "file", c.name);
				col_free(&c);
				while (i > 0)
					col_free(&cols[--i]);
				free(cols);
				return -1;
			}
			cols[i] = c;
			continue;
		}
		if (strcmp(c.name, p->cols[i].name) != 0) {
			errf(err, errlen, "%s: %s: column %zu is \"%s\", \"%s\" in %s", where,
			    url ? url : "file", i + 1, c.name, p->cols[i].name, p->first);
			col_free(&c);
			return -1;
		}
		if (strcmp(c.type, p->cols[i].type) != 0) {
			errf(err, errlen, "%s: %s: column \"%s\": %s here, %s in %s", where,
			    url ? url : "file", c.name, c.type, p->cols[i].type, p->first);
			col_free(&c);
			return -1;
		}
		col_free(&c);
	}
	if (cols) {
		p->cols = cols;
		p->ncols = n;
		p->first = url ? esprintf("%s (%s)", where, url) : estrdup(where);
	}
	return 0;
}

int
profile_table_columns(struct profile *p, char *const *names, size_t n, const char *part_col,
    char *err, size_t errlen)
{
	struct profile_col *c;
	size_t i, j, k, nfile = p->ncols, ncase;
	char *used = ecalloc(n ? n : 1, 1);	/* 1: a file column reads it */

	for (i = 0; i < n; i++) {
		if (name_check(names[i], err, errlen) < 0)
			goto fail;
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				errf(err, errlen, "column \"%s\" twice in the table's columns", names[i]);
				goto fail;
			}
	}
	for (i = 0; i < nfile; i++) {
		c = &p->cols[i];
		for (j = 0; j < n && strcmp(c->name, names[j]) != 0; j++)
			;
		if (j < n) {
			used[j] = 1;
			continue;
		}
		for (j = ncase = 0, k = n; j < n; j++)
			if (strcasecmp(c->name, names[j]) == 0)
				ncase++, k = j;
		if (ncase > 1) {
			errf(err, errlen, "column \"%s\" of the files: not in the table, and %zu of its "
			    "columns differ from it only in case", c->name, ncase);
			goto fail;
		}
		if (!ncase) {
			errf(err, errlen, "column \"%s\" of the files: not in the table", c->name);
			goto fail;
		}
		free(c->from);
		c->from = estrdup(names[k]);
		used[k] = 1;
	}
	for (i = 0; i < n; i++) {
		if (used[i] || is(names[i], part_col))
			continue;
		p->cols = erealloc(p->cols, (p->ncols + 1) * sizeof *p->cols);
		c = &p->cols[p->ncols++];
		memset(c, 0, sizeof *c);
		c->name = estrdup(names[i]);
		c->kind = PROFILE_NULLS_ONLY;
		c->type = estrdup("(the table's only)");
		c->why = "not in the files: its null count only, which must equal the rows";
		c->absent = 1;
	}
	free(used);
	return 0;
fail:
	free(used);
	return -1;
}

void
profile_free(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->ncols; i++)
		col_free(&p->cols[i]);
	free(p->cols);
	free(p->first);
	memset(p, 0, sizeof *p);
}

/* ---- SQL ---- */

/* The engines' own casts print integers plainly. Names were checked for control bytes when
 * the schema was read, so sql_ident quotes them all. */
void
profile_text_sql(struct buf *b, const char *x, enum sql_dialect d)
{
	if (d == SQL_SPARK)
		buf_printf(b, "CAST(%s AS STRING)", x);
	else
		buf_printf(b, "TO_VARCHAR(%s)", x);
}

/*
 * The exact text of a double both engines print alike, since neither prints doubles the
 * other's way: NaN, inf, -inf, 0, -0 (0 for both zeros unless signed_zero), else
 * [-]m"p"q with m×2^q the value, q = max(e-52, -1074) for the binary exponent e (m < 2^53,
 * the IEEE significand). e is floor(log2|x|), corrected by one where the engine's log
 * rounded across a power of two; scaling by a power of two is exact, so m is. (For the
 * largest subnormals the correction may be off, but q is -1074 whatever it says.)
 */
static void
float_text(struct buf *b, const char *x, enum sql_dialect d, int signed_zero)
{
	struct buf v = { 0 }, g = { 0 }, l = { 0 }, q = { 0 };
	int spark = d == SQL_SPARK;
	const char *inf = spark ? "CAST('Infinity' AS DOUBLE)" : "CAST('inf' AS FLOAT)";

	buf_printf(&v, spark ? "CAST(%s AS DOUBLE)" : "CAST(%s AS FLOAT)", x);
	/* |x| where it has a logarithm, else 1: LOG errors on 0 in Snowflake. */
	buf_printf(&g, "CASE WHEN ABS(%s) > 0 AND ABS(%s) < %s THEN ABS(%s) ELSE 1 END", v.p, v.p, inf, v.p);
	/* Kept within the exponents of doubles: 2^l is then finite and not 0. */
	buf_printf(&l, spark ? "GREATEST(LEAST(FLOOR(LOG2(%s)), 1023), -1074)" :
	    "GREATEST(LEAST(FLOOR(LOG(2, %s)), 1023), -1074)", g.p);
	/* Both tests exact: a comparison, and a quotient in [0.5, 2^53) that needs no rounding. */
	buf_printf(&q, "GREATEST(%s - CASE WHEN %s < POWER(2, %s) THEN 1 "
	    "WHEN %s / POWER(2, %s) >= 2 THEN -1 ELSE 0 END - 52, -1074)", l.p, g.p, l.p, g.p, l.p);
	buf_printf(b, "CASE WHEN %s IS NULL THEN NULL", v.p);
	if (spark)
		buf_printf(b, " WHEN isnan(%s) THEN 'NaN'", v.p);
	else
		buf_printf(b, " WHEN %s = CAST('NaN' AS FLOAT) THEN 'NaN'", v.p);
	buf_printf(b, " WHEN %s = %s THEN 'inf' WHEN %s = -%s THEN '-inf'", v.p, inf, v.p, inf);
	if (signed_zero) {
		buf_printf(b, " WHEN %s = 0 THEN CASE WHEN ", v.p);
		profile_text_sql(b, v.p, d);
		buf_addstr(b, " LIKE '-%' THEN '-0' ELSE '0' END");
	} else {
		buf_printf(b, " WHEN %s = 0 THEN '0'", v.p);
	}
	buf_printf(b, spark ? " ELSE concat(CASE WHEN %s < 0 THEN '-' ELSE '' END, "
	    "CAST(CAST(%s / POWER(2, %s) AS BIGINT) AS STRING), 'p', CAST(CAST(%s AS BIGINT) AS STRING)) END" :
	    " ELSE CONCAT(CASE WHEN %s < 0 THEN '-' ELSE '' END, "
	    "TO_VARCHAR(CAST(%s / POWER(2, %s) AS NUMBER(38,0))), 'p', TO_VARCHAR(CAST(%s AS NUMBER(38,0)))) END",
	    v.p, g.p, q.p, q.p);
	buf_free(&v), buf_free(&g), buf_free(&l), buf_free(&q);
}

/*
 * The canonical text of expression x of column c's type, identical on both engines:
 * integers plain; decimals plain with exactly scale digits (Spark's CAST prints 1E-8, so
 * format_number without its grouping commas); booleans true/false; dates YYYY-MM-DD;
 * timestamps YYYY-MM-DD HH:MM:SS.ffffff of the UTC wall clock (instants) or of the stored wall
 * clock (NTZ), computed without the session time zone; binary upper-case hex; strings as is.
 */
void
profile_canon_sql(struct buf *b, const struct profile_col *c, const char *x, enum sql_dialect d)
{
	if (d == SQL_SPARK) {
		switch (c->kind) {
		case PROFILE_DECIMAL:
			buf_printf(b, "replace(format_number(%s, %d), ',', '')", x, c->scale);
			break;
		case PROFILE_TS_NTZ:
			/* date_format would pass through the session zone; CAST does not, but drops
			 * trailing zeros of the fraction: pad them back. */
			buf_printf(b, "rpad(CASE WHEN length(CAST(%s AS STRING)) = 19 "
			    "THEN concat(CAST(%s AS STRING), '.') ELSE CAST(%s AS STRING) END, 26, '0')", x, x, x);
			break;
		case PROFILE_TS_UTC:
		case PROFILE_TS_INT96:
			/* The UTC wall clock from the epoch microseconds: exact in every zone. */
			buf_printf(b, "concat(CAST(date_from_unix_date(CAST((unix_micros(%s) - "
			    "pmod(unix_micros(%s), 86400000000)) div 86400000000 AS INT)) AS STRING), ' ', "
			    "lpad(CAST(pmod(unix_micros(%s), 86400000000) div 3600000000 AS STRING), 2, '0'), ':', "
			    "lpad(CAST(pmod(unix_micros(%s), 3600000000) div 60000000 AS STRING), 2, '0'), ':', "
			    "lpad(CAST(pmod(unix_micros(%s), 60000000) div 1000000 AS STRING), 2, '0'), '.', "
			    "lpad(CAST(pmod(unix_micros(%s), 1000000) AS STRING), 6, '0'))", x, x, x, x, x, x);
			break;
		case PROFILE_STRING:
			buf_addstr(b, x);
			break;
		case PROFILE_BINARY:
			buf_printf(b, "hex(%s)", x);
			break;
		case PROFILE_FLOAT:
			float_text(b, x, d, 1);
			break;
		default:	/* BOOL, INT, DATE */
			profile_text_sql(b, x, d);
			break;
		}
		return;
	}
	/* The casts change nothing in Snowflake (the column has that type, or a lower precision);
	 * they tell a translator such as sqlglot that TO_VARCHAR formats a date or time. */
	switch (c->kind) {
	case PROFILE_DATE:
		buf_printf(b, "TO_VARCHAR(CAST(%s AS DATE), 'YYYY-MM-DD')", x);
		break;
	case PROFILE_TS_NTZ:
	case PROFILE_TS_INT96:	/* TIMESTAMP_NTZ(9) holding the UTC wall clock */
		buf_printf(b, "TO_VARCHAR(CAST(%s AS TIMESTAMP_NTZ), '%s')", x, TS_SF);
		break;
	case PROFILE_TS_UTC:
		buf_printf(b, "TO_VARCHAR(CONVERT_TIMEZONE('UTC', CAST(%s AS TIMESTAMP_LTZ)), '%s')", x, TS_SF);
		break;
	case PROFILE_STRING:
		buf_addstr(b, x);
		break;
	case PROFILE_BINARY:
		buf_printf(b, "HEX_ENCODE(%s)", x);
		break;
	case PROFILE_FLOAT:
		float_text(b, x, d, 1);
		break;
	default:	/* BOOL, INT, DECIMAL */
		profile_text_sql(b, x, d);
		break;
	}
}

/* The low 48 bits of the row's MD5 (its last 12 hex digits) as a DECIMAL(38,0). Spark has conv();
 * Snowflake's TO_NUMBER(…, 'XXXXXXXXXXXX') is not translated by the DuckDB stand-ins, so the
 * digits are read one by one with POSITION, which every engine has. */
void
profile_low48_sql(struct buf *b, const char *col, enum sql_dialect d)
{
	struct buf q = { 0 };
	static const char pow16[][16] = {
		"17592186044416", "1099511627776", "68719476736", "4294967296", "268435456",
		"16777216", "1048576", "65536", "4096", "256", "16", "1"
	};
	int i;

	sql_ident(&q, col, d);
	if (d == SQL_SPARK) {
		buf_printf(b, "CAST(conv(substr(%s, 21), 16, 10) AS DECIMAL(38,0))", q.p);
		buf_free(&q);
		return;
	}
	buf_addstr(b, "CAST(");
	for (i = 0; i < 12; i++)
		buf_printf(b, "%s(POSITION(SUBSTR(%s, %d, 1), '0123456789abcdef') - 1) * %s",
		    i ? "\n\t  + " : "", q.p, 21 + i, pow16[i]);
	buf_addstr(b, " AS NUMBER(38,0))");
	buf_free(&q);
}

void
profile_md5_sql(struct buf *b, const struct profile *p, const size_t *idx, size_t n, enum sql_dialect d)
{
	const struct profile_col *c;
	struct buf q = { 0 }, e = { 0 };
	size_t i, nsum = 0;

	buf_addstr(b, d == SQL_SPARK ? "md5(concat_ws('" SEPARATOR "'" : "MD5(CONCAT_WS('" SEPARATOR "'");
	for (i = 0; i < (idx ? n : p->ncols); i++) {
		c = &p->cols[idx ? idx[i] : i];
		if (c->kind == PROFILE_NULLS_ONLY)
			continue;
		buf_reset(&q), buf_reset(&e);
		sql_ident(&q, c->from ? c->from : c->name, d);
		profile_canon_sql(&e, c, q.p, d);
		buf_printf(b, ",\n\t    %s(%s, '" NULL_TOKEN "')", d == SQL_SPARK ? "coalesce" : "COALESCE", e.p);
		nsum++;
	}
	if (!nsum)	/* CONCAT_WS needs a second argument in Snowflake */
		buf_addstr(b, ", ''");
	buf_addstr(b, "))");
	buf_free(&q), buf_free(&e);
}

static void
metric(struct buf *b, const char *expr, const char *col, const char *name, enum sql_dialect d)
{
	char *alias = col ? esprintf("%s.%s", col, name) : estrdup(name);

	buf_printf(b, ",\n\t%s AS ", expr);
	sql_ident(b, alias, d);
	free(alias);
}

/* Digits of a decimal's scaled integer, padded to 40 (a DECIMAL(p,s) has at most
 * max(p, s + 1) <= 39), cut in two halves of SUM_DIGITS whose sums fit DECIMAL(38,0) for up to
 * 10^18 rows; each half carries the value's sign. */
#define SUM_DIGITS 20

static void
decimal_part(struct buf *b, const struct profile_col *c, const char *x, int high, enum sql_dialect d)
{
	struct buf t = { 0 };

	profile_canon_sql(&t, c, x, d);
	buf_printf(b, "SUM(CASE WHEN %s < 0 THEN -1 ELSE 1 END * CAST(%s(LPAD(REPLACE(REPLACE(%s, '-', ''), "
	    "'.', ''), %d, '0'), %d, %d) AS %s))", x, d == SQL_SPARK ? "substr" : "SUBSTR", t.p, 2 * SUM_DIGITS,
	    high ? 1 : SUM_DIGITS + 1, SUM_DIGITS, d == SQL_SPARK ? "DECIMAL(38,0)" : "NUMBER(38,0)");
	buf_free(&t);
}

static void
col_metrics(struct buf *b, const struct profile_col *c, enum sql_dialect d)
{
	struct buf q = { 0 }, e = { 0 }, x = { 0 }, m = { 0 };
	char name[32];

	sql_ident(&q, c->name, d);
	sql_ident(&m, MD5_ALIAS, d);
	/* The row's MD5 is never NULL, but is on the empty row of a date without rows. */
	buf_printf(&x, "COUNT(%s) - COUNT(%s)", m.p, q.p);
	profile_text_sql(&e, x.p, d);
	metric(b, e.p, c->name, "nulls", d);
	if (c->kind == PROFILE_NULLS_ONLY)
		goto out;
	if (c->kind == PROFILE_BOOL) {
		buf_reset(&e), buf_reset(&x);
		buf_printf(&x, "COUNT(CASE WHEN %s THEN 1 END)", q.p);
		profile_text_sql(&e, x.p, d);
		metric(b, e.p, c->name, "trues", d);
		goto out;
	}
	if (c->kind == PROFILE_FLOAT) {
		/* What min and max do not show: NaN sorts last but one NaN hides the rest, and
		 * -0 equals 0. Counted from the exact text. */
		struct buf v = { 0 };

		buf_printf(&v, d == SQL_SPARK ? "CAST(%s AS DOUBLE)" : "%s", q.p);
		buf_reset(&e), buf_reset(&x);
		buf_printf(&x, d == SQL_SPARK ? "COUNT(CASE WHEN isnan(%s) THEN 1 END)" :
		    "COUNT(CASE WHEN %s = CAST('NaN' AS FLOAT) THEN 1 END)", v.p);
		profile_text_sql(&e, x.p, d);
		metric(b, e.p, c->name, "nans", d);
		buf_reset(&e), buf_reset(&x);
		buf_printf(&x, "COUNT(CASE WHEN %s = 0 AND ", v.p);
		profile_text_sql(&x, v.p, d);
		buf_addstr(&x, " LIKE '-%' THEN 1 END)");
		profile_text_sql(&e, x.p, d);
		metric(b, e.p, c->name, "negzeros", d);
		buf_free(&v);
	}
	/* Strings and hex compare as text in both engines (byte order); the rest by value. */
	for (int max = 0; max < 2; max++) {
		buf_reset(&e), buf_reset(&x);
		if (c->kind == PROFILE_STRING) {
			buf_printf(&e, "%s(%s)", max ? "MAX" : "MIN", q.p);
		} else if (c->kind == PROFILE_BINARY) {
			profile_canon_sql(&x, c, q.p, d);
			buf_printf(&e, "%s(%s)", max ? "MAX" : "MIN", x.p);
		} else if (c->kind == PROFILE_FLOAT) {
			/* Which zero MIN returns among -0 and 0 is the engine's choice: "0". */
			buf_printf(&x, "%s(%s)", max ? "MAX" : "MIN", q.p);
			float_text(&e, x.p, d, 0);
		} else {
			buf_printf(&x, "%s(%s)", max ? "MAX" : "MIN", q.p);
			profile_canon_sql(&e, c, x.p, d);
		}
		metric(b, e.p, c->name, max ? "max" : "min", d);
	}
	if (c->kind == PROFILE_INT) {
		buf_reset(&e), buf_reset(&x);
		/* BIGINT sums wrap in Spark without ANSI mode: add up in DECIMAL(38,0). */
		buf_printf(&x, "SUM(CAST(%s AS %s))", q.p, d == SQL_SPARK ? "DECIMAL(38,0)" : "NUMBER(38,0)");
		profile_text_sql(&e, x.p, d);
		metric(b, e.p, c->name, "sum", d);
	} else if (c->kind == PROFILE_DECIMAL) {
		/* SUM of a DECIMAL(38,s) overflows at 10^(38-s): two exact integer sums instead,
		 * which parity-check adds up (profile_sums_combine). */
		for (int high = 1; high >= 0; high--) {
			buf_reset(&e), buf_reset(&x);
			decimal_part(&x, c, q.p, high, d);
			profile_text_sql(&e, x.p, d);
			snprintf(name, sizeof name, "sum.e%d", (high ? SUM_DIGITS : 0) - c->scale);
			metric(b, e.p, c->name, name, d);
		}
	}
out:
	buf_free(&q), buf_free(&e), buf_free(&x), buf_free(&m);
}

int
profile_version_valid(const char *s)
{
	size_t n = strspn(s, "0123456789");

	/* Digits, no leading zero, at most LLONG_MAX (19 digits, compared as text). */
	if (!n || s[n] || (n > 1 && s[0] == '0') || n > 19)
		return 0;
	return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

char *
profile_sql(const struct profile *p, enum sql_dialect d, const char *table, const char *part_col,
    char *const *dates, size_t ndates, char *err, size_t errlen)
{
	struct buf b = { 0 }, q = { 0 }, e = { 0 }, part = { 0 };
	size_t i;

	if (!p->ncols) {
		errf(err, errlen, "no columns");
		return NULL;
	}
	if (!sql_name_valid(table, d)) {
		errf(err, errlen, "%s: not a table name (db.schema.table, plain identifiers)", table);
		return NULL;
	}
	if (!*part_col || sql_has_control(part_col)) {
		errf(err, errlen, "partition column: empty or control characters");
		return NULL;
	}
	for (i = 0; i < ndates; i++)
		if (!sql_date_valid(dates[i])) {
			errf(err, errlen, "%s: not a date (YYYY-MM-DD)", dates[i]);
			return NULL;
		}
	if (p->version && d != SQL_SPARK) {
		errf(err, errlen, "VERSION AS OF %s: a Delta version, for Spark only", p->version);
		return NULL;
	}
	if (p->version && !profile_version_valid(p->version)) {
		errf(err, errlen, "%s: not a Delta version (0 to 2^63-1)", p->version);
		return NULL;
	}

	/* Outer query: one row per partition, every metric already text. With dates, the
	 * partitions come from the dates asked, so that a date without rows has its row too:
	 * counts 0, the rest NULL. */
	buf_addstr(&part, ndates ? "d." : "r.");
	sql_ident(&part, PART_ALIAS, d);
	buf_printf(&b, "SELECT\n\t%s AS ", part.p);
	sql_ident(&b, "partition", d);
	sql_ident(&q, MD5_ALIAS, d);
	buf_printf(&e, "COUNT(%s)", q.p);
	buf_reset(&q);
	profile_text_sql(&q, e.p, d);
	metric(&b, q.p, NULL, "rows", d);
	buf_reset(&e), buf_reset(&q);
	profile_low48_sql(&q, MD5_ALIAS, d);
	buf_printf(&e, "COALESCE(SUM(%s), 0)", q.p);
	buf_reset(&q);
	profile_text_sql(&q, e.p, d);
	metric(&b, q.p, NULL, "checksum", d);
	if (p->version) {
		buf_reset(&e);
		buf_printf(&e, "'%s'", p->version);
		metric(&b, e.p, NULL, "version", d);
	}
	for (i = 0; i < p->ncols; i++)
		col_metrics(&b, &p->cols[i], d);

	buf_addstr(&b, "\nFROM ");
	if (ndates) {
		buf_addstr(&b, "(");
		for (i = 0; i < ndates; i++) {
			buf_printf(&b, "%sSELECT '%s'", i ? " UNION ALL " : "", dates[i]);
			if (!i) {
				buf_addstr(&b, " AS ");
				sql_ident(&b, PART_ALIAS, d);
			}
		}
		buf_addstr(&b, ") AS d\nLEFT JOIN ");
	}
	/* Inner query: the columns, the partition's text and each row's MD5. */
	buf_addstr(&b, "(SELECT\n\t");
	for (i = 0; i < p->ncols; i++) {
		if (p->cols[i].from) {	/* a case-only rename: the table's column, the file's name */
			sql_ident(&b, p->cols[i].from, d);
			buf_addstr(&b, " AS ");
		}
		sql_ident(&b, p->cols[i].name, d);
		buf_addstr(&b, ",\n\t");
	}
	buf_reset(&q);
	sql_ident(&q, part_col, d);
	if (d == SQL_SPARK)
		buf_printf(&b, "CAST(CAST(%s AS DATE) AS STRING) AS ", q.p);
	else
		buf_printf(&b, "TO_VARCHAR(CAST(%s AS DATE), 'YYYY-MM-DD') AS ", q.p);
	sql_ident(&b, PART_ALIAS, d);
	buf_addstr(&b, ",\n\t");
	profile_md5_sql(&b, p, NULL, 0, d);
	buf_addstr(&b, " AS ");
	sql_ident(&b, MD5_ALIAS, d);
	buf_addstr(&b, "\n\tFROM ");
	sql_quote_name(&b, table, d);
	if (p->version)
		buf_printf(&b, " VERSION AS OF %s", p->version);
	if (ndates) {
		buf_printf(&b, "\n\tWHERE %s IN (", q.p);
		for (i = 0; i < ndates; i++)
			buf_printf(&b, "%sDATE '%s'", i ? ", " : "", dates[i]);
		buf_addstr(&b, ")");
	}
	buf_addstr(&b, ") AS r");
	if (ndates) {
		buf_addstr(&b, " ON r.");
		sql_ident(&b, PART_ALIAS, d);
		buf_printf(&b, " = %s", part.p);
	}
	buf_printf(&b, "\nGROUP BY %s\nORDER BY %s;\n", part.p, part.p);
	buf_free(&q), buf_free(&e), buf_free(&part);
	return b.p;
}

/* ---- comparison ---- */

int
profile_dec_norm(struct buf *out, const char *s)
{
	const char *p;
	char *digits;
	long exp = 0, pos;
	size_t n = 0, i, first, last;
	int neg = 0, frac = 0, esign = 1, ndig = 0;

	p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	digits = emalloc(strlen(s) + 1);
	pos = 0;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			digits[n++] = *p;
			if (!frac)
				pos++;
		} else if (*p == '.' && !frac) {
			frac = 1;
		} else {
			break;
		}
	}
	if (n == 0) {
		free(digits);
		return -1;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			esign = *p++ == '-' ? -1 : 1;
		for (; isdigit((unsigned char)*p); p++, ndig++) {
			exp = exp * 10 + (*p - '0');
			if (exp > 100000) {
				free(digits);
				return -1;
			}
		}
		if (!ndig) {
			free(digits);
			return -1;
		}
	}
	if (*p) {
		free(digits);
		return -1;
	}
	pos += esign * exp;	/* value = 0.digits × 10^pos */
	for (first = 0; first < n && digits[first] == '0'; first++)
		pos--;
	if (first == n) {
		buf_addstr(out, "0");
		free(digits);
		return 0;
	}
	for (last = n; digits[last - 1] == '0'; last--)
		;
	n = last - first;
	if (neg)
		buf_addstr(out, "-");
	if (pos <= 0) {
		buf_addstr(out, "0.");
		for (i = 0; i < (size_t)-pos; i++)
			buf_addstr(out, "0");
		buf_add(out, digits + first, n);
	} else if ((size_t)pos >= n) {
		buf_add(out, digits + first, n);
		for (i = n; i < (size_t)pos; i++)
			buf_addstr(out, "0");
	} else {
		buf_add(out, digits + first, (size_t)pos);
		buf_addstr(out, ".");
		buf_add(out, digits + first + pos, n - (size_t)pos);
	}
	free(digits);
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
profile_metric_numeric(const char *m)
{
	return is(m, "rows") || is(m, "checksum") || ends_with(m, ".nulls") || ends_with(m, ".trues") ||
	    ends_with(m, ".sum");
}

int
profile_value(const json_t *v, char **text)
{
	if (json_is_null(v)) {
		*text = NULL;
		return 0;
	}
	if (json_is_string(v)) {
		*text = estrdup(json_string_value(v));
		return 0;
	}
	if (json_is_integer(v)) {
		*text = esprintf("%lld", (long long)json_integer_value(v));
		return 0;
	}
	return -1;
}

int
profile_value_equal(const char *metric, const char *a, const char *b)
{
	struct buf na = { 0 }, nb = { 0 };
	int eq;

	if (!a || !b)
		return !a && !b;
	if (strcmp(a, b) == 0)
		return 1;
	/* A string column's min may hold a numeral: only plain ones ("1.50") are read as
	 * decimals there, so that "1e2" and "100" stay different strings. */
	if (!profile_metric_numeric(metric) && (!(ends_with(metric, ".min") || ends_with(metric, ".max")) ||
	    strpbrk(a, "eE") || strpbrk(b, "eE")))
		return 0;
	eq = profile_dec_norm(&na, a) == 0 && profile_dec_norm(&nb, b) == 0 && strcmp(na.p, nb.p) == 0;
	buf_free(&na), buf_free(&nb);
	return eq;
}

static json_t *
text_json(const json_t *v)
{
	char *t;
	json_t *j;

	if (profile_value(v, &t) < 0 || !t)
		return json_null();
	j = json_string(t);
	free(t);
	return j ? j : json_null();
}

static void
diff_one(json_t *out, const char *m, const json_t *s, const json_t *t, const char *files_rows)
{
	char *a = NULL, *b = NULL;
	json_t *d;
	int same;

	if (s)
		profile_value(s, &a);
	if (t)
		profile_value(t, &b);
	same = s && t && profile_value_equal(m, a, b);
	if (files_rows && is(m, "rows"))
		same = same && profile_value_equal(m, a, files_rows) && profile_value_equal(m, b, files_rows);
	free(a), free(b);
	if (same)
		return;
	d = json_pack("{s:s}", "metric", m);
	if (s)
		json_object_set_new(d, "source", text_json(s));
	if (t)
		json_object_set_new(d, "target", text_json(t));
	if (files_rows && is(m, "rows"))
		json_object_set_new(d, "files", json_string(files_rows));
	if (!s || !t)
		json_object_set_new(d, "absent", json_string(s ? "target" : "source"));
	json_array_append_new(out, d);
}

json_t *
profile_diff(const json_t *source, const json_t *target, const char *files_rows)
{
	json_t *out = json_array(), *v, *rows;
	const char *k;

	json_object_foreach((json_t *)source, k, v) {
		if (!is(k, "partition"))
			diff_one(out, k, v, json_object_get(target, k), files_rows);
	}
	json_object_foreach((json_t *)target, k, v) {
		if (is(k, "partition") || json_object_get(source, k))
			continue;
		/* A table column the files do not hold: all NULL, as many nulls as rows. */
		if (ends_with(k, ".nulls") && (rows = json_object_get(source, "rows")))
			diff_one(out, k, rows, v, NULL);
		else
			diff_one(out, k, NULL, v, files_rows);
	}
	return out;
}

/* ---- partial sums ---- */

/* Magnitudes are digit strings without leading zeros ("" is zero). */
static int
mag_cmp(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);

	return n != m ? (n < m ? -1 : 1) : strcmp(a, b);
}

/* a + b, or a - b when sub (then a >= b); a new string. */
static char *
mag_addsub(const char *a, const char *b, int sub)
{
	size_t n = strlen(a), m = strlen(b), len = (n > m ? n : m) + 1, i, k;
	char *r = emalloc(len + 1);
	int carry = 0, x;

	r[len] = '\0';
	for (i = 0; i < len; i++) {
		x = (i < n ? a[n - 1 - i] - '0' : 0);
		x = sub ? x - (i < m ? b[m - 1 - i] - '0' : 0) - carry : x + (i < m ? b[m - 1 - i] - '0' : 0) + carry;
		carry = sub ? x < 0 : x > 9;
		r[len - 1 - i] = (char)('0' + (sub ? (x + 10) % 10 : x % 10));
	}
	for (k = 0; r[k] == '0'; k++)
		;
	memmove(r, r + k, len + 1 - k);
	return r;
}

/* 1 if key is base".sum.e"K, K an integer of at most 1000 either way (then in *k). */
static int
part_of(const char *key, const char *base, size_t blen, long *k)
{
	char *end;

	if (strncmp(key, base, blen) != 0 || strncmp(key + blen, ".sum.e", 6) != 0 ||
	    !(isdigit((unsigned char)key[blen + 6]) || (key[blen + 6] == '-' && isdigit((unsigned char)key[blen + 7]))))
		return 0;
	errno = 0;
	*k = strtol(key + blen + 6, &end, 10);
	return !*end && !errno && *k >= -1000 && *k <= 1000;
}

/* One base's parts: the total, or -1 with err set. */
static int
sum_parts(json_t *line, const char *base, struct buf *out, int *isnull, char *err, size_t errlen)
{
	size_t blen = strlen(base), nparts = 0, nnull = 0, i;
	long k, kmin = LONG_MAX;
	char *acc = estrdup(""), *mag, *r;
	int neg = 0, pneg, c;
	const char *key;
	json_t *v;
	struct buf t = { 0 };

	json_object_foreach(line, key, v) {
		if (part_of(key, base, blen, &k) && k < kmin)
			kmin = k;
	}
	json_object_foreach(line, key, v) {
		if (!part_of(key, base, blen, &k))
			continue;
		nparts++;
		if (json_is_null(v)) {
			nnull++;
			continue;
		}
		buf_reset(&t);
		if (!json_is_string(v) && !json_is_integer(v))
			goto bad;
		if (json_is_integer(v))
			buf_printf(&t, "%lld", (long long)json_integer_value(v));
		else if (profile_dec_norm(&t, json_string_value(v)) < 0 || strchr(t.p, '.'))
			goto bad;
		pneg = t.p[0] == '-';
		mag = estrdup(t.p + pneg);
		if (strcmp(mag, "0") == 0) {
			free(mag);
			continue;
		}
		r = emalloc(strlen(mag) + (size_t)(k - kmin) + 1);
		memset(stpcpy(r, mag), '0', (size_t)(k - kmin));
		r[strlen(mag) + (size_t)(k - kmin)] = '\0';
		free(mag);
		if (pneg == neg || !*acc) {
			mag = mag_addsub(acc, r, 0);
			neg = pneg;
		} else if ((c = mag_cmp(acc, r)) >= 0) {
			mag = mag_addsub(acc, r, 1);
		} else {
			mag = mag_addsub(r, acc, 1);
			neg = pneg;
		}
		free(acc), free(r);
		acc = mag;
	}
	buf_free(&t);
	if (nnull && nnull < nparts) {
		free(acc);
		return errf(err, errlen, "\"%s.sum.e*\": some parts null, some not", base);
	}
	*isnull = nnull > 0;
	if (!*acc)
		neg = 0;
	if (neg)
		buf_addstr(out, "-");
	if (kmin >= 0) {
		buf_addstr(out, *acc ? acc : "0");
		for (k = 0; *acc && k < kmin; k++)
			buf_addstr(out, "0");
	} else {
		size_t n = strlen(acc), fd = (size_t)-kmin;

		if (n <= fd) {
			buf_addstr(out, "0.");
			for (i = n; i < fd; i++)
				buf_addstr(out, "0");
			buf_addstr(out, acc);
		} else {
			buf_add(out, acc, n - fd);
			buf_addstr(out, ".");
			buf_addstr(out, acc + n - fd);
		}
	}
	free(acc);
	return 0;
bad:
	buf_free(&t);
	free(acc);
	return errf(err, errlen, "\"%s\": a partial sum that is not an integer", key);
}

int
profile_sums_combine(json_t *line, char *err, size_t errlen)
{
	json_t *bases = json_object(), *v;
	const char *key, *p;
	struct buf sum = { 0 };
	char *base, *name;
	long k;
	int isnull = 0, rc = 0;
	void *tmp;

	json_object_foreach(line, key, v) {
		for (p = *key ? key + 1 : key; (p = strstr(p, ".sum.e")); p++)
			if (part_of(key, key, (size_t)(p - key), &k))
				break;
		if (p) {
			base = estrndup(key, (size_t)(p - key));
			json_object_set_new(bases, base, json_true());
			free(base);
		}
	}
	json_object_foreach(bases, key, v) {
		name = esprintf("%s.sum", key);
		if (json_object_get(line, name)) {
			rc = errf(err, errlen, "\"%s\" beside its partial sums", name);
		} else {
			buf_reset(&sum);
			buf_add(&sum, "", 0);
			if ((rc = sum_parts(line, key, &sum, &isnull, err, errlen)) == 0)
				json_object_set_new(line, name, isnull ? json_null() : json_string(sum.p));
		}
		free(name);
		if (rc < 0)
			break;
	}
	/* Drop the parts. */
	json_object_foreach_safe(bases, tmp, key, v) {
		const char *lk;
		json_t *lv;
		void *t2;
		size_t blen = strlen(key);

		json_object_foreach_safe(line, t2, lk, lv) {
			if (part_of(lk, key, blen, &k))
				json_object_del(line, lk);
		}
	}
	buf_free(&sum);
	json_decref(bases);
	return rc;
}
