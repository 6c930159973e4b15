/* snowflake_tmpl.c: Snowflake CLI templating and statement counting (see snowflake.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snowflake.h"

/* ---- templating ---- */

/* One lexical step over SQL text. *st is 0 outside, '\'' '"' '$' inside a literal, a quoted
 * identifier or a $$ string, '-' '*' inside a line or block comment. Returns the bytes that go
 * together (2 for an escape or a two-character delimiter) and updates *st. */
static size_t
sql_lex(const char *p, char *st)
{
	switch (*st) {
	case '\'':
		if (p[0] == '\\' && p[1])
			return 2;
		if (p[0] == '\'')
			*st = 0;	/* a doubled quote closes and reopens: same result */
		return 1;
	case '"':
		if (p[0] == '"')
			*st = 0;
		return 1;
	case '-':
		if (p[0] == '\n')
			*st = 0;
		return 1;
	case '$':
	case '*':
		if (p[0] == *st && p[1] == (*st == '$' ? '$' : '/')) {
			*st = 0;
			return 2;
		}
		return 1;
	}
	if (p[0] == '\'' || p[0] == '"') {
		*st = p[0];
		return 1;
	}
	if ((p[0] == '$' && p[1] == '$') || (p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
		*st = p[0] == '/' ? '*' : p[0];
		return 2;
	}
	return 1;
}

int
sf_statement_count(const char *p)
{
	char st = 0, was;
	int n = 0, content = 0;
	size_t k;

	while (*p) {
		if (!st && *p == ';') {
			n += content;
			content = 0;
			p++;
			continue;
		}
		was = st;
		k = sql_lex(p, &st);
		if (was != '-' && was != '*' && st != '-' && st != '*' && !isspace((unsigned char)*p))
			content = 1;
		p += k;
	}
	return n + content;
}

static int
plain_value(const char *v)
{
	const char *p = v;

	if (*p == '-' || *p == '+')
		p++;
	if (sf_is_decimal(p, strlen(p)))
		return 1;
	/* identifier(.identifier)* */
	p = v;
	for (;;) {
		if (!(isalpha((unsigned char)*p) || *p == '_'))
			return 0;
		for (p++; isalnum((unsigned char)*p) || *p == '_' || *p == '$'; p++)
			;
		if (*p == '\0')
			return 1;
		if (*p++ != '.')
			return 0;
	}
}

static const char *
def_lookup(char *const *defs, size_t ndefs, const char *name, size_t len)
{
	size_t i;

	/* The last definition of a name wins, as with repeated -D. */
	for (i = ndefs; i-- > 0;)
		if (strncmp(defs[i], name, len) == 0 && defs[i][len] == '=')
			return defs[i] + len + 1;
	return NULL;
}

char *
sf_template(const char *sql, char *const *defs, size_t ndefs, char *err, size_t errlen)
{
	struct buf b = {0};
	const char *p = sql, *q, *name, *v;
	char quote = 0;		/* lexical state, see sql_lex */
	size_t len;

	buf_add(&b, NULL, 0);
	while (*p) {
		if (p[0] == '<' && p[1] == '%') {
			if (!(q = strstr(p + 2, "%>"))) {
				snprintf(err, errlen, "unterminated <%% in the statement");
				goto fail;
			}
			for (name = p + 2; *name == ' ' || *name == '\t'; name++)
				;
			for (len = 0; isalnum((unsigned char)name[len]) || name[len] == '_' || name[len] == '.'; len++)
				;
			for (v = name + len; *v == ' ' || *v == '\t'; v++)
				;
			if (len == 0 || v != q) {
				snprintf(err, errlen, "malformed template variable <%%%.*s%%>", (int)(q - p - 2), p + 2);
				goto fail;
			}
			if (!(v = def_lookup(defs, ndefs, name, len))) {
				snprintf(err, errlen, "template variable %.*s is not defined (use -D %.*s=value)",
				    (int)len, name, (int)len, name);
				goto fail;
			}
			if (quote == '\'') {
				for (; *v; v++) {
					if (*v == '\'' || *v == '\\')
						buf_add(&b, v, 1);
					buf_add(&b, v, 1);
				}
			} else if (quote) {
				const char *bad = quote == '"' ? (strchr(v, '"') ? "'\"'" : NULL) :
				    quote == '$' ? (strstr(v, "$$") ? "'$$'" : NULL) :
				    quote == '-' ? (strpbrk(v, "\r\n") ? "a line break" : NULL) :
				    (strstr(v, "*/") ? "'*/'" : NULL);

				if (bad) {
					snprintf(err, errlen, "-D %.*s: a value inside a %s cannot contain %s",
					    (int)len, name, quote == '"' ? "quoted identifier" :
					    quote == '$' ? "$$ string" : "comment", bad);
					goto fail;
				}
				buf_addstr(&b, v);
			} else {
				if (!plain_value(v)) {
					snprintf(err, errlen, "-D %.*s: value must be an identifier or a number outside quotes; "
					    "write '<%% %.*s %%>' for a string", (int)len, name, (int)len, name);
					goto fail;
				}
				buf_addstr(&b, v);
			}
			p = q + 2;
			continue;
		}
		len = sql_lex(p, &quote);
		buf_add(&b, p, len);
		p += len;
	}
	return b.p;
fail:
	buf_free(&b);
	return NULL;
}
