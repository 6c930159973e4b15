/* databricks_valid.c: validation and quoting of what dbx-export splices into SQL, and file
 * sizing (see databricks.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "databricks.h"

/* Validation */

int
dbx_valid_s3url(const char *s)
{
	const char *p, *b;
	size_t n;

	if (strncmp(s, "s3://", 5) != 0)
		return 0;
	/* bucket: S3's rules for new buckets */
	for (b = p = s + 5; *p && *p != '/'; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '-'))
			return 0;
	n = (size_t)(p - b);
	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)p[-1]))
		return 0;
	/* prefix: segments of safe characters; no quote, backslash, blank or empty segment */
	while (*p == '/') {
		const char *seg = ++p;

		while (*p && *p != '/') {
			if (!(isalnum((unsigned char)*p) || strchr("._=+-", *p)))
				return 0;
			p++;
		}
		if (p == seg && *p)		/* "//" */
			return 0;
		if ((p - seg == 1 && seg[0] == '.') || (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
	}
	return *p == '\0';
}

int
dbx_valid_dataset(const char *s)
{
	const char *p;

	if (!isalnum((unsigned char)*s) || strlen(s) > 255)
		return 0;
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-", *p)))
			return 0;
	return 1;
}

char *
dbx_quote_ident(const char *s)
{
	struct buf b = { 0 };

	buf_add(&b, "`", 1);
	for (; *s; s++) {
		if (*s == '`')
			buf_add(&b, "`", 1);
		buf_add(&b, s, 1);
	}
	buf_add(&b, "`", 1);
	return b.p;
}

char *
dbx_quote_table(const char *s)
{
	struct buf b = { 0 };
	const char *p;

	buf_add(&b, "`", 1);
	for (p = s; *p; p++) {
		if (*p == '.')
			buf_addstr(&b, "`.`");
		else
			buf_add(&b, p, 1);
	}
	buf_add(&b, "`", 1);
	return b.p;
}

long long
dbx_file_count(long long est, long long target)
{
	if (target <= 0 || est <= 0)
		return 1;
	return est / target + (est % target != 0);
}

long long
dbx_slice_bytes(long long table_bytes, long long slice_rows, long long total_rows)
{
	long double v;

	if (total_rows <= 0 || slice_rows <= 0 || table_bytes <= 0)
		return 0;
	if (slice_rows >= total_rows)
		return table_bytes;
	v = (long double)table_bytes * (long double)slice_rows / (long double)total_rows;
	return (long long)v + ((long double)(long long)v < v);	/* rounded up, without libm */
}
