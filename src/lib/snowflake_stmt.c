/* snowflake_stmt.c: statements submitted, polled and cancelled, and their partitions streamed
 * (see snowflake.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "http.h"
#include "snowflake.h"

#define JWT_LIFETIME	3540	/* 59 minutes: Snowflake accepts at most one hour */
#define JWT_RENEW	3000	/* re-sign a token older than this before the next request */

char *
sf_uuid4(void)
{
	unsigned char u[16];

	if (RAND_bytes(u, sizeof u) != 1)
		die(EX_SOFTWARE, "no randomness for a request id");
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	return esprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
}

/* ---- session ---- */

char *
sf_request_body(const struct sf_session *s, const char *sql)
{
	json_t *b = json_object(), *params = json_object();
	const struct { const char *key; const char *val; } ctx[] = {
		{ "warehouse", s->conn->warehouse }, { "role", s->conn->role },
		{ "database", s->conn->database }, { "schema", s->conn->schema },
	};
	size_t i;
	char *r;

	json_object_set_new(b, "statement", json_string(sql));
	for (i = 0; i < sizeof ctx / sizeof ctx[0]; i++) {
		if (ctx[i].val) {
			char *id = sf_ident(ctx[i].val);

			json_object_set_new(b, ctx[i].key, json_string(id));
			free(id);
		}
	}
	/* Several statements run as one request (any number: our count only decides whether the text
	 * is one statement or more), so BEGIN … COMMIT works; UTC so TIMESTAMP_LTZ
	 * and conversions do not depend on the account's time zone. */
	json_object_set_new(params, "MULTI_STATEMENT_COUNT",
	    json_string(sf_statement_count(sql) > 1 ? "0" : "1"));
	json_object_set_new(params, "TIMEZONE", json_string("UTC"));
	if (s->query_tag)
		json_object_set_new(params, "QUERY_TAG", json_string(s->query_tag));
	json_object_set_new(b, "parameters", params);
	r = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	return r;
}

static struct curl_slist *
headers(struct sf_session *s, int post)
{
	struct curl_slist *h = NULL;
	time_t now = time(NULL);
	char *a;

	if (s->key && (!s->bearer || now - s->minted > JWT_RENEW)) {
		if (s->bearer)
			free(s->bearer);
		s->bearer = sf_jwt(s->key, s->claim_account, s->claim_user, (long)now, JWT_LIFETIME);
		s->minted = now;
	}
	a = esprintf("Authorization: Bearer %s", s->bearer);
	h = curl_slist_append(h, a);
	OPENSSL_cleanse(a, strlen(a));
	free(a);
	a = esprintf("X-Snowflake-Authorization-Token-Type: %s", s->token_type);
	h = curl_slist_append(h, a);
	free(a);
	h = curl_slist_append(h, "Accept: application/json");
	if (post)
		h = curl_slist_append(h, "Content-Type: application/json");
	return h;
}

/* One request; the response (any status) in r. */
static int
call(struct sf_session *s, const char *method, const char *url, const char *retry_url,
    const char *body, struct http_resp *r, char *err, size_t errlen)
{
	struct http_req q = {0};
	int rc;

	q.method = method;
	q.url = url;
	q.retry_url = retry_url;
	q.headers = headers(s, body != NULL);
	q.body = body;
	q.bodylen = body ? strlen(body) : 0;
	q.what = s->what;
	/* GETs, and POSTs resent with the same requestId and retry=true, never run twice. */
	q.idempotent = 1;
	/* The submit waits in the synchronous window: a stop ends the wait (sf_execute cancels). */
	q.stoppable = retry_url != NULL;
	rc = http_do(&q, r);
	http_headers_free(q.headers);
	if (rc)
		snprintf(err, errlen, "%s", r->err);
	return rc;
}

static void
one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

enum { ST_DONE, ST_RUNNING };

/* Judge a response: ST_DONE with the ResultSet (its "data" moved as text into data, so that the
 * rows never become a jansson tree), ST_RUNNING with the QueryStatus, or a sysexits code with
 * err set. */
