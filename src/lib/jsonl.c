/* jsonl.c: JSON lines in and out. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "util.h"

#define JSON_SAFE_MAX 9007199254740992LL	/* 2^53 */

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
	    putchar('\n') == EOF) {
		if (errno == EPIPE)
			exit(EX_IOERR);
		die(EX_IOERR, "standard output: %s", strerror(errno));
	}
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
	v = json_loadb(line, (size_t)n, 0, &e);
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

json_t *
jsonl_int(long long v)
{
	char s[32];

	if (v <= JSON_SAFE_MAX && v >= -JSON_SAFE_MAX)
		return json_integer(v);
	snprintf(s, sizeof s, "%lld", v);
	return json_string(s);
}
