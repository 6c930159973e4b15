/* http.h: the one HTTP layer over libcurl. Every request goes through here, so timeouts, TLS
 * verification (checked: a refused option fails the request), the protocols allowed, the user
 * agent, retry with jittered backoff, and one cache of connections, DNS answers and TLS sessions
 * shared by every request of a tool (sequential requests reuse one connection) live in one place.
 *
 * What is held in memory: one response body per request, whole, in http_resp.body. Only
 * responses whose size is bounded come through here: an S3 listing page (at most 1000 keys), a
 * Parquet footer's tail range, one Snowflake result partition, one Databricks result chunk or
 * statement status, a token, an AWS control-plane answer (aws-request). Results are streamed to
 * standard output one partition or chunk at a time, never gathered; no object body is fetched. */
#ifndef DBX2SF_HTTP_H
#define DBX2SF_HTTP_H

#include <curl/curl.h>
#include "util.h"

struct http_req {
	const char *method;		/* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *url;
	const char *retry_url;		/* if set, used instead of url for every resend (Snowflake's
					 * "&retry=true" makes a resubmit idempotent) */
	struct curl_slist *headers;	/* complete, already signed; http_do borrows them (the
					 * caller frees them with http_headers_free), http_pool_add
					 * takes them (the pool frees them so) */
	const void *body;
	size_t bodylen;
	const char *what;		/* names the request in diagnostics: "s3://b/k", "statement 01b…" */
	int tries;			/* attempts in all; 0 means the default (6) */
	int idempotent;			/* resend after a connection error even once the request was sent */
	int stoppable;			/* a stop request (stop_requested) ends it at once: the call
					 * returns STOP_INTERRUPTED (for a service's long wait) */
	int ahead;			/* http_pool_add queues it before the requests waiting */
	int http1;			/* HTTP/1.1 only, never HTTP/2: S3 speaks nothing else, and
					 * to an S3-compatible server that offers HTTP/2, many small
					 * concurrent requests cost client and server about 1.5x the
					 * CPU over HTTP/2's one connection that they cost over
					 * HTTP/1.1's several (bench/README) */
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

void http_init(void);			/* once, from main; cleans up at exit */
void http_resp_free(struct http_resp *);

/* RFC 9110 syntax, for what a caller is given to send: a token (a method, a field name) is one
 * or more of A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~ (s[0..n)); a field value holds no control
 * character but HTAB (a CR or LF would end the header and start another). 1 if valid. */
int http_token_valid(const char *s, size_t n);
int http_value_valid(const char *s);

/* Frees a header list after wiping every entry: lists carry Authorization (Bearer tokens, SigV4
 * signatures) and X-Amz-Security-Token. Every header list handed to http is freed with this,
 * never with curl_slist_free_all. NULL is fine. */
void http_headers_free(struct curl_slist *);

/* Perform req, retrying 429, 500, 502, 503, 504 and transport errors with jittered exponential
 * backoff (Retry-After honoured, capped). Returns 0 when a final response arrived (any status: the
 * caller judges it), else a sysexits code with resp->err set: EX_TEMPFAIL when still throttled or
 * timed out after the last try, EX_UNAVAILABLE when the service could not be reached or kept
 * failing. Progress on retries goes to stderr with -v. */
int http_do(const struct http_req *, struct http_resp *);

/* Concurrent requests over one curl multi handle, sharing http_do's connection cache. Submit with
 * http_pool_add, which copies url/method/what and takes ownership of req->headers (req->body must
 * stay valid until the callback). The callback runs in the caller's thread, in completion order,
 * with http_do's return semantics; the response is freed after it returns. At most `max`
 * transfers are in flight at once. */
struct http_pool;
typedef void (*http_done_fn)(int rc, struct http_resp *, void *arg);
struct http_pool *http_pool_new(int max);
void http_pool_add(struct http_pool *, const struct http_req *, http_done_fn, void *arg);
void http_pool_run(struct http_pool *);			/* until none pending; callbacks may add more */
int http_pool_step(struct http_pool *);		/* one round (may wait up to 1 s); the number pending */
void http_pool_free(struct http_pool *);

/* The wait before the next poll of a running statement, after prev_ms (0 before the first poll),
 * elapsed_s seconds after it was submitted: 50 ms growing by 1.5x, at most 1 s in the first
 * minute and 5 s after it. A statement that finishes is seen within about a third of its running
 * time (50 ms for the shortest), and a long one is asked at most every 5 s. */
long http_poll_delay_ms(long prev_ms, double elapsed_s);

#endif
