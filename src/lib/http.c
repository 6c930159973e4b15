/* http.c: libcurl configured once, with retry and jittered backoff for every caller. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "http.h"

#define DEFAULT_TRIES	6
#define BACKOFF_BASE_MS	250
#define BACKOFF_CAP_MS	20000
#define RETRY_AFTER_CAP	120	/* seconds; a longer Retry-After is not worth blocking a load for */

/* One cache of connections, DNS answers and TLS sessions for every request of the tool, so
 * that sequential requests (pages of a listing, polls of a statement) reuse one connection.
 * The tools are single-threaded: no lock functions are needed. */
static CURLSH *share;

static void
http_cleanup(void)
{
	if (share && curl_share_cleanup(share) == CURLSHE_OK)
		share = NULL;
	curl_global_cleanup();
}

void
http_init(void)
{
	if (share)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die(EX_SOFTWARE, "libcurl initialisation failed");
	if (!(share = curl_share_init()) ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
		die(EX_SOFTWARE, "libcurl: cannot share connections");
	atexit(http_cleanup);
}

void
http_headers_free(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p; p = p->next)
		if (p->data)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

int
http_token_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("!#$%&'*+-.^_`|~", s[i])) || !s[i])
			return 0;
	return n > 0;
}

int
http_value_valid(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s) && *s != '\t')
			return 0;
	return 1;
}

/* The headers kept from a response. */
static void
resp_headers_free(struct http_resp *r)
{
	free(r->content_type);
	free(r->content_range);
	free(r->retry_after);
	free(r->amz_bucket_region);
	r->content_type = r->content_range = r->retry_after = r->amz_bucket_region = NULL;
}

void
http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
	resp_headers_free(r);
}

static void
resp_reset(struct http_resp *r)
{
	buf_reset(&r->body);
	resp_headers_free(r);
	r->status = 0;
	r->err[0] = '\0';
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* Keeps the few response headers callers look at. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	static const struct { const char *name; size_t off; } keep[] = {
		{ "content-type:", offsetof(struct http_resp, content_type) },
		{ "content-range:", offsetof(struct http_resp, content_range) },
		{ "retry-after:", offsetof(struct http_resp, retry_after) },
		{ "x-amz-bucket-region:", offsetof(struct http_resp, amz_bucket_region) },
	};
	struct http_resp *r = arg;
	size_t len = size * n, i, k;

	for (i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		size_t nl = strlen(keep[i].name);
		char **slot = (char **)((char *)r + keep[i].off);

		if (len < nl || strncasecmp(p, keep[i].name, nl) != 0)
			continue;
		for (k = nl; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		while (len > k && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		free(*slot);
		*slot = estrndup(p + k, len - k);
	}
	return size * n;
}

/* A stoppable request ends at once on a stop request (Ctrl-C). */
static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)arg, (void)dt, (void)dn, (void)ut, (void)un;
	return stop_requested != 0;
}

static const char *
req_name(const struct http_req *q)
{
	return q->what ? q->what : q->url;
}

/* A handle for one try of q, or NULL with r->err set: an option that keeps a request safe (TLS
 * verification, the protocols allowed, the shared cache) that libcurl refuses is never ignored. */
