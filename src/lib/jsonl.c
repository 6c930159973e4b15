/* jsonl.c: JSON lines in and out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "util.h"

static int
put(const char *p, size_t n, void *arg)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

void
jsonl_print(const json_t *v)
{
	if (json_dump_callback(v, put, NULL, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) != 0 ||
	    putchar('\n') == EOF)
		stdout_fail();
}

json_t *
jsonl_read(FILE *f, const char *name, size_t *lineno)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	json_t *v;
	json_error_t e;

	for (;;) {
		if ((n = getline(&line, &cap, f)) < 0) {
			if (ferror(f))
				die(EX_IOERR, "%s: %s", name, strerror(errno));
			free(line);
			return NULL;
		}
		(*lineno)++;
		if (strspn(line, " \t\r\n") != (size_t)n)
			break;
	}
	v = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &e);
	free(line);
	if (!v)
		die(EX_DATAERR, "%s:%zu: not JSON: %s", name, *lineno, e.text);
	if (!json_is_object(v))
		die(EX_DATAERR, "%s:%zu: not a JSON object", name, *lineno);
	return v;
}

const char *
json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
jsonl_text_exact(const char *s, size_t n)
{
	static const char max[] = "9007199254740992";	/* 2^53 */

	if (n && (*s == '-' || *s == '+'))
		s++, n--;
	while (n > 1 && *s == '0')
		s++, n--;
	return n < sizeof max - 1 || (n == sizeof max - 1 && memcmp(s, max, n) <= 0);
}

int
jsonl_int_exact(long long v)
{
	char s[32];

	return jsonl_text_exact(s, (size_t)snprintf(s, sizeof s, "%lld", v));
}

json_t *
jsonl_int(long long v)
{
	char s[32];

	if (jsonl_int_exact(v))
		return json_integer(v);
	snprintf(s, sizeof s, "%lld", v);
	return json_string(s);
}

int
jsonl_int_append(struct buf *b, const char *s, size_t n)
{
	size_t i = n && (*s == '-' || *s == '+'), d;

	if (i == n)
		return -1;
	for (d = i; d < n; d++)
		if (s[d] < '0' || s[d] > '9')
			return -1;
	if (!jsonl_text_exact(s, n)) {
		jsonl_str_append(b, s, n);
		return 0;
	}
	d = i;
	while (d < n - 1 && s[d] == '0')
		d++;
	if (*s == '-' && !(n - d == 1 && s[d] == '0'))
		buf_add(b, "-", 1);
	buf_add(b, s + d, n - d);
	return 0;
}

void
jsonl_str_append(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			buf_add(b, e, 6);
		}
		}
	}
	buf_add(b, s + run, n - run);
	buf_add(b, "\"", 1);
}