static int
judge(struct sf_session *s, struct http_resp *r, json_t **out, struct buf *data, char *err,
    size_t errlen)
{
	json_error_t e;
	json_t *j;
	const char *a, *b, *code, *msg, *state;
	char *m;
	int rc;

	buf_reset(data);
	if (r->status == 200 && sf_rows_find_data(r->body.p, r->body.p + r->body.len, &a, &b) == 0 && b - a >= 2) {
		size_t off = (size_t)(a - r->body.p), n = (size_t)(b - a);

		buf_add(data, a, n);
		memcpy(r->body.p + off, "[]", 2);
		memmove(r->body.p + off + 2, r->body.p + off + n, r->body.len - off - n + 1);
		r->body.len -= n - 2;
	}
	j = r->body.len ? json_loadb(r->body.p, r->body.len, JSON_ALLOW_NUL, &e) : NULL;
	code = json_string_value(json_object_get(j, "code"));
	msg = json_string_value(json_object_get(j, "message"));
	state = json_string_value(json_object_get(j, "sqlState"));

	*out = NULL;
	if ((r->status == 200 || r->status == 202) && json_is_object(j)) {
		*out = j;
		return r->status == 200 ? ST_DONE : ST_RUNNING;
	}
	m = estrdup(msg ? msg : "");
	one_line(m);
	switch (r->status) {
	case 422:
		snprintf(err, errlen, "%s: Snowflake %s (%s): %s", s->what, code ? code : "?",
		    state ? state : "?", *m ? m : "statement failed");
		rc = EX_DATAERR;
		break;
	case 408:
		snprintf(err, errlen, "%s: statement timed out%s%s", s->what, *m ? ": " : "", m);
		rc = EX_TEMPFAIL;
		break;
	case 401:
	case 403:
		snprintf(err, errlen, "%s: HTTP %ld: %s%s%s", s->what, r->status,
		    r->status == 401 ? "authentication refused" : "permission refused", *m ? ": " : "", m);
		rc = EX_NOPERM;
		break;
	case 200:
	case 202:
		snprintf(err, errlen, "%s: HTTP %ld: response is not a JSON object", s->what, r->status);
		rc = EX_PROTOCOL;
		break;
	default:
		snprintf(err, errlen, "%s: unexpected HTTP %ld%s%s", s->what, r->status, *m ? ": " : "", m);
		rc = EX_PROTOCOL;
	}
	free(m);
	json_decref(j);
	return rc;
}

static int
valid_handle(const char *h)
{
	size_t i;

	if (!h || !*h || strlen(h) > 128)
		return 0;
	for (i = 0; h[i]; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '_')
			return 0;
	return 1;
}

static void
cancel(struct sf_session *s, const char *handle)
{
	char *uuid = sf_uuid4();
	char *url = esprintf("%s/api/v2/statements/%s/cancel?requestId=%s", s->base_url, handle, uuid);
	struct http_resp r = {0};
	char err[256];

	warnmsg("%s: cancelling statement %s", s->what, handle);
	if (call(s, "POST", url, NULL, "{}", &r, err, sizeof err))
		warnmsg("%s", err);
	else if (r.status != 200)
		warnmsg("%s: cancel of statement %s: HTTP %ld", s->what, handle, r.status);
	http_resp_free(&r);
	free(url);
	free(uuid);
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Starting from a response, poll until the statement finished. *rs: the ResultSet, its rows
 * in data. */
static int
await(struct sf_session *s, struct http_resp *r, json_t **rs, struct buf *data, char *err,
    size_t errlen)
{
	long delay = 0;
	double t0 = now_s();
	int st, rc;
	char *url = NULL, *handle = NULL;

	for (;;) {
		json_t *j;

		st = judge(s, r, &j, data, err, errlen);
		if (st == ST_DONE) {
			*rs = j;
			break;
		}
		if (st != ST_RUNNING) {
			if (handle && stop_requested)
				st = STOP_INTERRUPTED;	/* our cancel made it fail */
			break;
		}
		if (!handle) {
			const char *h = json_string_value(json_object_get(j, "statementHandle"));

			if (!valid_handle(h)) {
				json_decref(j);
				snprintf(err, errlen, "%s: HTTP 202 without a statement handle", s->what);
				st = EX_PROTOCOL;
				break;
			}
			handle = estrdup(h);
			url = esprintf("%s/api/v2/statements/%s", s->base_url, handle);
		}
		json_decref(j);
		if (stop_requested) {
			cancel(s, handle);
			st = STOP_INTERRUPTED;
			break;
		}
		progress("%s: statement %s running (%.1f s)", s->what, handle, now_s() - t0);
		delay = http_poll_delay_ms(delay, now_s() - t0);
		{
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };

			nanosleep(&ts, NULL);	/* a signal cuts the wait short */
		}
		if (stop_requested) {
			cancel(s, handle);
			st = STOP_INTERRUPTED;
			break;
		}
		if ((rc = call(s, "GET", url, NULL, NULL, r, err, errlen))) {
			st = rc;
			break;
		}
	}
	free(url);
	free(handle);
	return st;
}

/* Emit the rows of a finished statement: partition 0 from data, the others fetched one at a time
 * and read in place, so memory holds one partition's text. */
