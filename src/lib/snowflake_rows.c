/* snowflake_rows.c: result columns, wire values typed for jq, and partitions read in place
 * (see snowflake.h). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonl.h"
#include "snowflake.h"

/* ---- values ---- */

enum sf_type
sf_type_of(const char *t)
{
	static const struct { const char *name; enum sf_type type; } map[] = {
		{ "fixed", SF_FIXED }, { "real", SF_REAL }, { "decfloat", SF_DECFLOAT },
		{ "text", SF_TEXT }, { "binary", SF_BINARY }, { "boolean", SF_BOOLEAN },
		{ "date", SF_DATE }, { "time", SF_TIME }, { "timestamp_ntz", SF_TIMESTAMP_NTZ },
		{ "timestamp_ltz", SF_TIMESTAMP_LTZ }, { "timestamp_tz", SF_TIMESTAMP_TZ },
		{ "variant", SF_JSON }, { "object", SF_JSON }, { "array", SF_JSON }, { "map", SF_JSON },
		{ "vector", SF_JSON },
	};
	size_t i;

	for (i = 0; t && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(t, map[i].name) == 0)
			return map[i].type;
	return SF_OTHER;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* [-]digits[.digits] */
int
sf_is_decimal(const char *s, size_t n)
{
	const char *dot;

	if (n && *s == '-')
		s++, n--;
	if (!(dot = memchr(s, '.', n)))
		return all_digits(s, n);
	return all_digits(s, (size_t)(dot - s)) && all_digits(dot + 1, n - (size_t)(dot - s) - 1);
}

/* A JSON number token exactly. */
static int
is_json_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else {
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm). */
static void
civil(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void
date_append(struct buf *b, long long days)
{
	long long y;
	int m, d;

	civil(days, &y, &m, &d);
	if (y < 0)
		buf_printf(b, "-%04lld-%02d-%02d", -y, m, d);
	else
		buf_printf(b, "%04lld-%02d-%02d", y, m, d);
}

static long long
floordiv(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* "[-]S[.F]" seconds (F up to 9 digits), or ≥17 bare digits read as nanoseconds, into whole
 * seconds (floored) and nanoseconds in [0, 1e9). Never through a double. */
static int
epoch_parse(const char *s, size_t n, long long *sec, long *ns)
{
	const char *dot;
	int neg = 0;
	long long whole = 0;
	long frac = 0;
	size_t i, ilen;

	if (n && *s == '-')
		neg = 1, s++, n--;
	dot = memchr(s, '.', n);
	ilen = dot ? (size_t)(dot - s) : n;
	if (!all_digits(s, ilen) || ilen > (dot ? 18 : 19))
		return -1;
	for (i = 0; i < ilen; i++) {
		if (whole > (INT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (dot) {
		size_t flen = n - ilen - 1;

		if (!all_digits(dot + 1, flen) || flen > 9)
			return -1;
		for (i = 0; i < 9; i++)
			frac = frac * 10 + (i < flen ? dot[1 + i] - '0' : 0);
	} else if (ilen >= 17) {	/* integer nanoseconds */
		frac = (long)(whole % 1000000000LL);
		whole /= 1000000000LL;
	}
	if (neg && frac) {
		*sec = -whole - 1;
		*ns = 1000000000L - frac;
	} else {
		*sec = neg ? -whole : whole;
		*ns = frac;
	}
	return 0;
}

static void
clock_append(struct buf *b, long long secofday, long ns, int scale)
{
	char f[16];

	buf_printf(b, "%02lld:%02lld:%02lld", secofday / 3600, secofday / 60 % 60, secofday % 60);
	if (scale > 0) {
		snprintf(f, sizeof f, "%09ld", ns);
		buf_add(b, ".", 1);
		buf_add(b, f, (size_t)(scale > 9 ? 9 : scale));
	}
}

static void
timestamp_append(struct buf *b, long long sec, long ns, int scale, int offset_min, int with_offset)
{
	long long local = sec + (long long)offset_min * 60;
	long long days = floordiv(local, 86400);
	int off = offset_min < 0 ? -offset_min : offset_min;

	date_append(b, days);
	buf_add(b, "T", 1);
	clock_append(b, local - days * 86400, ns, scale);
	if (with_offset)
		buf_printf(b, "%c%02d:%02d", offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* Copies JSON text compactly; integers beyond 2^53 become strings (jq 1.6 would round them).
 * The text has been validated. */
static void
json_compact_append(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
		} else if (c == '"') {
			for (j = i + 1; j < n && s[j] != '"'; j++)
				if (s[j] == '\\')
					j++;
			buf_add(b, s + i, j + 1 - i);
			i = j + 1;
		} else if (c == '-' || isdigit((unsigned char)c)) {
			int integral = 1;

			for (j = i; j < n && (isdigit((unsigned char)s[j]) || strchr("+-.eE", s[j])); j++)
				if (s[j] == '.' || s[j] == 'e' || s[j] == 'E')
					integral = 0;
			if (integral && !jsonl_text_exact(s + i, j - i))
				jsonl_str_append(b, s + i, j - i);
			else
				buf_add(b, s + i, j - i);
			i = j;
		} else {
			buf_add(b, s + i, 1);
			i++;
		}
	}
}

int
sf_value_append(struct buf *b, const struct sf_col *c, const char *s, size_t n)
{
	long long sec, days;
	long ns;
	const char *sp;
	int off;

	if (!s) {
		buf_add(b, "null", 4);
		return 0;
	}
	switch (c->type) {
	case SF_FIXED:
		if (c->scale == 0 && all_digits(s + (n && *s == '-'), n - (n && *s == '-'))) {
			if (jsonl_text_exact(s, n))
				buf_add(b, s, n);
			else
				jsonl_str_append(b, s, n);
			return 0;
		}
		if (!sf_is_decimal(s, n))
			return -1;
		jsonl_str_append(b, s, n);
		return 0;
	case SF_REAL:
		if (is_json_number(s, n)) {
			buf_add(b, s, n);
		} else {
			char tmp[64], *end;
			double d;

			if (n >= sizeof tmp)
				return -1;
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			d = strtod(tmp, &end);
			if (end == tmp || *end)
				return -1;
			if (d != d)
				buf_addstr(b, "\"NaN\"");
			else if (d > 1e308 || d < -1e308)
				buf_addstr(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
			else
				buf_printf(b, "%.17g", d);
		}
		return 0;
	case SF_BOOLEAN:
		if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 1 && *s == '1'))
			buf_add(b, "true", 4);
		else if ((n == 5 && memcmp(s, "false", 5) == 0) || (n == 1 && *s == '0'))
			buf_add(b, "false", 5);
		else
			return -1;
		return 0;
	case SF_DATE:
		if (!all_digits(s + (n && *s == '-'), n - (n && *s == '-')) || n > 12)
			return -1;
		days = strtoll(s, NULL, 10);
		buf_add(b, "\"", 1);
		date_append(b, days);
		buf_add(b, "\"", 1);
		return 0;
	case SF_TIME:
		if (epoch_parse(s, n, &sec, &ns) < 0 || sec < 0 || sec >= 86400)
			return -1;
		buf_add(b, "\"", 1);
		clock_append(b, sec, ns, c->scale);
		buf_add(b, "\"", 1);
		return 0;
	case SF_TIMESTAMP_NTZ:
	case SF_TIMESTAMP_LTZ:
		if (epoch_parse(s, n, &sec, &ns) < 0)
			return -1;
		buf_add(b, "\"", 1);
		timestamp_append(b, sec, ns, c->scale, 0, c->type == SF_TIMESTAMP_LTZ);
		buf_add(b, "\"", 1);
		return 0;
	case SF_TIMESTAMP_TZ:
		/* "<epoch seconds> <offset minutes + 1440>" */
		if (!(sp = memchr(s, ' ', n)) || !all_digits(sp + 1, n - (size_t)(sp - s) - 1) ||
		    n - (size_t)(sp - s) - 1 > 4 || epoch_parse(s, (size_t)(sp - s), &sec, &ns) < 0)
			return -1;
		off = atoi(sp + 1) - 1440;
		if (off < -1440 || off > 1440)
			return -1;
		buf_add(b, "\"", 1);
		timestamp_append(b, sec, ns, c->scale, off, 1);
		buf_add(b, "\"", 1);
		return 0;
	case SF_JSON: {
		json_error_t e;
		json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);

		if (!v)
			return -1;
		json_decref(v);
		json_compact_append(b, s, n);
		return 0;
	}
	default:	/* TEXT, BINARY (hex), DECFLOAT (exact), anything newer: the text */
		jsonl_str_append(b, s, n);
		return 0;
	}
}

int
sf_cols_parse(json_t *rowtype, struct sf_col **cols, size_t *ncols)
{
	size_t i, n;
	struct sf_col *c;
	json_t *t;

	if (!json_is_array(rowtype))
		return -1;
	n = json_array_size(rowtype);
	c = ecalloc(n ? n : 1, sizeof *c);
	json_array_foreach(rowtype, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		json_t *scale = json_object_get(t, "scale");
		struct buf k = {0};

		if (!name) {
			sf_cols_free(c, i);
			return -1;
		}
		c[i].name = estrdup(name);
		jsonl_str_append(&k, name, strlen(name));
		buf_add(&k, ":", 1);
		c[i].key = k.p;
		c[i].type = sf_type_of(json_string_value(json_object_get(t, "type")));
		c[i].scale = json_is_integer(scale) ? (int)json_integer_value(scale) :
		    (c[i].type == SF_FIXED ? 0 : 9);
		if (c[i].scale < 0 || c[i].scale > 38)
			c[i].scale = 9;
	}
	*cols = c;
	*ncols = n;
	return 0;
}

void
sf_cols_free(struct sf_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].key);
	}
	free(c);
}

/* The data array of a partition is read in place: a partition of small values would take many
 * times its size as a jansson tree. A cursor over JSON text: */
struct jscan {
	const char *p, *end;
};

static int
peek(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

static int
hex4(struct jscan *s, unsigned *v)
{
	int i;

	*v = 0;
	if (s->end - s->p < 4)
		return -1;
	for (i = 0; i < 4; i++, s->p++) {
		int c = (unsigned char)*s->p;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
utf8_add(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* At a '"': the unescaped string into out (NUL-terminated, may hold NULs). */
static int
read_string(struct jscan *s, struct buf *out)
{
	const char *run;

	buf_reset(out);
	buf_add(out, NULL, 0);
	run = ++s->p;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		unsigned cp, lo;

		if (c == '"') {
			buf_add(out, run, (size_t)(s->p++ - run));
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			s->p++;
			continue;
		}
		buf_add(out, run, (size_t)(s->p - run));
		if (s->end - s->p < 2)
			return -1;
		c = (unsigned char)s->p[1];
		s->p += 2;
		switch (c) {
		case '"': case '\\': case '/': buf_add(out, &s->p[-1], 1); break;
		case 'b': buf_add(out, "\b", 1); break;
		case 'f': buf_add(out, "\f", 1); break;
		case 'n': buf_add(out, "\n", 1); break;
		case 'r': buf_add(out, "\r", 1); break;
		case 't': buf_add(out, "\t", 1); break;
		case 'u':
			if (hex4(s, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
					return -1;
				s->p += 2;
				if (hex4(s, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -1;
			}
			utf8_add(out, cp);
			break;
		default:
			return -1;
		}
		run = s->p;
	}
	return -1;
}

static int
skip_string(struct jscan *s)
{
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '\\')
			s->p++;
		else if (*s->p == '"') {
			s->p++;
			return 0;
		}
	}
	return -1;
}

static int
skip_value(struct jscan *s)
{
	int c = peek(s), depth = 0;
	const char *start = s->p;

	if (c == '"')
		return skip_string(s);
	if (c == '{' || c == '[') {
		while (s->p < s->end) {
			c = (unsigned char)*s->p;
			if (c == '"') {
				if (skip_string(s) < 0)
					return -1;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0) {
				s->p++;
				return 0;
			}
			s->p++;
		}
		return -1;
	}
	while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
		s->p++;
	return s->p > start ? 0 : -1;
}

/* Past what follows a member or an element: 1 at the object's or array's close, 0 at a
 * comma (another follows), -1 at anything else. */
static int
list_next(struct jscan *s, int close)
{
	int c = peek(s);

	s->p++;
	return c == close ? 1 : c == ',' ? 0 : -1;
}

/* The span of the top-level "data" member of the JSON object in [p, end). 0 found, 1 not, -1
 * not an object. */
int
sf_rows_find_data(const char *p, const char *end, const char **a, const char **b)
{
	struct jscan s = { p, end };
	struct buf key = {0};
	int found = 1, c;

	if (peek(&s) != '{')
		return -1;
	s.p++;
	if (peek(&s) == '}')
		return 1;
	for (;;) {
		if (peek(&s) != '"' || read_string(&s, &key) < 0 || peek(&s) != ':')
			goto bad;
		s.p++;
		peek(&s);
		if (strcmp(key.p, "data") == 0) {
			*a = s.p;
			if (skip_value(&s) < 0)
				goto bad;
			*b = s.p;
			found = 0;
		} else if (skip_value(&s) < 0) {
			goto bad;
		}
		if ((c = list_next(&s, '}')) < 0)
			goto bad;
		if (c)
			break;
	}
	buf_free(&key);
	return found;
bad:
	buf_free(&key);
	return -1;
}

long
sf_rows_scan(const char *text, size_t len, const struct sf_col *cols, size_t ncols, sf_row_fn row,
    void *arg)
{
	struct jscan s = { text, text + len };
	struct buf line = {0}, val = {0};
	long n = 0;
	size_t i;
	int c;

	if (peek(&s) != '[')
		goto bad;
	s.p++;
	if (peek(&s) == ']')
		goto done;
	for (;;) {
		if (peek(&s) != '[')
			goto bad;
		s.p++;
		buf_reset(&line);
		buf_add(&line, "{", 1);
		for (i = 0;; i++) {
			c = peek(&s);
			if (c == ']' && (i == ncols || (i == 0 && ncols == 0))) {
				s.p++;
				break;
			}
			if (i >= ncols)
				goto bad;
			if (i > 0) {
				if (c != ',')
					goto bad;
				s.p++;
				c = peek(&s);
				buf_add(&line, ",", 1);
			}
			buf_addstr(&line, cols[i].key);
			if (c == '"') {
				if (read_string(&s, &val) < 0 ||
				    sf_value_append(&line, &cols[i], val.p, val.len) < 0)
					goto bad;
			} else if (s.end - s.p >= 4 && memcmp(s.p, "null", 4) == 0) {
				s.p += 4;
				buf_add(&line, "null", 4);
			} else {
				goto bad;
			}
		}
		buf_add(&line, "}\n", 2);
		row(line.p, line.len, arg);
		n++;
		if ((c = list_next(&s, ']')) < 0)
			goto bad;
		if (c)
			break;
	}
done:
	buf_free(&line);
	buf_free(&val);
	return n;
bad:
	buf_free(&line);
	buf_free(&val);
	return -1 - n;
}
