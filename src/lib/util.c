/* util.c: diagnostics, allocation, buffers. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

char *argv0 = "dbx2sf";
int verbose;

void
setprogname(const char *path)
{
	const char *s = strrchr(path, '/');

	argv0 = (char *)(s ? s + 1 : path);
	signal(SIGPIPE, SIG_IGN);
}

void
stdout_fail(void)
{
	int e = errno;

	if (e == EPIPE)
		exit(EX_IOERR);
	die(EX_IOERR, "<stdout>: %s", e ? strerror(e) : "write error");
}

void
stdout_close(void)
{
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* A failure flushed earlier left the error flag but perhaps no errno. */
		stdout_fail();
	}
	if (fclose(stdout) == EOF)
		stdout_fail();
}

static void
vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", argv0);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(code);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void
progress(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void *
emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EX_OSERR, "out of memory");
	return p;
}

void *
ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(EX_OSERR, "out of memory");
	return p;
}

void *
erealloc(void *p, size_t n)
{
	if (!(p = realloc(p, n ? n : 1)))
		die(EX_OSERR, "out of memory");
	return p;
}

char *
estrdup(const char *s)
{
	return estrndup(s, strlen(s));
}

char *
estrndup(const char *s, size_t n)
{
	char *p = emalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
esprintf(const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.p;
}

int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
size_parse(const char *s, long long *v, const char **end, const char **why)
{
	const char *p = s;
	long long n = 0;
	int shift = 0;

	if (!*s) {
		*why = "empty";
		return -1;
	}
	if (*p < '0' || *p > '9') {
		*why = "not a size";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (LLONG_MAX - (*p - '0')) / 10) {
			*why = "too large";
			return -1;
		}
		n = n * 10 + (*p - '0');
	}
	switch (*p) {
	case 'K': case 'k': shift = 10; p++; break;
	case 'M': case 'm': shift = 20; p++; break;
	case 'G': case 'g': shift = 30; p++; break;
	}
	if (*p == 'B' || *p == 'b')
		p++;
	if (end)
		*end = p;
	else if (*p) {
		*why = "not a size";
		return -1;
	}
	if (n > LLONG_MAX >> shift) {
		*why = "too large";
		return -1;
	}
	*v = n << shift;
	return 0;
}

long long
esize_parse(const char *s, const char *flag)
{
	const char *why;
	long long v;

	if (size_parse(s, &v, NULL, &why) != 0)
		die(EX_USAGE, "%s %s: not a size%s%s (bytes, or with K, M, G)", flag, s,
		    strcmp(why, "not a size") ? ": " : "", strcmp(why, "not a size") ? why : "");
	return v;
}

char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct buf b = {0};
	char chunk[65536];
	size_t n;

	if (!f)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	buf_add(&b, NULL, 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	if (len)
		*len = b.len;
	return b.p;
}

char *
urlencode(const char *s, int encode_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};

	buf_add(&b, NULL, 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
			buf_add(&b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			buf_add(&b, e, 3);
		}
	}
	return b.p;
}

/* Room for n more bytes and the NUL. */
static void
buf_grow(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + n + 1 <= b->cap)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->p = erealloc(b->p, cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0)
		die(EX_SOFTWARE, "buf_vprintf: %s", strerror(errno));
	buf_grow(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- the stop flag ---- */

volatile sig_atomic_t stop_requested;

static void
stop_on_signal(int sig)
{
	/* The first signal cancels the statement; a second one does not wait for that. */
	if (stop_requested)
		_Exit(128 + sig);
	stop_requested = sig;
}

void
stop_signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
stop_status(int rc)
{
	return rc == STOP_INTERRUPTED ? 128 + (int)stop_requested : rc;
}

/* ---- decimal text ---- */

/* The plain text of a decimal literal [+-]digits[.digits][(e|E)[+-]digits], as BigDecimal's
 * toPlainString gives it: no exponent, the scale kept (1E-10 -> 0.0000000001, 0E-10 ->
 * 0.0000000000, 1.5E+3 -> 1500), no '+'. NULL when s is not such a literal or its exponent
 * would make more than 4096 digits. The caller frees the result. */
char *
decimal_plain_dup(const char *s)
{
	const char *p = s, *ip, *fp = NULL;
	size_t ni = 0, nf = 0, i;
	long e = 0;
	int neg = 0, eneg = 0;
	struct buf b = {0};

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (ip = p; isdigit((unsigned char)*p); p++)
		ni++;
	if (*p == '.') {
		fp = ++p;
		for (; isdigit((unsigned char)*p); p++)
			nf++;
	}
	if (ni + nf == 0 || (fp && nf == 0 && ni == 0))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			eneg = *p++ == '-';
		if (!isdigit((unsigned char)*p))
			return NULL;
		for (; isdigit((unsigned char)*p); p++)
			if ((e = e * 10 + (*p - '0')) > 4096)
				return NULL;
		if (eneg)
			e = -e;
	}
	if (*p)
		return NULL;
	/* The digits d (integer then fraction) times 10^(e - nf). */
	{
		long scale = (long)nf - e;	/* digits after the point */
		char *d = emalloc(ni + nf + 1);
		size_t n = ni + nf, lead;

		memcpy(d, ip, ni);
		if (nf)
			memcpy(d + ni, fp, nf);
		d[n] = '\0';
		if (neg && strspn(d, "0") < n)	/* no negative zero, as BigDecimal */
			buf_add(&b, "-", 1);
		if (scale <= 0) {
			for (lead = 0; lead + 1 < n && d[lead] == '0'; lead++)
				;
			buf_addstr(&b, d + lead);
			for (i = 0; i < (size_t)-scale; i++)
				buf_add(&b, "0", 1);
		} else if ((size_t)scale >= n) {
			buf_add(&b, "0.", 2);
			for (i = 0; i < (size_t)scale - n; i++)
				buf_add(&b, "0", 1);
			buf_addstr(&b, d);
		} else {
			size_t ip_len = n - (size_t)scale;

			for (lead = 0; lead + 1 < ip_len && d[lead] == '0'; lead++)
				;
			buf_add(&b, d + lead, ip_len - lead);
			buf_add(&b, ".", 1);
			buf_addstr(&b, d + ip_len);
		}
		free(d);
	}
	return b.p;
}
