/* t.h: a tiny unit-test harness. Each *_test.c includes it, calls T_CHECK and ends with T_DONE. */
#ifndef DBX2SF_T_H
#define DBX2SF_T_H
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define T_CHECK(cond, ...) do { \
	if (cond) { t_pass++; } else { t_fail++; \
		fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define T_STREQ(got, want) do { const char *g_ = (got), *w_ = (want); \
	T_CHECK(g_ && strcmp(g_, w_) == 0, "%s: got \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)", w_); \
} while (0)

#define T_DONE() do { \
	printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail); \
	return t_fail ? 1 : 0; \
} while (0)
#endif
