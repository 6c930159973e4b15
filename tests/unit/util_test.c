/* util_test.c: buffers, formatting, percent-encoding, reading a whole file, sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"
#include "t.h"

static void
sizes(void)
{
	static const struct { const char *s; long long v; } ok[] = {
		{ "0", 0 }, { "52428800", 52428800 }, { "1K", 1024 }, { "200M", 200LL << 20 },
		{ "200m", 200LL << 20 }, { "1G", 1LL << 30 }, { "1GB", 1LL << 30 }, { "7b", 7 },
		{ "0G", 0 }, { "8589934591G", 8589934591LL << 30 },	/* the largest G that fits */
		{ "9223372036854775807", 9223372036854775807LL },
	};
	static const struct { const char *s, *why; } bad[] = {
		{ "", "empty" }, { "-1", "not a size" }, { "+1", "not a size" }, { " 1", "not a size" },
		{ "M", "not a size" }, { "1T", "not a size" }, { "1MM", "not a size" },
		{ "1 M", "not a size" }, { "1M ", "not a size" }, { "0x10", "not a size" },
		{ "9000000000G", "too large" }, { "8589934592G", "too large" },
		{ "9223372036854775808", "too large" }, { "99999999999999999999999", "too large" },
		{ "9007199254740992K", "too large" },
	};
	const char *why, *end;
	long long v;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		v = -1;
		T_CHECK(size_parse(ok[i].s, &v, NULL, &why) == 0 && v == ok[i].v, "size %s: %lld", ok[i].s, v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		v = 42;
		T_CHECK(size_parse(bad[i].s, &v, NULL, &why) == -1 && v == 42 && why &&
		    strcmp(why, bad[i].why) == 0, "size \"%s\": %s", bad[i].s, why ? why : "accepted");
	}
	T_CHECK(size_parse("100M-250M", &v, &end, &why) == 0 && v == 100LL << 20 && strcmp(end, "-250M") == 0,
	    "a range's first size, end at the rest");
	T_CHECK(size_parse("9000000000G-1G", &v, &end, &why) == -1 && strcmp(why, "too large") == 0,
	    "a range's first size too large");
	T_CHECK(esize_parse("128M", "-s") == 128LL << 20, "esize_parse");
}

/* decimal_plain_dup's answer, or "NULL". */
static void
plain(const char *in, const char *want)
{
	char *got = decimal_plain_dup(in);

	T_STREQ(got ? got : "NULL", want);
	free(got);
}

static void
test_decimal_plain(void)
{
	plain("0", "0");
	plain("007.50", "7.50");
	plain("-0.10", "-0.10");
	plain("1E-10", "0.0000000001");
	plain("0E-10", "0.0000000000");
	plain("-0E-3", "0.000");
	plain("1.5e+3", "1500");
	plain("12.345E1", "123.45");
	plain("12.345E-1", "1.2345");
	plain("-12.345E-2", "-0.12345");
	plain("99999999999999999999999999999999999999E-10", "9999999999999999999999999999.9999999999");
	plain("1.", "1");
	plain(".5", "0.5");
	plain("+3", "3");
	plain("", "NULL");
	plain(".", "NULL");
	plain("-", "NULL");
	plain("1e", "NULL");
	plain("1e-", "NULL");
	plain("e5", "NULL");
	plain("1e4097", "NULL");
	plain("1 ", "NULL");
	plain("0x10", "NULL");
	plain("Infinity", "NULL");
}

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
	test_decimal_plain();
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
	sizes();
	T_DONE();
}
