/* databricks_values.c: JSON_ARRAY values typed for jq, and rows as JSON objects (see
 * databricks.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "databricks.h"
#include "jsonl.h"


/* Values */

/* Moves *p past a run of digits; 0 if there was none. */
static int
digits(const char **p)
{
	const char *start = *p;

	while (isdigit((unsigned char)**p))
		(*p)++;
	return *p > start;
}

/* A fraction ".ddd" if one follows: 0 when the '.' has no digits after it. */
static int
fraction(const char **p)
{
	if (**p != '.')
		return 1;
	(*p)++;
	return digits(p);
}

/* RFC 8259 number grammar. */
static int
json_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!digits(&p))
		return 0;
	if (!fraction(&p))
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!digits(&p))
			return 0;
	}
	return *p == '\0';
}

static int
integer_json(const char *s, struct buf *out)
{
	return jsonl_int_append(out, s, strlen(s));	/* beyond 2^53 a string: jq 1.6 would round it */
}

static int
double_json(const char *s, struct buf *out)
{
	char tmp[40], *end;
	double v;
	int prec;

	if (json_number(s)) {
		buf_addstr(out, s);	/* exactly as the service wrote it */
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end)
		return -1;
	if (!isfinite(v)) {
		jsonl_str_append(out, s, strlen(s));	/* NaN, Infinity: JSON has no numbers for them */
		return 0;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	buf_addstr(out, tmp);
	return 0;
}

/* Nested integers beyond 2^53 become strings, as top-level ones do. */
static json_t *
big_ints_to_strings(json_t *v, int *changed)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (!jsonl_int_exact((long long)n)) {
			char t[32];

			snprintf(t, sizeof t, "%lld", (long long)n);
			*changed = 1;
			return json_string(t);
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			json_object_set_new(v, k, big_ints_to_strings(x, changed));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			json_array_set_new(v, i, big_ints_to_strings(x, changed));
	}
	return json_incref(v);
}

static int
complex_json(const char *s, struct buf *out)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL), *k;
	int changed = 0;
	char *t;

	if (!j)
		return -1;
	k = big_ints_to_strings(j, &changed);
	if (!changed && !strpbrk(s, "\r\n")) {
		buf_addstr(out, s);	/* verbatim keeps every number exact */
	} else {
		t = json_dumps(k, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		buf_addstr(out, t);
		free(t);
	}
	json_decref(k);
	json_decref(j);
	return 0;
}

int
dbx_value_json(const char *type, const char *s, struct buf *out)
{
	return dbx_value_json_n(type, s, s ? strlen(s) : 0, out);
}

/* As dbx_value_json, with the text's length: a STRING may hold U+0000. */
int
dbx_value_json_n(const char *type, const char *s, size_t n, struct buf *out)
{
	if (!s || (type && strcmp(type, "NULL") == 0)) {
		buf_addstr(out, "null");
		return 0;
	}
	if (!type)
		type = "STRING";
	if (!strcmp(type, "STRING") || !strcmp(type, "CHAR") || !strcmp(type, "VARCHAR") ||
	    !strcmp(type, "BINARY")) {
		jsonl_str_append(out, s, n);
		return 0;
	}
	if (memchr(s, '\0', n))
		return -1;	/* no other type's text holds a NUL */
	if (!strcmp(type, "BYTE") || !strcmp(type, "SHORT") || !strcmp(type, "INT") ||
	    !strcmp(type, "LONG"))
		return integer_json(s, out);
	if (!strcmp(type, "DOUBLE") || !strcmp(type, "FLOAT"))
		return double_json(s, out);
	if (!strcmp(type, "DECIMAL")) {
		/* Spark's BigDecimal text may have an exponent (1E-10, 0E-10): printed plain, the
		 * scale kept, as toPlainString does. */
		char *t = decimal_plain_dup(s);

		if (!t)
			return -1;
		jsonl_str_append(out, t, strlen(t));
		free(t);
		return 0;
	}
	if (!strcmp(type, "BOOLEAN")) {
		if (strcasecmp(s, "true") == 0)
			buf_addstr(out, "true");
		else if (strcasecmp(s, "false") == 0)
			buf_addstr(out, "false");
		else
			return -1;
		return 0;
	}
	if (!strcmp(type, "TIMESTAMP") || !strcmp(type, "TIMESTAMP_NTZ")) {
		/* ISO 8601: a 'T' between date and time, as Databricks writes it. */
		const char *sp = strchr(s, ' ');

		if (sp && sp - s >= 10 && isdigit((unsigned char)sp[1])) {
			char *t = estrdup(s);

			t[sp - s] = 'T';
			jsonl_str_append(out, t, strlen(t));
			free(t);
		} else {
			jsonl_str_append(out, s, strlen(s));
		}
		return 0;
	}
	if (!strcmp(type, "ARRAY") || !strcmp(type, "MAP") || !strcmp(type, "STRUCT"))
		return complex_json(s, out);
	jsonl_str_append(out, s, strlen(s));	/* STRING CHAR DATE BINARY INTERVAL USER_DEFINED_TYPE, and the unknown */
	return 0;
}

/* The text of a data_array value and its length; the API sends strings (which may hold
 * U+0000), other JSON is taken by its text. */
static char *
value_text(json_t *v, size_t *n)
{
	char *t;

	if (json_is_null(v) || !v)
		return NULL;
	if (json_is_string(v)) {
		*n = json_string_length(v);
		t = emalloc(*n + 1);
		memcpy(t, json_string_value(v), *n + 1);
		return t;
	}
	t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	*n = strlen(t);
	return t;
}

int
dbx_row_json(json_t *columns, json_t *row, struct buf *out, const char **badcol)
{
	size_t i;
	json_t *c;

	buf_add(out, "{", 1);
	json_array_foreach(columns, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		size_t n = 0;
		char *t = value_text(json_array_get(row, i), &n);
		int rc;

		if (i)
			buf_add(out, ",", 1);
		if (!name)
			name = "";
		jsonl_str_append(out, name, strlen(name));
		buf_add(out, ":", 1);
		rc = dbx_value_json_n(json_string_value(json_object_get(c, "type_name")), t, n, out);
		free(t);
		if (rc) {
			*badcol = name ? name : "";
			return -1;
		}
	}
	buf_add(out, "}\n", 2);
	return 0;
}

const char *
dbx_row_get(json_t *columns, json_t *row, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(columns, i, c)
		if (json_string_value(json_object_get(c, "name")) &&
		    strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return json_string_value(json_array_get(row, i));
	return NULL;
}
