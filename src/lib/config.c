/* config.c: INI and TOML readers (the subsets documented in config.h), file permissions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "util.h"

static int
isblank_(int c)
{
	return c == ' ' || c == '\t';
}

/* Strip a trailing "\n" or "\r\n" and, on the first line, a UTF-8 BOM. Returns the text. */
static char *
chomp(char *line, ssize_t *n, int first)
{
	while (*n > 0 && (line[*n - 1] == '\n' || line[*n - 1] == '\r'))
		line[--*n] = '\0';
	if (first && *n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		*n -= 3;
		return line + 3;
	}
	return line;
}

static char *
trim(char *s)
{
	char *e;

	while (isblank_((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isblank_((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * INI
 */

/* Walk path; for every line call fn with the current section. fn returns non-zero to stop.
 * kind: 's' section header (key = name), 'k' key line (key, val), 'c' continuation (val). */
typedef int (*ini_fn)(int kind, const char *sect, char *key, char *val, void *arg);

static void
ini_walk(const char *path, ini_fn fn, void *arg)
{
	FILE *fp;
	char *line = NULL, *s, *e, *sect = NULL;
	size_t cap = 0;
	ssize_t n;
	int first = 1, inkey = 0;

	if (!(fp = fopen(path, "r")))
		return;
	while ((n = getline(&line, &cap, fp)) >= 0) {
		s = chomp(line, &n, first);
		first = 0;
		if (isblank_((unsigned char)*s) && inkey) {
			s = trim(s);
			if (*s && *s != '#' && *s != ';' && fn('c', sect, NULL, s, arg))
				break;
			continue;
		}
		s = trim(s);
		inkey = 0;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (!(e = strchr(s, ']')))
				continue;
			*e = '\0';
			free(sect);
			sect = estrdup(trim(s + 1));
			if (fn('s', sect, sect, NULL, arg))
				break;
			continue;
		}
		if (!sect || !(e = strpbrk(s, "=:")))
			continue;
		*e = '\0';
		inkey = 1;
		if (fn('k', sect, trim(s), trim(e + 1), arg))
			break;
	}
	free(line);
	free(sect);
	fclose(fp);
}

struct ini_find {
	const char *section, *key;
	int state;		/* 0 searching, 1 found key (collecting continuations), 2 done */
	int sectseen;
	struct buf val;
};

static int
ini_find_fn(int kind, const char *sect, char *key, char *val, void *arg)
{
	struct ini_find *f = arg;

	if (f->state == 1) {
		if (kind == 'c') {
			buf_addstr(&f->val, "\n");
			buf_addstr(&f->val, val);
			return 0;
		}
		f->state = 2;
		return 1;
	}
	if (kind == 's') {
		/* first occurrence of a section wins: stop at its second header */
		if (f->sectseen && strcmp(sect, f->section) == 0)
			return 1;
		if (strcmp(sect, f->section) == 0)
			f->sectseen = 1;
		return 0;
	}
	if (kind == 'k' && f->sectseen && strcmp(sect, f->section) == 0 &&
	    strcasecmp(key, f->key) == 0) {
		buf_addstr(&f->val, val);
		f->state = 1;
	}
	return 0;
}

char *
ini_get(const char *path, const char *section, const char *key)
{
	struct ini_find f = { section, key, 0, 0, {0} };

	ini_walk(path, ini_find_fn, &f);
	if (f.state == 0) {
		buf_free(&f.val);
		return NULL;
	}
	if (!f.val.p)
		return estrdup("");
	return f.val.p;
}

struct ini_sect {
	const char *want;
	int found;
};

static int
ini_sect_fn(int kind, const char *sect, char *key, char *val, void *arg)
{
	struct ini_sect *f = arg;

	(void)key;
	(void)val;
	if (kind == 's' && strcmp(sect, f->want) == 0)
		return f->found = 1;
	return 0;
}

int
ini_has_section(const char *path, const char *section)
{
	struct ini_sect f = { section, 0 };

	ini_walk(path, ini_sect_fn, &f);
	return f.found;
}

/*
 * TOML
 */

struct toml {
	const char *path;
	long lineno;
	char *err;
	size_t errlen;
};

static int
toml_error(struct toml *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(t->err, t->errlen, "%s:%ld: ", t->path, t->lineno);
	if (n < 0 || (size_t)n >= t->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(t->err + n, t->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
isbare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* Parse a quoted string at *sp (which points at the opening quote) into b; advance *sp past
 * the closing quote. */
static int
toml_string(struct toml *t, const char **sp, struct buf *b)
{
	const char *s = *sp;
	char q = *s++;
	unsigned long cp;
	int i, n, h;

	if (s[0] == q && s[1] == q)
		return toml_error(t, "multi-line strings are not supported");
	for (;;) {
		if (!*s)
			return toml_error(t, "unterminated string");
		if (*s == q)
			break;
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return toml_error(t, "control character in string");
		if (q == '\'' || *s != '\\') {
			buf_add(b, s++, 1);
			continue;
		}
		s++;
		switch (*s) {
		case 'b': buf_addstr(b, "\b"); break;
		case 't': buf_addstr(b, "\t"); break;
		case 'n': buf_addstr(b, "\n"); break;
		case 'f': buf_addstr(b, "\f"); break;
		case 'r': buf_addstr(b, "\r"); break;
		case '"': buf_addstr(b, "\""); break;
		case '\\': buf_addstr(b, "\\"); break;
		case 'u':
		case 'U':
			n = *s == 'u' ? 4 : 8;
			for (cp = 0, i = 1; i <= n; i++) {
				if ((h = hexval((unsigned char)s[i])) < 0)
					return toml_error(t, "bad \\%c escape", *s);
				cp = cp << 4 | (unsigned long)h;
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return toml_error(t, "escape is not a Unicode scalar value");
			put_utf8(b, cp);
			s += n;
			break;
		default:
			return toml_error(t, "bad escape \\%c", *s ? *s : ' ');
		}
		s++;
	}
	*sp = s + 1;
	return 0;
}

/* Parse a (possibly dotted) key at *sp into b, parts joined by '.'; stop at stop ('=' or ']'). */
static int
toml_key(struct toml *t, const char **sp, struct buf *b, int stop)
{
	const char *s = *sp;

	for (;;) {
		while (isblank_((unsigned char)*s))
			s++;
		if (*s == '"' || *s == '\'') {
			if (toml_string(t, &s, b) < 0)
				return -1;
		} else if (isbare((unsigned char)*s)) {
			while (isbare((unsigned char)*s))
				buf_add(b, s++, 1);
		} else {
			return toml_error(t, *s ? "bad character '%c' in key" : "missing key%.0s",
			    *s ? *s : ' ');
		}
		while (isblank_((unsigned char)*s))
			s++;
		if (*s == '.') {
			buf_addstr(b, ".");
			s++;
			continue;
		}
		if (*s != stop)
			return toml_error(t, "expected '%c' after key", stop);
		*sp = s + 1;
		return 0;
	}
}

/* Nothing but blanks and an optional comment may follow. */
static int
toml_eol(struct toml *t, const char *s)
{
	while (isblank_((unsigned char)*s))
		s++;
	if (*s && *s != '#')
		return toml_error(t, "unexpected text after value");
	return 0;
}

static int
isdigits(const char *s, const char *e, int base)
{
	int prev = 0;	/* previous character was a digit */

	if (s == e)
		return 0;
	for (; s < e; s++) {
		int c = (unsigned char)*s, ok;

		if (c == '_') {
			if (!prev || s + 1 == e)
				return 0;
			prev = 0;
			continue;
		}
		switch (base) {
		case 16: ok = hexval(c) >= 0; break;
		case 8: ok = c >= '0' && c <= '7'; break;
		case 2: ok = c == '0' || c == '1'; break;
		default: ok = c >= '0' && c <= '9'; break;
		}
		if (!ok)
			return 0;
		prev = 1;
	}
	return 1;
}

/* Parse the value at s into b (text form). */
static int
toml_value(struct toml *t, const char *s, struct buf *b)
{
	const char *e;

	while (isblank_((unsigned char)*s))
		s++;
	if (*s == '"' || *s == '\'') {
		if (toml_string(t, &s, b) < 0)
			return -1;
		return toml_eol(t, s);
	}
	if (!*s || *s == '#')
		return toml_error(t, "missing value");
	if (*s == '[' || *s == '{')
		return toml_error(t, "arrays and inline tables are not supported");
	for (e = s; *e && !isblank_((unsigned char)*e) && *e != '#'; e++)
		;
	if ((e - s == 4 && strncmp(s, "true", 4) == 0) ||
	    (e - s == 5 && strncmp(s, "false", 5) == 0)) {
		buf_add(b, s, (size_t)(e - s));
		return toml_eol(t, e);
	}
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		if (!isdigits(s + 2, e, s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2))
			return toml_error(t, "bad integer");
	} else {
		const char *d = s + (*s == '+' || *s == '-');

		if (!isdigits(d, e, 10))
			return toml_error(t, "unsupported value (only strings, integers and booleans)");
		if (*d == '0' && e - d > 1)
			return toml_error(t, "leading zero in integer");
	}
	buf_add(b, s, (size_t)(e - s));
	return toml_eol(t, e);
}

int
toml_get(const char *path, const char *table, const char *key, char **out,
    char *err, size_t errlen)
{
	struct toml t = { path, 0, err, errlen };
	struct buf cur = {0}, k = {0}, full = {0}, want = {0}, val = {0};
	FILE *fp;
	char *line = NULL;
	const char *s;
	size_t cap = 0;
	ssize_t n;
	int rc = 1;

	if (errlen)
		err[0] = '\0';
	if (!(fp = fopen(path, "r"))) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (*table)
		buf_printf(&want, "%s.%s", table, key);
	else
		buf_addstr(&want, key);
	buf_addstr(&cur, "");
	while ((n = getline(&line, &cap, fp)) >= 0) {
		s = chomp(line, &n, t.lineno == 0);
		t.lineno++;
		if ((size_t)n != strlen(s)) {
			rc = toml_error(&t, "NUL byte in file");
			break;
		}
		while (isblank_((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			if (s[1] == '[') {
				rc = toml_error(&t, "arrays of tables are not supported");
				break;
			}
			s++;
			buf_reset(&cur);
			if (toml_key(&t, &s, &cur, ']') < 0 || toml_eol(&t, s) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		buf_reset(&k);
		if (toml_key(&t, &s, &k, '=') < 0) {
			rc = -1;
			break;
		}
		buf_reset(&full);
		if (cur.len)
			buf_printf(&full, "%s.%s", cur.p, k.p);
		else
			buf_addstr(&full, k.p);
		buf_reset(&val);
		if (toml_value(&t, s, &val) < 0) {
			rc = -1;
			break;
		}
		if (strcmp(full.p, want.p) == 0) {
			*out = val.p;
			val.p = NULL;
			rc = 0;
			break;
		}
	}
	if (rc == 1 && ferror(fp))
		rc = toml_error(&t, "%s", strerror(errno));
	free(line);
	fclose(fp);
	buf_free(&cur);
	buf_free(&k);
	buf_free(&full);
	buf_free(&want);
	buf_free(&val);
	return rc;
}

int
file_private(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (st.st_mode & 077) == 0;
}
