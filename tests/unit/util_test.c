/* util_test.c: buffers, formatting, percent-encoding, reading a whole file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"
#include "t.h"

int
main(void)
{
	struct buf b = {0};
	char err[16], path[] = "/tmp/util_test.XXXXXX", *s, *big;
	size_t i, len;
	int fd;

	buf_printf(&b, "%s-%d", "a", 1);
	buf_add(&b, "xyz", 2);
	buf_printf(&b, "%c", '!');
	T_STREQ(b.p, "a-1xy!");
	T_CHECK(b.len == 6, "len %zu", b.len);
	big = emalloc(5000);
	memset(big, 'q', 4999);
	big[4999] = '\0';
	buf_printf(&b, "%s", big);
	T_CHECK(b.len == 5005 && b.p[5005] == '\0' && b.p[5004] == 'q', "grows past its capacity");
	buf_reset(&b);
	T_STREQ(b.p, "");
	buf_free(&b);
	free(big);

	s = esprintf("%05d|%s", 42, "z");
	T_STREQ(s, "00042|z");
	free(s);
	T_CHECK(errf(err, sizeof err, "%s", "a reason longer than the buffer") == -1, "errf returns -1");
	T_STREQ(err, "a reason longer");

	s = urlencode("date=2025-11-15/a b+c~_.-é", 0);
	T_STREQ(s, "date%3D2025-11-15/a%20b%2Bc~_.-%C3%A9");
	free(s);
	s = urlencode("a/b", 1);
	T_STREQ(s, "a%2Fb");
	free(s);

	fd = mkstemp(path);
	T_CHECK(fd >= 0 && write(fd, "one\ntwo\0three", 13) == 13, "temp file");
	close(fd);
	s = slurp(path, &len);
	T_CHECK(len == 13 && memcmp(s, "one\ntwo\0three", 13) == 0 && s[13] == '\0', "slurp keeps every byte");
	free(s);
	unlink(path);
	for (i = 0; i < 3; i++) {
		s = estrndup("abcdef", i);
		T_CHECK(strlen(s) == i, "estrndup %zu", i);
		free(s);
	}
	T_DONE();
}
