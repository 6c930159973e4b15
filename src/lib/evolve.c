/* evolve.c: a date's files against the target table's columns, and what -e add runs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evolve.h"
#include "jsonl.h"
#include "schema.h"
#include "sql.h"
#include "util.h"

/* A Snowflake type as family and parameters, defaults filled in: NUMBER(p,s), VARCHAR(n),
 * BINARY(n), TIME(f), TIMESTAMP_*(f); the rest have none. */
struct sftype {
	char family[32];
	long a, b;
};

static const struct {
	const char *alias, *family;
	long a, b;		/* implied parameters (-1: none implied) */
} aliases[] = {
	{ "DECIMAL", "NUMBER", -1, -1 }, { "NUMERIC", "NUMBER", -1, -1 },
	{ "INT", "NUMBER", 38, 0 }, { "INTEGER", "NUMBER", 38, 0 }, { "BIGINT", "NUMBER", 38, 0 },
	{ "SMALLINT", "NUMBER", 38, 0 }, { "TINYINT", "NUMBER", 38, 0 }, { "BYTEINT", "NUMBER", 38, 0 },
	{ "STRING", "VARCHAR", -1, -1 }, { "TEXT", "VARCHAR", -1, -1 }, { "CHAR", "VARCHAR", 1, -1 },
	{ "CHARACTER", "VARCHAR", 1, -1 }, { "NCHAR", "VARCHAR", 1, -1 }, { "NVARCHAR", "VARCHAR", -1, -1 },
	{ "NVARCHAR2", "VARCHAR", -1, -1 }, { "CHAR VARYING", "VARCHAR", -1, -1 },
	{ "VARBINARY", "BINARY", -1, -1 },
	{ "DOUBLE", "FLOAT", -1, -1 }, { "DOUBLE PRECISION", "FLOAT", -1, -1 }, { "REAL", "FLOAT", -1, -1 },
	{ "FLOAT4", "FLOAT", -1, -1 }, { "FLOAT8", "FLOAT", -1, -1 },
	{ "DATETIME", "TIMESTAMP_NTZ", -1, -1 }, { "TIMESTAMP", "TIMESTAMP_NTZ", -1, -1 },
};

static void
type_parse(const char *s, struct sftype *t)
{
	size_t i, n = 0;
	const char *p;

	t->a = t->b = -1;
	while (*s == ' ')
		s++;
	for (p = s; *p && *p != '(' && n < sizeof t->family - 1; p++)
		t->family[n++] = toupper((unsigned char)*p);
	while (n > 0 && t->family[n - 1] == ' ')
		n--;
	t->family[n] = '\0';
	if (*p == '(' && sscanf(p, "(%ld,%ld)", &t->a, &t->b) < 1)
		t->a = t->b = -1;
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcmp(t->family, aliases[i].alias) == 0) {
			snprintf(t->family, sizeof t->family, "%s", aliases[i].family);
			if (aliases[i].a >= 0 && t->a < 0) {
				t->a = aliases[i].a;
				t->b = aliases[i].b;
			}
			break;
		}
	}
	/* Snowflake's defaults for what a type leaves out. */
	if (strcmp(t->family, "NUMBER") == 0) {
		if (t->a < 0)
			t->a = 38;
		if (t->b < 0)
			t->b = 0;
	} else if (strcmp(t->family, "VARCHAR") == 0 && t->a < 0) {
		t->a = 16777216;
	} else if (strcmp(t->family, "BINARY") == 0 && t->a < 0) {
		t->a = 8388608;
	} else if ((strcmp(t->family, "TIME") == 0 || strncmp(t->family, "TIMESTAMP_", 10) == 0) && t->a < 0) {
		t->a = 9;
	}
}