static CURL *
handle_new(const struct http_req *q, const char *url, struct http_resp *r)
{
	CURL *h = curl_easy_init();
	const char *ca = getenv("CURL_CA_BUNDLE");
	CURLcode c;

	if (!h) {
		snprintf(r->err, sizeof r->err, "%s: libcurl: cannot create a handle", req_name(q));
		return NULL;
	}
	if ((c = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https")) != CURLE_OK ||
	    (ca && *ca && (c = curl_easy_setopt(h, CURLOPT_CAINFO, ca)) != CURLE_OK) ||
	    (c = curl_easy_setopt(h, CURLOPT_SHARE, share)) != CURLE_OK) {
		snprintf(r->err, sizeof r->err, "%s: libcurl: %s", req_name(q), curl_easy_strerror(c));
		curl_easy_cleanup(h);
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dbx2sf/" VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	/* A stalled transfer fails and is retried rather than hanging a load for ever. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (q->http1)
		curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_PRIVATE, r);
	if (q->stoppable) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (!q->method || strcmp(q->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? (const char *)q->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body ? q->bodylen : 0));
		if (strcmp(q->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
	}
	return h;
}

static int
status_retryable(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* Transport errors worth another try; the rest (bad URL, TLS verification) will not mend. */
static int
curl_retryable(CURLcode c, int idempotent)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
		return 1;
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
		/* The request may have reached the service: resend only what is safe to resend. */
		return idempotent;
	default:
		return 0;
	}
}

static long
jitter_ms(int try)
{
	long cap = BACKOFF_BASE_MS << (try < 16 ? try : 16);
	unsigned int r = 0;

	if (cap > BACKOFF_CAP_MS)
		cap = BACKOFF_CAP_MS;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (unsigned int)rand();
	/* "Full jitter": spreads out clients that failed together. */
	return cap / 2 + (long)(r % (unsigned long)(cap / 2 + 1));
}

/* How long to wait before the next try: the service's Retry-After if it gave one. */
static long
delay_ms(const struct http_resp *r, int try)
{
	if (r->retry_after) {
		char *end;
		long s = strtol(r->retry_after, &end, 10);
		time_t t;

		if (end != r->retry_after && *end == '\0' && s >= 0)
			return (s > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : s) * 1000;
		if ((t = curl_getdate(r->retry_after, NULL)) > 0) {
			s = (long)(t - time(NULL));
			if (s < 0)
				s = 0;
			return (s > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : s) * 1000;
		}
	}
	return jitter_ms(try);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Why a try failed, for the progress line. */
static const char *
why(CURLcode c, const struct http_resp *r)
{
	static char s[64];

	if (c != CURLE_OK)
		return curl_easy_strerror(c);
	snprintf(s, sizeof s, "HTTP %ld%s", r->status, r->status == 429 ? " (throttled)" : "");
	return s;
}

/* The final word after the last try, as a sysexits code and a one-line reason. */
static int
give_up(const struct http_req *q, CURLcode c, const char *cerr, struct http_resp *r, int tries)
{
	if (c != CURLE_OK) {
		snprintf(r->err, sizeof r->err, "%s: %s%s", req_name(q), *cerr ? cerr : curl_easy_strerror(c),
		    tries > 1 ? " (after retries)" : "");
		return c == CURLE_OPERATION_TIMEDOUT ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	snprintf(r->err, sizeof r->err, "%s: HTTP %ld after %d tries", req_name(q), r->status, tries);
	return r->status == 429 || r->status == 504 ? EX_TEMPFAIL : EX_UNAVAILABLE;
}

int
http_do(const struct http_req *q, struct http_resp *r)
{
	int tries = q->tries > 0 ? q->tries : DEFAULT_TRIES, try;
	char cerr[CURL_ERROR_SIZE];

	for (try = 1;; try++) {
		const char *url = try > 1 && q->retry_url ? q->retry_url : q->url;
		CURL *h;
		CURLcode c;
		long ms;

		resp_reset(r);
		if (!(h = handle_new(q, url, r)))
			return EX_SOFTWARE;
		cerr[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
		c = curl_easy_perform(h);
		if (c == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_cleanup(h);
		if (c == CURLE_ABORTED_BY_CALLBACK && q->stoppable) {
			snprintf(r->err, sizeof r->err, "%s: stopped", req_name(q));
			return STOP_INTERRUPTED;
		}
		if (c == CURLE_OK && !status_retryable(r->status))
			return 0;
		if (c != CURLE_OK && !curl_retryable(c, q->idempotent))
			return give_up(q, c, cerr, r, 1);
		if (try >= tries)
			return give_up(q, c, cerr, r, try);
		ms = delay_ms(r, try);
		progress("%s: %s; retrying in %ld.%03lds (try %d of %d)", req_name(q), why(c, r),
		    ms / 1000, ms % 1000, try + 1, tries);
		sleep_ms(ms);
	}
}

/* The pool: one multi handle; transfers wait in a queue, run, and may come back for a retry. */
struct transfer {
	struct http_req req;		/* url/method/what copied; headers owned */
	char *url, *retry_url, *method, *what;
	struct http_resp resp;
	CURL *h;
	char cerr[CURL_ERROR_SIZE];
	http_done_fn done;
	void *arg;
	int try;
	struct timespec not_before;
	struct transfer *next;
};

struct http_pool {
	CURLM *m;
	int max, running, pending;
	struct transfer *queue, *queue_tail;
	struct transfer *failed;	/* no handle could be made: done with EX_SOFTWARE */
};

struct http_pool *
http_pool_new(int max)
{
	struct http_pool *p = ecalloc(1, sizeof *p);

	if (!(p->m = curl_multi_init()))
		die(EX_SOFTWARE, "libcurl: cannot create a multi handle");
	p->max = max > 0 ? max : 1;
	curl_multi_setopt(p->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)p->max);
	return p;
}

static void
enqueue(struct http_pool *p, struct transfer *t)
{
	t->next = NULL;
	if (p->queue_tail)
		p->queue_tail->next = t;
	else
		p->queue = t;
	p->queue_tail = t;
}

void
http_pool_add(struct http_pool *p, const struct http_req *q, http_done_fn done, void *arg)
{
	struct transfer *t = ecalloc(1, sizeof *t);

	t->req = *q;
	t->req.url = t->url = estrdup(q->url);
	t->req.retry_url = t->retry_url = q->retry_url ? estrdup(q->retry_url) : NULL;
	t->req.method = t->method = estrdup(q->method ? q->method : "GET");
	t->req.what = t->what = q->what ? estrdup(q->what) : NULL;
	t->done = done;
	t->arg = arg;
	if (q->ahead) {
		t->next = p->queue;
		p->queue = t;
		if (!p->queue_tail)
			p->queue_tail = t;
	} else {
		enqueue(p, t);
	}
	p->pending++;
}

static int
due(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void
transfer_free(struct transfer *t)
{
	http_headers_free(t->req.headers);
	free(t->url);
	free(t->retry_url);
	free(t->method);
	free(t->what);
	http_resp_free(&t->resp);
	free(t);
}

static void
start_due(struct http_pool *p)
{
	struct transfer **pp = &p->queue, *t;

	p->queue_tail = NULL;
	while ((t = *pp)) {
		if (p->running < p->max && due(&t->not_before)) {
			*pp = t->next;
			t->try++;
			resp_reset(&t->resp);
			t->h = handle_new(&t->req, t->try > 1 && t->retry_url ? t->retry_url : t->url, &t->resp);
			if (!t->h) {
				/* Its callback runs from pool_step, once the queue is whole again. */
				t->next = p->failed;
				p->failed = t;
				continue;
			}
			t->cerr[0] = '\0';
			curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->cerr);
			curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
			curl_easy_setopt(t->h, CURLOPT_WRITEDATA, &t->resp.body);
			curl_easy_setopt(t->h, CURLOPT_HEADERDATA, &t->resp);
			curl_multi_add_handle(p->m, t->h);
			p->running++;
			continue;
		}
		p->queue_tail = t;
		pp = &t->next;
	}
}

static void
finish(struct http_pool *p, struct transfer *t, CURLcode c)
{
	int tries = t->req.tries > 0 ? t->req.tries : DEFAULT_TRIES, rc = 0;

	if (c == CURLE_OK)
		curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &t->resp.status);
	curl_multi_remove_handle(p->m, t->h);
	curl_easy_cleanup(t->h);
	t->h = NULL;
	p->running--;
	if ((c == CURLE_OK && status_retryable(t->resp.status)) ||
	    (c != CURLE_OK && curl_retryable(c, t->req.idempotent))) {
		if (t->try < tries) {
			long ms = delay_ms(&t->resp, t->try);

			progress("%s: %s; retrying in %ld.%03lds (try %d of %d)", req_name(&t->req),
			    why(c, &t->resp), ms / 1000, ms % 1000, t->try + 1, tries);
			clock_gettime(CLOCK_MONOTONIC, &t->not_before);
			t->not_before.tv_sec += ms / 1000;
			t->not_before.tv_nsec += (ms % 1000) * 1000000L;
			if (t->not_before.tv_nsec >= 1000000000L) {
				t->not_before.tv_sec++;
				t->not_before.tv_nsec -= 1000000000L;
			}
			enqueue(p, t);
			return;
		}
		rc = give_up(&t->req, c, t->cerr, &t->resp, t->try);
	} else if (c == CURLE_ABORTED_BY_CALLBACK && t->req.stoppable) {
		snprintf(t->resp.err, sizeof t->resp.err, "%s: stopped", req_name(&t->req));
		rc = STOP_INTERRUPTED;
	} else if (c != CURLE_OK) {
		rc = give_up(&t->req, c, t->cerr, &t->resp, 1);
	}
	p->pending--;
	t->done(rc, &t->resp, t->arg);
	transfer_free(t);
}

/* One round: start what may start, move data, hand out what completed. */
static void
pool_step(struct http_pool *p)
{
	CURLMsg *msg;
	struct transfer *t;
	int n, left, completed = 0;

	start_due(p);
	while ((t = p->failed)) {
		p->failed = t->next;
		p->pending--;
		t->done(EX_SOFTWARE, &t->resp, t->arg);
		transfer_free(t);
		completed++;
	}
	curl_multi_perform(p->m, &n);
	while ((msg = curl_multi_info_read(p->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		finish(p, t, msg->data.result);
		completed++;
	}
	if (!completed && p->pending)
		curl_multi_poll(p->m, NULL, 0, p->running ? 1000 : 50, NULL);
}

void
http_pool_run(struct http_pool *p)
{
	while (p->pending)
		pool_step(p);
}

int
http_pool_step(struct http_pool *p)
{
	if (p->pending)
		pool_step(p);
	return p->pending;
}

long
http_poll_delay_ms(long prev_ms, double elapsed_s)
{
	long next = prev_ms <= 0 ? 50 : prev_ms + prev_ms / 2, cap = elapsed_s < 60 ? 1000 : 5000;

	return next > cap ? cap : next;
}

void
http_pool_free(struct http_pool *p)
{
	struct transfer *t;

	if (!p)
		return;
	while ((t = p->queue)) {
		p->queue = t->next;
		transfer_free(t);
	}
	curl_multi_cleanup(p->m);
	free(p);
}
