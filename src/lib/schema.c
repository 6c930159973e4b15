/* schema.c: the Parquet to Snowflake type map, CREATE TABLE and the load request. */
#include <errno.h>
#include <limits.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evolve.h"
#include "jsonl.h"
#include "schema.h"
#include "sql.h"

/* err, prefixed with where the trouble is. */
static int
prefixed(char *err, size_t errlen, const char *where)
{
	char e[512];

	snprintf(e, sizeof e, "%s", err);
	return errf(err, errlen, "%s: %s", where, e);
}

/* A column name as a message shows it: one line, not too long. */
static const char *
shown(char d[64], const char *name)
{
	size_t i;

	for (i = 0; name[i] && i < 59; i++)
		d[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	strcpy(d + i, name[i] ? "..." : "");
	return d;
}

static int
is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* TIME and TIMESTAMP: the fraction digits of the unit. */
static int
unit_digits(const json_t *col)
{
	const char *u = json_str(col, "unit");

	return is(u, "MILLIS") ? 3 : is(u, "MICROS") ? 6 : is(u, "NANOS") ? 9 : -1;
}

int
schema_sf_type(struct buf *out, const json_t *col, char *err, size_t errlen)
{
	const char *name = json_str(col, "name"), *phys = json_str(col, "physical"), *log = json_str(col, "logical");
	json_t *lv = json_object_get(col, "logical");
	char d[64];
	int n;

	if (!name || !phys || (lv && !json_is_null(lv) && !log))
		return errf(err, errlen, "malformed schema element");
	shown(d, name);
	/* A repeated column without a LIST annotation (older writers) is an array all the same. */
	if (is(json_str(col, "repetition"), "REPEATED") || is(phys, "GROUP")) {
		buf_addstr(out, "VARIANT");
		return 0;
	}
	if (log) {
		if (is(log, "STRING") || is(log, "ENUM") || is(log, "UUID")) {
			buf_addstr(out, "VARCHAR");
		} else if (is(log, "INTEGER")) {
			buf_addstr(out, "NUMBER(38,0)");
		} else if (is(log, "DECIMAL")) {
			json_t *p = json_object_get(col, "precision"), *s = json_object_get(col, "scale");
			json_int_t pv = json_integer_value(p), sv = json_integer_value(s);

			if (!json_is_integer(p) || !json_is_integer(s) || pv < 1 || sv < 0 || sv > pv)
				return errf(err, errlen, "column \"%s\": DECIMAL without a valid precision and scale", d);
			if (pv > 38)
				return errf(err, errlen, "column \"%s\": DECIMAL(%lld,%lld) is wider than Snowflake's NUMBER(38)",
				    d, (long long)pv, (long long)sv);
			buf_printf(out, "NUMBER(%lld,%lld)", (long long)pv, (long long)sv);
		} else if (is(log, "DATE")) {
			buf_addstr(out, "DATE");
		} else if (is(log, "TIME") || is(log, "TIMESTAMP")) {
			json_t *utc = json_object_get(col, "utc");

			if ((n = unit_digits(col)) < 0)
				return errf(err, errlen, "column \"%s\": %s without a unit", d, log);
			if (is(log, "TIME"))
				buf_printf(out, "TIME(%d)", n);
			else if (json_is_boolean(utc))
				buf_printf(out, "TIMESTAMP_%s(%d)", json_is_true(utc) ? "LTZ" : "NTZ", n);
			else
				return errf(err, errlen, "column \"%s\": TIMESTAMP without utc", d);
		} else if (is(log, "JSON") || is(log, "LIST") || is(log, "MAP")) {
			buf_addstr(out, "VARIANT");
		} else {
			return errf(err, errlen, "column \"%s\": Parquet %s %s has no Snowflake type", d, phys, log);
		}
		return 0;
	}
	if (is(phys, "BOOLEAN"))
		buf_addstr(out, "BOOLEAN");
	else if (is(phys, "INT32") || is(phys, "INT64"))
		buf_addstr(out, "NUMBER(38,0)");
	else if (is(phys, "INT96"))
		buf_addstr(out, "TIMESTAMP_NTZ(9)");
	else if (is(phys, "FLOAT") || is(phys, "DOUBLE"))
		buf_addstr(out, "FLOAT");
	else if (is(phys, "BYTE_ARRAY") || is(phys, "FIXED_LEN_BYTE_ARRAY"))
		buf_addstr(out, "BINARY");
	else
		return errf(err, errlen, "column \"%s\": unknown Parquet type %s", d, phys);
	return 0;
}

int
schema_sf_select(struct buf *out, const json_t *col, char *err, size_t errlen)
{
	struct buf t = {0};
	const char *name = json_str(col, "name");
	int json = is(json_str(col, "logical"), "JSON") && !is(json_str(col, "repetition"), "REPEATED");
	char d[64];

	buf_add(&t, NULL, 0);
	if (schema_sf_type(&t, col, err, errlen) < 0) {
		buf_free(&t);
		return -1;
	}
	/* A JSON column's text is parsed, whatever form the reader hands it over in. */
	buf_addstr(out, json ? "PARSE_JSON($1:" : "$1:");
	if (sql_quote_ident(out, name, SQL_SNOWFLAKE) < 0) {
		buf_free(&t);
		return errf(err, errlen, "column \"%s\": control characters in the name", shown(d, name));
	}
	buf_printf(out, json ? "::VARCHAR)" : "::%s", t.p);
	buf_free(&t);
	return 0;
}

/* A JSON number or a decimal string (s3-ls-parquet prints counts past 2^53 as strings). */
static int
count_of(const json_t *v, long long *n)
{
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*n = json_integer_value(v);
		return *n >= 0 ? 0 : -1;
	}
	if (!(s = json_string_value(v)) || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*n = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static const json_t *
column_named(const json_t *schema, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(schema, i, c)
		if (is(json_str(c, "name"), name))
			return c;
	return NULL;
}

/* The file's schema against the first file's, column by column, by name and Snowflake type. */
static int
schema_same(const struct load *l, const json_t *schema, const char *where, char *err, size_t errlen)
{
	const char *first = l->files[0].url;
	struct buf a = {0}, b = {0};
	const json_t *c, *o;
	size_t i;
	char d[64];
	int rc = 0;

	json_array_foreach(schema, i, c) {
		const char *name = json_str(c, "name");

		if (!name) {
			rc = errf(err, errlen, "%s: malformed schema", where);
			break;
		}
		if (!(o = column_named(l->schema, name))) {
			rc = errf(err, errlen, "%s: column \"%s\" is not in %s", where, shown(d, name), first);
			break;
		}
		buf_reset(&a);
		buf_reset(&b);
		if (schema_sf_type(&a, c, err, errlen) < 0 || schema_sf_type(&b, o, err, errlen) < 0) {
			rc = prefixed(err, errlen, where);
			break;
		}
		if (strcmp(a.p, b.p) != 0) {
			rc = errf(err, errlen, "%s: column \"%s\" is %s here, %s in %s", where, shown(d, name),
			    a.p, b.p, first);
			break;
		}
	}
	buf_free(&a);
	buf_free(&b);
	if (rc)
		return rc;
	json_array_foreach(l->schema, i, o)
		if (!column_named(schema, json_str(o, "name")))
			return errf(err, errlen, "%s: column \"%s\" of %s is missing", where,
			    shown(d, json_str(o, "name")), first);
	return 0;
}

/* The one column of the union whose name differs from name by case only and that no column
 * of the file names exactly (a case-only rename, as evolve.h matches them); else NULL. */
static const json_t *
column_case_only(const json_t *un, const json_t *schema, const char *name)
{
	const json_t *c, *found = NULL;
	size_t i;

	json_array_foreach(un, i, c) {
		const char *n = json_str(c, "name");

		if (n && strcasecmp(n, name) == 0 && !column_named(schema, n)) {
			if (found)
				return NULL;
			found = c;
		}
	}
	return found;
}

/* --ddl over several files: the file's schema added to the union held in l->schema. */
static int
schema_merge(struct load *l, const json_t *schema, const char *where, char *err, size_t errlen)
{
	struct buf a = {0}, b = {0};
	const json_t *c, *o;
	size_t i, k;
	char d[64];
	int rc = 0;

	json_array_foreach(schema, i, c) {
		const char *name = json_str(c, "name");
		enum evolve_change ch;

		buf_reset(&a);
		buf_add(&a, NULL, 0);
		if (!name) {
			rc = errf(err, errlen, "%s: malformed schema", where);
			break;
		}
		if (schema_sf_type(&a, c, err, errlen) < 0) {
			rc = prefixed(err, errlen, where);
			break;
		}
		if (!(o = column_named(l->schema, name)) && !(o = column_case_only(l->schema, schema, name))) {
			json_array_append(l->schema, (json_t *)c);
			continue;
		}
		buf_reset(&b);
		buf_add(&b, NULL, 0);
		if (schema_sf_type(&b, o, err, errlen) < 0) {
			rc = prefixed(err, errlen, where);
			break;
		}
		/* the union's type holds both: keep it, or take this file's if it holds the union's */
		if ((ch = evolve_type_change(a.p, b.p)) == EVOLVE_SAME)
			continue;
		if (ch != EVOLVE_WIDENED && evolve_type_change(b.p, a.p) != EVOLVE_SAME) {
			rc = errf(err, errlen, "%s: column \"%s\" is %s here, %s in the files before: "
			    "neither type holds the other (%s)", where, shown(d, name), a.p, b.p, evolve_change_name(ch));
			break;
		}
		/* this file's type, under the name first seen */
		for (k = 0; k < json_array_size(l->schema); k++) {
			if (json_array_get(l->schema, k) == o) {
				json_t *n = json_copy((json_t *)c);

				json_object_set(n, "name", json_object_get(o, "name"));
				json_array_set_new(l->schema, k, n);
			}
		}
	}
	buf_free(&a);
	buf_free(&b);
	return rc;
}

int
load_add(struct load *l, json_t *line, const char *where, char *err, size_t errlen)
{
	const char *url = json_str(line, "url"), *value = NULL;
	json_t *schema = json_object_get(line, "schema");
	struct load_file *f;
	struct buf t = {0};
	long long rows;
	size_t i;
	char w[512];
	json_t *c;

	if (!url)
		return errf(err, errlen, "%s: no url", where);
	snprintf(w, sizeof w, "%s: %s", where, url);
	if (count_of(json_object_get(line, "rows"), &rows) < 0 || !json_is_array(schema))
		return errf(err, errlen, "%s: no footer rows or schema (s3-ls-parquet -F leaves them out)", w);
	if (l->stage_url && strncmp(url, l->stage_url, strlen(l->stage_url)) != 0)
		return errf(err, errlen, "%s: not under the stage URL %s", w, l->stage_url);
	if (l->stage_url && url[strlen(l->stage_url)] == '\0')
		return errf(err, errlen, "%s: not a file under the stage URL", w);
	if (rows > LLONG_MAX - l->rows)
		return errf(err, errlen, "%s: the row counts add up past 2^63", w);
	for (i = 0; i < l->nfiles; i++)
		if (strcmp(l->files[i].url, url) == 0)
			return errf(err, errlen, "%s: listed twice (also %s)", w, l->files[i].where);
	if (l->part_col) {
		const char *key = l->part_key ? l->part_key : l->part_col;

		value = json_str(json_object_get(line, "partition"), key);
		if (!value)
			return errf(err, errlen, "%s: no partition %s= in the path", w, key);
		if (l->nfiles && !l->ddl && strcmp(value, l->part_value) != 0)
			return errf(err, errlen, "%s: partition %s=%s, but %s has %s=%s: load one partition at a time",
			    w, key, value, l->files[0].where, key, l->part_value);
		if (!l->part_key && column_named(schema, l->part_col))
			return errf(err, errlen, "%s: partition column \"%s\" is also a column of the file", w, l->part_col);
	}
	if (l->nfiles == 0) {
		/* The first file sets the schema: every column must map. */
		buf_add(&t, NULL, 0);
		json_array_foreach(schema, i, c) {
			if (schema_sf_type(&t, c, err, errlen) < 0) {
				buf_free(&t);
				return prefixed(err, errlen, w);
			}
		}
		buf_free(&t);
		if (json_array_size(schema) == 0)
			return errf(err, errlen, "%s: no columns", w);
		l->schema = l->merge ? json_copy(schema) : json_incref(schema);
		l->part_value = value ? estrdup(value) : NULL;
		l->part_dates = 1;
	} else if (l->merge ? schema_merge(l, schema, w, err, errlen) < 0 :
	    schema_same(l, schema, w, err, errlen) < 0) {
		return -1;
	}
	if (value && !sql_date_valid(value))
		l->part_dates = 0;
	l->files = erealloc(l->files, (l->nfiles + 1) * sizeof *l->files);
	f = &l->files[l->nfiles++];
	f->url = estrdup(url);
	f->path = l->stage_url ? estrdup(url + strlen(l->stage_url)) : NULL;
	f->rows = rows;
	f->where = estrdup(where);
	l->rows += rows;
	return 0;
}

/* Whether the partition column comes with the files (else its value is added from the path). */
static int
part_in_files(const struct load *l)
{
	return l->part_key && l->schema && column_named(l->schema, l->part_col);
}

/* The partition value as SQL: a DATE literal when every value is a date, else a string. */
static int
part_literal(struct buf *out, const struct load *l, char *err, size_t errlen)
{
	if (sql_quote_string(out, l->part_value) < 0)
		return errf(err, errlen, "partition %s: control characters in the value", l->part_col);
	if (l->part_dates)
		buf_addstr(out, "::DATE");
	return 0;
}

char *
load_ddl(const struct load *l, int if_not_exists, char *err, size_t errlen)
{
	struct buf b = {0};
	const json_t *c;
	size_t i;

	if (!l->schema)
		return errf(err, errlen, "no Parquet files in the input"), NULL;
	buf_printf(&b, "CREATE TABLE %s", if_not_exists ? "IF NOT EXISTS " : "");
	if (sql_quote_name(&b, l->table, SQL_SNOWFLAKE) < 0)
		goto bad_table;
	buf_addstr(&b, " (\n");
	json_array_foreach(l->schema, i, c) {
		buf_addstr(&b, i ? ",\n  " : "  ");
		if (sql_quote_ident(&b, json_str(c, "name"), SQL_SNOWFLAKE) < 0) {
			char d[64];

			errf(err, errlen, "column \"%s\": control characters in the name", shown(d, json_str(c, "name")));
			goto bad;
		}
		buf_addstr(&b, " ");
		if (schema_sf_type(&b, c, err, errlen) < 0)
			goto bad;
	}
	if (l->part_col && !part_in_files(l)) {
		buf_addstr(&b, ",\n  ");
		if (sql_quote_ident(&b, l->part_col, SQL_SNOWFLAKE) < 0)
			goto bad_part;
		buf_addstr(&b, l->part_dates ? " DATE" : " VARCHAR");
	}
	buf_addstr(&b, "\n);\n");
	return b.p;
bad_part:
	errf(err, errlen, "partition column: control characters in the name");
	goto bad;
bad_table:
	errf(err, errlen, "%s: not a table name (db.schema.table, plain identifiers)", l->table);
bad:
	buf_free(&b);
	return NULL;
}

/* Bytes that may stand unquoted in the path of @stage/path/. */
static int
path_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.=/-", s[i]))
			return 0;
	return 1;
}

/* The directory every file's path starts with, up to and including a '/' (0 if none). */
static size_t
common_dir(const struct load *l)
{
	size_t i, n = strlen(l->files[0].path);

	for (i = 1; i < l->nfiles; i++) {
		size_t k = 0;

		while (k < n && l->files[i].path[k] == l->files[0].path[k])
			k++;
		n = k;
	}
	while (n > 0 && l->files[0].path[n - 1] != '/')
		n--;
	return n;
}

/* The COPY column list and the transform's select list. Unless the files hold the partition
 * column, it ends both: sel then ends with ", " for the caller to append its value. */
static int
copy_columns(const struct load *l, struct buf *cols, struct buf *sel, char *err, size_t errlen)
{
	const json_t *c;
	size_t i;

	buf_add(cols, NULL, 0);
	buf_add(sel, NULL, 0);
	json_array_foreach(l->schema, i, c) {
		const char *to = json_str(l->rename, json_str(c, "name"));

		buf_addstr(cols, i ? ", " : "");
		buf_addstr(sel, i ? ", " : "");
		/* a case-only rename: the file's column loads into the table's */
		sql_quote_ident(cols, to ? to : json_str(c, "name"), SQL_SNOWFLAKE);
		if (schema_sf_select(sel, c, err, errlen) < 0)
			return -1;
	}
	if (part_in_files(l))
		return 0;
	buf_addstr(cols, ", ");
	buf_addstr(sel, ", ");
	return sql_quote_ident(cols, l->part_col, SQL_SNOWFLAKE);
}

char *
load_sql(const struct load *l, char *err, size_t errlen)
{
	struct buf b = {0}, table = {0}, where = {0}, cols = {0}, sel = {0};
	size_t i, k, dir;
	char *r = NULL;

	if (l->nfiles == 0)
		return errf(err, errlen, "no Parquet files in the input"), NULL;
	if (!l->stage || !l->stage_url || !l->part_col)
		return errf(err, errlen, "a load needs a stage, its URL and the partition column"), NULL;
	buf_add(&table, NULL, 0);
	if (sql_quote_name(&table, l->table, SQL_SNOWFLAKE) < 0) {
		errf(err, errlen, "%s: not a table name (db.schema.table, plain identifiers)", l->table);
		goto out;
	}
	if (!sql_name_valid(l->stage, SQL_SNOWFLAKE)) {
		errf(err, errlen, "@%s: not a stage name (db.schema.stage, plain identifiers)", l->stage);
		goto out;
	}
	buf_add(&where, NULL, 0);
	if (sql_quote_ident(&where, l->part_col, SQL_SNOWFLAKE) < 0) {
		errf(err, errlen, "partition column: control characters in the name");
		goto out;
	}
	buf_addstr(&where, " = ");
	if (part_literal(&where, l, err, errlen) < 0)
		goto out;
	if (copy_columns(l, &cols, &sel, err, errlen) < 0)
		goto out;
	if (!part_in_files(l))
		part_literal(&sel, l, err, errlen);

	/* A failed statement aborts the transaction at once; COMMIT is never reached. */
	buf_addstr(&b, "ALTER SESSION SET TRANSACTION_ABORT_ON_ERROR = TRUE;\nBEGIN;\n");
	buf_printf(&b, "DELETE FROM %s WHERE %s;\n", table.p, where.p);
	dir = common_dir(l);
	if (!path_plain(l->files[0].path, dir))
		dir = 0;
	for (i = 0; i < l->nfiles; i += LOAD_BATCH) {
		buf_printf(&b, "COPY INTO %s (%s)\n  FROM (SELECT %s\n    FROM @%s/%.*s)\n  FILES = (",
		    table.p, cols.p, sel.p, l->stage, (int)dir, l->files[0].path);
		for (k = i; k < l->nfiles && k < i + LOAD_BATCH; k++) {
			buf_addstr(&b, k > i ? ",\n    " : "");
			if (sql_quote_string(&b, l->files[k].path + dir) < 0) {
				errf(err, errlen, "%s: %s: control characters in the name", l->files[k].where,
				    l->files[k].url);
				goto out;
			}
		}
		buf_addstr(&b, ")\n  FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE BINARY_AS_TEXT = FALSE)\n"
		    "  ON_ERROR = ABORT_STATEMENT FORCE = TRUE;\n");
	}
	/* The partition must now hold exactly the footers' rows, or the cast fails and the
	 * transaction with it: the check is part of the transaction, not made after it. */
	buf_printf(&b, "SELECT (IFF(COUNT(*) = %lld, '', 'sf-copy: the footers count %lld rows, the table holds ')"
	    " || COUNT(*))::NUMBER(38,0) AS \"rows\"\n  FROM %s WHERE %s;\nCOMMIT;\n",
	    l->rows, l->rows, table.p, where.p);
	r = b.p;
	b.p = NULL;
out:
	buf_free(&b);
	buf_free(&table);
	buf_free(&where);
	buf_free(&cols);
	buf_free(&sel);
	return r;
}

char *
load_pipe_sql(const struct load *l, const char *pipe, char *err, size_t errlen)
{
	struct buf b = {0}, table = {0}, cols = {0}, sel = {0};
	const char *p;
	char *r = NULL;

	if (!l->stage || !l->part_col || !l->schema)
		return errf(err, errlen, "a pipe needs a stage, the partition column and a file's schema"), NULL;
	/* The key goes into a regular expression inside a literal: keep it to plain characters. */
	for (p = l->part_key ? l->part_key : l->part_col; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return errf(err, errlen, "%s: a pipe's partition key must be letters, digits and _",
			    l->part_col), NULL;
	buf_add(&table, NULL, 0);
	if (!sql_name_valid(pipe, SQL_SNOWFLAKE) || !sql_name_valid(l->stage, SQL_SNOWFLAKE) ||
	    sql_quote_name(&table, l->table, SQL_SNOWFLAKE) < 0) {
		errf(err, errlen, "%s, %s, %s: not db.schema.name of plain identifiers", pipe, l->stage, l->table);
		goto out;
	}
	if (copy_columns(l, &cols, &sel, err, errlen) < 0)
		goto out;
	/* A pipe has no file list: the partition value can only come from the path, anchored on
	 * "<key>=" so that no other segment is taken for it. */
	if (part_in_files(l))
		;
	else if (l->part_dates)
		buf_printf(&sel, "TO_DATE(REGEXP_SUBSTR(METADATA$FILENAME, '(^|/)%s=([0-9]{4}-[0-9]{2}-[0-9]{2})/', "
		    "1, 1, 'e', 2), 'YYYY-MM-DD')", l->part_key ? l->part_key : l->part_col);
	else
		buf_printf(&sel, "REGEXP_SUBSTR(METADATA$FILENAME, '(^|/)%s=([^/]+)/', 1, 1, 'e', 2)",
		    l->part_key ? l->part_key : l->part_col);
	buf_printf(&b, "CREATE PIPE IF NOT EXISTS %s AUTO_INGEST = TRUE AS\nCOPY INTO %s (%s)\n"
	    "  FROM (SELECT %s\n    FROM @%s/)\n"
	    "  FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE BINARY_AS_TEXT = FALSE)\n"
	    "  PATTERN = '(.*/)?[^_./][^/]*[.]parquet';\n",
	    pipe, table.p, cols.p, sel.p, l->stage);
	r = b.p;
	b.p = NULL;
out:
	buf_free(&b);
	buf_free(&table);
	buf_free(&cols);
	buf_free(&sel);
	return r;
}

void
load_free(struct load *l)
{
	size_t i;

	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i].url);
		free(l->files[i].path);
		free(l->files[i].where);
	}
	free(l->files);
	free(l->part_value);
	json_decref(l->schema);
	l->files = NULL;
	l->part_value = NULL;
	l->schema = NULL;
	l->nfiles = 0;
	l->rows = 0;
}