const char *
evolve_change_name(enum evolve_change c)
{
	static const char *names[] = { "same", "added", "dropped", "widened", "renamed", "narrowed",
	    "incompatible" };

	return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

enum evolve_change
evolve_type_change(const char *file_type, const char *table_type)
{
	struct sftype f, t;

	type_parse(file_type, &f);
	type_parse(table_type, &t);
	if (strcmp(f.family, t.family) != 0)
		return EVOLVE_INCOMPATIBLE;
	if (strcmp(f.family, "NUMBER") == 0) {
		/* fits: no more fraction digits, no more integer digits */
		if (f.b <= t.b && f.a - f.b <= t.a - t.b)
			return EVOLVE_SAME;
		/* Snowflake raises a NUMBER's precision in place, never its scale */
		return f.b == t.b ? EVOLVE_WIDENED : EVOLVE_NARROWED;
	}
	if (strcmp(f.family, "VARCHAR") == 0)
		return f.a <= t.a ? EVOLVE_SAME : EVOLVE_WIDENED;
	/* BINARY, TIME and TIMESTAMP: a longer one or more fraction digits cannot be set in place */
	if (f.a >= 0 || t.a >= 0)
		return f.a <= t.a ? EVOLVE_SAME : EVOLVE_NARROWED;
	return EVOLVE_SAME;
}

static void
diff_add(struct evolve *e, enum evolve_change c, const char *column, const char *table_column,
    const char *file_type, const char *table_type)
{
	struct evolve_diff *d;

	e->diff = erealloc(e->diff, (e->ndiff + 1) * sizeof *e->diff);
	d = &e->diff[e->ndiff++];
	d->change = c;
	d->column = estrdup(column);
	d->table_column = table_column ? estrdup(table_column) : NULL;
	d->file_type = file_type ? estrdup(file_type) : NULL;
	d->table_type = table_type ? estrdup(table_type) : NULL;
	if (c == EVOLVE_NARROWED || c == EVOLVE_INCOMPATIBLE)
		e->stops = 1;
	if (c == EVOLVE_ADDED || c == EVOLVE_WIDENED)
		e->alters = 1;
}

/* The table's loadable columns: DESC TABLE rows whose kind is COLUMN. */
static int
table_columns(const json_t *rows, const json_t ***cols, size_t *n, char *err, size_t errlen)
{
	const json_t *r;
	const char *kind;
	size_t i;

	*cols = ecalloc(json_array_size(rows) + 1, sizeof **cols);
	*n = 0;
	json_array_foreach(rows, i, r) {
		if (!json_str(r, "name") || !json_str(r, "type"))
			return errf(err, errlen, "DESC TABLE row %zu: no name or type", i + 1);
		kind = json_str(r, "kind");
		if (!kind || strcmp(kind, "COLUMN") == 0)
			(*cols)[(*n)++] = r;
	}
	return 0;
}

int
evolve_compare(struct evolve *e, const json_t *schema, const json_t *table_cols, const char *part_col,
    char *err, size_t errlen)
{
	const json_t **tc = NULL, *c;
	size_t nt = 0, nf = json_array_size(schema), i, k;
	long *match = ecalloc(nf + 1, sizeof *match);
	char *used = NULL;
	struct buf ft = {0};
	int rc = -1;

	if (!json_is_array(schema) || !json_is_array(table_cols)) {
		errf(err, errlen, "no schema or no table columns");
		goto out;
	}
	if (table_columns(table_cols, &tc, &nt, err, errlen) < 0)
		goto out;
	used = ecalloc(nt + 1, 1);
	/* exact names first, so that a case-only match never takes a column another file column
	 * names exactly */
	json_array_foreach(schema, i, c) {
		const char *name = json_str(c, "name");

		if (!name) {
			errf(err, errlen, "malformed schema element %zu", i + 1);
			goto out;
		}
		match[i] = -1;
		for (k = 0; k < nt; k++) {
			if (!used[k] && strcmp(json_str(tc[k], "name"), name) == 0) {
				match[i] = (long)k;
				used[k] = 1;
				break;
			}
		}
	}
	json_array_foreach(schema, i, c) {
		const char *name = json_str(c, "name");
		long only = -1;
		int nci = 0;

		if (match[i] >= 0)
			continue;
		for (k = 0; k < nt; k++) {
			const char *tn = json_str(tc[k], "name");

			if (!used[k] && strcasecmp(tn, name) == 0 && !(part_col && strcmp(tn, part_col) == 0)) {
				only = (long)k;
				nci++;
			}
		}
		if (nci == 1) {
			match[i] = only;
			used[only] = 1;
		}
	}
	json_array_foreach(schema, i, c) {
		const char *name = json_str(c, "name"), *tn, *tt;
		enum evolve_change ch;

		buf_reset(&ft);
		buf_add(&ft, NULL, 0);
		if (schema_sf_type(&ft, c, err, errlen) < 0)
			goto out;
		if (match[i] < 0) {
			diff_add(e, EVOLVE_ADDED, name, NULL, ft.p, NULL);
			continue;
		}
		tn = json_str(tc[match[i]], "name");
		tt = json_str(tc[match[i]], "type");
		ch = evolve_type_change(ft.p, tt);
		if (ch == EVOLVE_SAME && strcmp(tn, name) != 0)
			ch = EVOLVE_RENAMED;
		if (ch != EVOLVE_SAME)
			diff_add(e, ch, name, tn, ft.p, tt);
	}
	for (k = 0; k < nt; k++) {
		const char *tn = json_str(tc[k], "name");

		if (!used[k] && !(part_col && strcmp(tn, part_col) == 0))
			diff_add(e, EVOLVE_DROPPED, tn, tn, NULL, json_str(tc[k], "type"));
	}
	rc = 0;
out:
	free(match);
	free(used);
	free(tc);
	buf_free(&ft);
	return rc;
}

char *
evolve_sql(const struct evolve *e, const char *table, char *err, size_t errlen)
{
	struct buf b = {0}, t = {0};
	size_t i;

	buf_add(&b, NULL, 0);
	buf_add(&t, NULL, 0);
	if (sql_quote_name(&t, table, SQL_SNOWFLAKE) < 0) {
		errf(err, errlen, "%s: not a table name (db.schema.table, plain identifiers)", table);
		goto bad;
	}
	for (i = 0; i < e->ndiff; i++) {
		const struct evolve_diff *d = &e->diff[i];

		if (d->change == EVOLVE_ADDED)
			buf_printf(&b, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS ", t.p);
		else if (d->change == EVOLVE_WIDENED)
			buf_printf(&b, "ALTER TABLE %s ALTER COLUMN ", t.p);
		else
			continue;
		if (sql_quote_ident(&b, d->change == EVOLVE_ADDED ? d->column : d->table_column, SQL_SNOWFLAKE) < 0) {
			errf(err, errlen, "column: control characters in the name");
			goto bad;
		}
		buf_printf(&b, "%s%s;\n", d->change == EVOLVE_ADDED ? " " : " SET DATA TYPE ", d->file_type);
	}
	buf_free(&t);
	return b.p;
bad:
	buf_free(&b);
	buf_free(&t);
	return NULL;
}

json_t *
evolve_renames(const struct evolve *e)
{
	json_t *m = NULL;
	size_t i;

	for (i = 0; i < e->ndiff; i++) {
		const struct evolve_diff *d = &e->diff[i];

		if (d->change == EVOLVE_DROPPED || !d->table_column || strcmp(d->column, d->table_column) == 0)
			continue;
		if (!m)
			m = json_object();
		json_object_set_new(m, d->column, json_string(d->table_column));
	}
	return m;
}

void
evolve_free(struct evolve *e)
{
	size_t i;

	for (i = 0; i < e->ndiff; i++) {
		free(e->diff[i].column);
		free(e->diff[i].table_column);
		free(e->diff[i].file_type);
		free(e->diff[i].table_type);
	}
	free(e->diff);
	e->diff = NULL;
	e->ndiff = 0;
	e->stops = e->alters = 0;
}