static int
emit(struct sf_session *s, json_t *rs, struct buf *data, sf_row_fn row, void *arg, char *err,
    size_t errlen)
{
	json_t *meta = json_object_get(rs, "resultSetMetaData"), *parts;
	const char *handle = json_string_value(json_object_get(rs, "statementHandle"));
	struct sf_col *cols;
	size_t ncols, np, p;
	int rc = 0;

	if (sf_cols_parse(json_object_get(meta, "rowType"), &cols, &ncols) < 0) {
		snprintf(err, errlen, "%s: result without a valid resultSetMetaData.rowType", s->what);
		return EX_PROTOCOL;
	}
	parts = json_object_get(meta, "partitionInfo");
	np = json_is_array(parts) && json_array_size(parts) > 0 ? json_array_size(parts) : 1;
	if (np > 1 && !valid_handle(handle)) {
		sf_cols_free(cols, ncols);
		snprintf(err, errlen, "%s: result with %zu partitions but no statement handle", s->what, np);
		return EX_PROTOCOL;
	}
	for (p = 0; p < np && !rc; p++) {
		struct http_resp r = {0};
		const char *text = data->p, *a, *b;
		size_t len = data->len;
		json_t *want = json_object_get(json_array_get(parts, p), "rowCount");
		long n;

		if (p > 0) {
			char *url;

			if (stop_requested) {
				rc = STOP_INTERRUPTED;
				break;
			}
			url = esprintf("%s/api/v2/statements/%s?partition=%zu", s->base_url, handle, p);
			rc = call(s, "GET", url, NULL, NULL, &r, err, errlen);
			free(url);
			if (!rc && r.status != 200) {
				json_t *j;
				struct buf ignore = {0};

				rc = judge(s, &r, &j, &ignore, err, errlen);
				json_decref(j);
				buf_free(&ignore);
				if (rc == ST_DONE || rc == ST_RUNNING) {
					snprintf(err, errlen, "%s: partition %zu: unexpected HTTP %ld", s->what, p, r.status);
					rc = EX_PROTOCOL;
				}
			}
			text = NULL;
			len = 0;
			if (!rc && sf_rows_find_data(r.body.p, r.body.p + r.body.len, &a, &b) == 0) {
				text = a;
				len = (size_t)(b - a);
			}
		}
		if (!rc && !text) {
			snprintf(err, errlen, "%s: partition %zu: no data array", s->what, p);
			rc = EX_PROTOCOL;
		}
		if (!rc && (n = sf_rows_scan(text, len, cols, ncols, row, arg)) < 0) {
			snprintf(err, errlen, "%s: partition %zu row %ld: not rows of the result's column types",
			    s->what, p, -n);
			rc = EX_PROTOCOL;
		}
		if (!rc && json_is_integer(want) && json_integer_value(want) != n) {
			snprintf(err, errlen, "%s: partition %zu: %ld rows, partitionInfo says %lld", s->what, p,
			    n, (long long)json_integer_value(want));
			rc = EX_PROTOCOL;
		}
		if (!rc)
			progress("%s: partition %zu of %zu: %ld rows", s->what, p + 1, np, n);
		if (p == 0)
			buf_free(data);
		http_resp_free(&r);
	}
	sf_cols_free(cols, ncols);
	return rc;
}

int
sf_execute(struct sf_session *s, const char *sql, sf_row_fn row, void *arg, char *err, size_t errlen)
{
	char *body = sf_request_body(s, sql), *uuid = sf_uuid4();
	/* Without async=true the service answers when the statement ends, or after about 45 s
	 * with 202 and the handle to poll: no sleeping past a short statement's end. */
	char *url = esprintf("%s/api/v2/statements?requestId=%s", s->base_url, uuid);
	char *retry = esprintf("%s&retry=true", url);
	struct http_resp r = {0};
	struct buf data = {0};
	json_t *rs = NULL, *children;
	int rc;
	size_t i;

	rc = call(s, "POST", url, retry, body, &r, err, errlen);
	if (rc == STOP_INTERRUPTED) {
		/* Stopped in that window: the same requestId with retry=true (never run twice)
		 * and async=true names the statement at once, and await cancels it. */
		char *find = esprintf("%s&async=true", retry);

		http_resp_free(&r);
		memset(&r, 0, sizeof r);
		rc = call(s, "POST", find, NULL, body, &r, err, errlen);
		free(find);
	}
	if (!rc)
		rc = await(s, &r, &rs, &data, err, errlen);
	http_resp_free(&r);
	free(body);
	free(uuid);
	free(url);
	free(retry);
	if (rc) {
		buf_free(&data);
		return rc;
	}
	children = json_object_get(rs, "statementHandles");
	if (!json_is_array(children) || json_array_size(children) == 0) {
		rc = emit(s, rs, &data, row, arg, err, errlen);
		json_decref(rs);
		buf_free(&data);
		return rc;
	}
	/* A multi-statement request: each statement's own result, in order. */
	for (i = 0; i < json_array_size(children) && !rc; i++) {
		const char *h = json_string_value(json_array_get(children, i));
		json_t *child = NULL;

		if (!valid_handle(h)) {
			snprintf(err, errlen, "%s: malformed statementHandles", s->what);
			rc = EX_PROTOCOL;
			break;
		}
		if (stop_requested) {
			rc = STOP_INTERRUPTED;
			break;
		}
		url = esprintf("%s/api/v2/statements/%s", s->base_url, h);
		rc = call(s, "GET", url, NULL, NULL, &r, err, errlen);
		free(url);
		if (!rc)
			rc = await(s, &r, &child, &data, err, errlen);
		http_resp_free(&r);
		if (!rc)
			rc = emit(s, child, &data, row, arg, err, errlen);
		json_decref(child);
	}
	buf_free(&data);
	json_decref(rs);
	return rc;
}
