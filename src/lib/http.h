/* http.h: the one HTTP layer over libcurl. Every request goes through here, so timeouts, TLS
 * verification, the user agent, and retry with jittered backoff live in one place. */
#ifndef DBX2SF_HTTP_H
#define DBX2SF_HTTP_H

#include <curl/curl.h>
#include "util.h"

struct http_req {
	const char *method;		/* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *url;
	const char *retry_url;		/* if set, used instead of url for every resend (Snowflake's
					 * "&retry=true" makes a resubmit idempotent) */
	struct curl_slist *headers;	/* complete, already signed; not freed by http */
	const void *body;
	size_t bodylen;
	const char *what;		/* names the request in diagnostics: "s3://b/k", "statement 01b…" */
	int tries;			/* attempts in all; 0 means the default (6) */
	int idempotent;			/* resend after a connection error even once the request was sent */
};

struct http_resp {
	long status;			/* 0 when no response was received */
	struct buf body;		/* decoded (gzip/deflate handled by curl) */
	char *content_type;		/* NULL when absent */
	char *content_range;
	char *retry_after;
	char *amz_bucket_region;	/* S3's x-amz-bucket-region */
	char err[256];			/* with a non-zero http_do return: one line naming what failed */
};

void http_init(void);			/* once, from main */
void http_resp_free(struct http_resp *);

/* Perform req, retrying 429, 500, 502, 503, 504 and transport errors with jittered exponential
 * backoff (Retry-After honoured, capped). Returns 0 when a final response arrived (any status: the
 * caller judges it), else a sysexits code with resp->err set: EX_TEMPFAIL when still throttled or
 * timed out after the last try, EX_UNAVAILABLE when the service could not be reached or kept
 * failing. Progress on retries goes to stderr with -v. */
int http_do(const struct http_req *, struct http_resp *);

/* Concurrent requests over one curl multi handle with keep-alive connection reuse. Submit with
 * http_pool_add, which copies url/method/what and takes ownership of req->headers (req->body must
 * stay valid until the callback). The callback runs in the caller's thread, in completion order,
 * with http_do's return semantics; the response is freed after it returns. At most `max`
 * transfers are in flight at once. */
struct http_pool;
typedef void (*http_done_fn)(int rc, struct http_resp *, void *arg);
struct http_pool *http_pool_new(int max);
void http_pool_add(struct http_pool *, const struct http_req *, http_done_fn, void *arg);
void http_pool_run(struct http_pool *);			/* until none pending; callbacks may add more */
void http_pool_free(struct http_pool *);

#endif
