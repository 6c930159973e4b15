/* sql.c: quoting and validation for SQL text. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

int
sql_ident_plain(const char *s, enum sql_dialect d)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++, n++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || (*s == '$' && d == SQL_SNOWFLAKE)))
			return 0;
	return n <= 255;
}

static int
name_parts(const char *s, enum sql_dialect d, char *part[3])
{
	char *copy = estrdup(s), *p = copy, *dot;
	int n = 0, ok = 1;

	do {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		if (n == 3 || !sql_ident_plain(p, d))
			ok = 0;
		else
			part[n++] = estrdup(p);
		p = dot + 1;
	} while (dot && ok);
	free(copy);
	if (!ok) {
		while (n > 0)
			free(part[--n]);
		return 0;
	}
	return n;
}

int
sql_name_valid(const char *s, enum sql_dialect d)
{
	char *part[3];
	int n = name_parts(s, d, part), i;

	for (i = 0; i < n; i++)
		free(part[i]);
	return n > 0;
}

int
sql_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
sql_quote_ident(struct buf *b, const char *s, enum sql_dialect d)
{
	char q = d == SQL_SPARK ? '`' : '"';

	if (!*s || sql_has_control(s))
		return -1;
	buf_add(b, &q, 1);
	for (; *s; s++) {
		if (*s == q)
			buf_add(b, &q, 1);
		buf_add(b, s, 1);
	}
	buf_add(b, &q, 1);
	return 0;
}

void
sql_ident(struct buf *b, const char *s, enum sql_dialect d)
{
	if (sql_quote_ident(b, s, d) < 0)
		buf_addstr(b, "\"?\"");
}

int
sql_quote_name(struct buf *b, const char *s, enum sql_dialect d)
{
	char *part[3];
	int n = name_parts(s, d, part), i;

	for (i = 0; i < n; i++) {
		if (i)
			buf_addstr(b, ".");
		/* Plain names are upper-cased by Snowflake when unquoted; quoting them as written
		 * would make "trips" a different table from TRIPS, so plain parts stay unquoted. */
		buf_addstr(b, part[i]);
		free(part[i]);
	}
	return n > 0 ? 0 : -1;
}

int
sql_quote_string(struct buf *b, const char *s)
{
	if (sql_has_control(s))
		return -1;
	buf_addstr(b, "'");
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_add(b, s, 1);
		buf_add(b, s, 1);
	}
	buf_addstr(b, "'");
	return 0;
}

int
sql_date_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i, leap;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	if (s[10])
		return 0;
	y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] + (m == 2 && leap);
}
