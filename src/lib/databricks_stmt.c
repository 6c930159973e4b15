/* databricks_stmt.c: REST calls, OAuth M2M, statements submitted, polled, cancelled, and
 * their result chunks streamed (see databricks.h). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "databricks.h"
#include "http.h"
#include "sql.h"

#define STATEMENTS	"/api/2.0/sql/statements"
#define WAIT_TIMEOUT	"5s"	/* short, so that SIGINT cancels a statement promptly */

/* HTTP */

static char *
firstline(const char *s, size_t max)
{
	size_t n = 0;

	while (s[n] && s[n] != '\n' && s[n] != '\r' && n < max)
		n++;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return estrndup(s, n);
}

/* "HTTP 403: PERMISSION_DENIED: reason" from a Databricks or OAuth error body. */
static char *
http_reason(const struct http_resp *r)
{
	json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	const char *code = NULL, *msg = NULL;
	char *m, *s;

	if (json_is_object(j)) {
		code = json_string_value(json_object_get(j, "error_code"));
		msg = json_string_value(json_object_get(j, "message"));
		if (!code)
			code = json_string_value(json_object_get(j, "error"));
		if (!msg)
			msg = json_string_value(json_object_get(j, "error_description"));
	}
	m = firstline(msg ? msg : "", 300);
	if (code && *m)
		s = esprintf("HTTP %ld: %s: %s", r->status, code, m);
	else if (code || *m)
		s = esprintf("HTTP %ld: %s", r->status, code ? code : m);
	else
		s = esprintf("HTTP %ld", r->status);
	free(m);
	json_decref(j);
	return s;
}

/* Exit status for a final HTTP response that is not a success. */
static int
http_status_exit(long status)
{
	if (status == 401 || status == 403)
		return EX_NOPERM;
	if (status == 429)
		return EX_TEMPFAIL;
	if (status >= 500)
		return EX_UNAVAILABLE;
	if (status >= 400)
		return EX_DATAERR;
	return EX_PROTOCOL;
}

/* The body of a 200 answer: a JSON object (a response) or array (result rows), in *out. */
static int
body_json(const struct http_resp *r, json_type want, const char *what, json_t **out, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, JSON_ALLOW_NUL, &je);

	if (j && json_typeof(j) == want) {
		*out = j;
		return 0;
	}
	snprintf(err, errlen, "%s: malformed %s: %s", what, want == JSON_ARRAY ? "result" : "response",
	    !j ? je.text : want == JSON_ARRAY ? "not an array" : "not an object");
	json_decref(j);
	return EX_PROTOCOL;
}

static void
base64(const char *in, size_t n, struct buf *out)
{
	char *b = emalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)in, (int)n);
	buf_addstr(out, b);
	OPENSSL_cleanse(b, strlen(b));
	free(b);
}

/* OAuth M2M: the client-credentials grant at the workspace's token endpoint, cached in-process
 * and renewed a minute before it expires. 0 with d->bearer set, or a sysexits code with err. */
static int
oauth_token(struct dbx *d, char *err, size_t errlen)
{
	struct http_req q = { 0 };
	struct http_resp r = { 0 };
	struct buf cred = { 0 }, hdr = { 0 };
	struct curl_slist *h = NULL;
	char *url, *id, *sec, *reason;
	const char *tok;
	json_t *j;
	json_int_t ttl;
	int rc;

	if (d->bearer && time(NULL) < d->bearer_expiry)
		return 0;
	dbx_secret_free(d->bearer);
	d->bearer = NULL;
	/* RFC 6749 2.3.1: the id and secret are form-encoded before they go into Basic. */
	id = urlencode(d->client_id, 1);
	sec = urlencode(d->client_secret, 1);
	buf_printf(&cred, "%s:%s", id, sec);
	buf_addstr(&hdr, "Authorization: Basic ");
	base64(cred.p, cred.len, &hdr);
	h = curl_slist_append(h, hdr.p);
	h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	h = curl_slist_append(h, "Accept: application/json");
	OPENSSL_cleanse(cred.p, cred.len);
	OPENSSL_cleanse(hdr.p, hdr.len);
	OPENSSL_cleanse(sec, strlen(sec));
	buf_free(&cred);
	buf_free(&hdr);
	free(id);
	free(sec);

	url = esprintf("%s/oidc/v1/token", d->host);
	q.method = "POST";
	q.url = url;
	q.headers = h;
	q.body = "grant_type=client_credentials&scope=all-apis";
	q.bodylen = strlen(q.body);
	q.what = "oauth token";
	q.idempotent = 1;
	rc = http_do(&q, &r);
	http_headers_free(h);	/* libcurl's slist copies; the copy holding the secret goes too */
	free(url);
	if (rc) {
		snprintf(err, errlen, "%s", r.err);
		http_resp_free(&r);
		return rc;
	}
	if (r.status != 200) {
		reason = http_reason(&r);
		snprintf(err, errlen, "oauth token: %s", reason);
		free(reason);
		rc = r.status == 400 || r.status == 401 || r.status == 403 ? EX_NOPERM :
		    http_status_exit(r.status);
		http_resp_free(&r);
		return rc;
	}
	j = json_loadb(r.body.p, r.body.len, 0, NULL);
	OPENSSL_cleanse(r.body.p, r.body.len);
	http_resp_free(&r);
	if (!json_is_object(j) || !(tok = json_string_value(json_object_get(j, "access_token"))) || !*tok) {
		json_decref(j);
		snprintf(err, errlen, "oauth token: malformed response: no access_token");
		return EX_PROTOCOL;
	}
	ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (ttl <= 0)
		ttl = 3600;
	d->bearer = estrdup(tok);
	d->bearer_expiry = time(NULL) + (ttl > 120 ? ttl - 60 : ttl / 2);
	json_decref(j);
	return 0;
}

static int
api_headers(struct dbx *d, struct curl_slist **h, char *err, size_t errlen)
{
	char *a;
	int rc;

	if (strcmp(d->auth, "pat") != 0 && (rc = oauth_token(d, err, errlen)))
		return rc;
	a = esprintf("Authorization: Bearer %s", strcmp(d->auth, "pat") == 0 ? d->token : d->bearer);
	*h = curl_slist_append(NULL, a);
	OPENSSL_cleanse(a, strlen(a));
	free(a);
	*h = curl_slist_append(*h, "Content-Type: application/json");
	*h = curl_slist_append(*h, "Accept: application/json");
	return 0;
}

/* One REST call: 0 with the JSON object of a 200 answer in *out, or a sysexits code with err. */
static int
api(struct dbx *d, const char *method, const char *path, json_t *body, const char *what, int idem,
    json_t **out, char *err, size_t errlen)
{
	struct http_req q = { 0 };
	struct http_resp r = { 0 };
	char *url, *text = NULL, *reason;
	int rc;

	*out = NULL;
	if ((rc = api_headers(d, &q.headers, err, errlen)))
		return rc;
	url = esprintf("%s%s", d->host, path);
	q.method = method;
	q.url = url;
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		q.body = text;
		q.bodylen = strlen(text);
	} else if (strcmp(method, "POST") == 0) {
		q.body = "{}";
		q.bodylen = 2;
	}
	q.what = what;
	q.idempotent = idem;
	rc = http_do(&q, &r);
	http_headers_free(q.headers);
	free(url);
	free(text);
	if (rc) {
		snprintf(err, errlen, "%s", r.err);
	} else if (r.status != 200) {
		reason = http_reason(&r);
		snprintf(err, errlen, "%s: %s", what, reason);
		free(reason);
		rc = http_status_exit(r.status);
	} else {
		rc = body_json(&r, JSON_OBJECT, what, out, err, errlen);
	}
	http_resp_free(&r);
	return rc;
}

/* Statements */

int
dbx_param_parse(char *s, struct dbx_param *p)
{
	char *eq = strchr(s, '='), *colon, *t;

	if (!eq)
		return -1;
	*eq = '\0';
	p->value = eq + 1;
	p->type = NULL;
	if ((colon = strchr(s, ':'))) {
		*colon = '\0';
		p->type = colon + 1;
		if (!*p->type)
			return -1;
		for (t = colon + 1; *t; t++)
			if (!isalnum((unsigned char)*t) && !strchr("_(), ", *t))
				return -1;
	}
	p->name = s;
	return sql_ident_plain(s, SQL_SPARK) ? 0 : -1;
}

json_t *
dbx_statement_body(const char *warehouse, const char *sql, const struct dbx_param *ps, size_t n,
    int disposition)
{
	json_t *b = json_object(), *a;
	size_t i;

	json_object_set_new(b, "warehouse_id", json_string(warehouse));
	json_object_set_new(b, "statement", json_string(sql));
	if (n) {
		a = json_array();
		for (i = 0; i < n; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "name", json_string(ps[i].name));
			if (ps[i].value)
				json_object_set_new(o, "value", json_string(ps[i].value));
			if (ps[i].type)
				json_object_set_new(o, "type", json_string(ps[i].type));
			json_array_append_new(a, o);
		}
		json_object_set_new(b, "parameters", a);
	}
	json_object_set_new(b, "wait_timeout", json_string(WAIT_TIMEOUT));
	json_object_set_new(b, "on_wait_timeout", json_string("CONTINUE"));
	json_object_set_new(b, "disposition",
	    json_string(disposition == DBX_EXTERNAL_LINKS ? "EXTERNAL_LINKS" : "INLINE"));
	json_object_set_new(b, "format", json_string("JSON_ARRAY"));
	return b;
}

static const char *
state_of(json_t *resp)
{
	const char *s = json_string_value(json_object_get(json_object_get(resp, "status"), "state"));

	return s ? s : "";
}

static int
terminal(const char *s)
{
	return !strcmp(s, "SUCCEEDED") || !strcmp(s, "FAILED") || !strcmp(s, "CANCELED") ||
	    !strcmp(s, "CLOSED");
}

static const char *
stop_name(void)
{
	return stop_requested == SIGINT ? "SIGINT" : "SIGTERM";
}

/* Cancel the statement on the service (a failed cancel is reported and the stop goes on). */
static int
cancel(struct dbx *d, const char *id, const char *what, char *err, size_t errlen)
{
	char *path = esprintf(STATEMENTS "/%s/cancel", id), *w = esprintf("%s: cancel", what);
	json_t *j;

	if (api(d, "POST", path, NULL, w, 1, &j, err, errlen))
		warnmsg("%s", err);
	json_decref(j);
	free(path);
	free(w);
	snprintf(err, errlen, "%s: cancelled on %s", what, stop_name());
	return STOP_INTERRUPTED;
}

/* The outcome of a terminal state other than SUCCEEDED. */
static int
failure(json_t *resp, const char *what, const char *st, char *err, size_t errlen)
{
	json_t *e = json_object_get(json_object_get(resp, "status"), "error");
	const char *code = json_string_value(json_object_get(e, "error_code"));
	const char *m = json_string_value(json_object_get(e, "message"));
	char *msg = firstline(m ? m : "", 400);
	int rc;

	if (strcmp(st, "FAILED") == 0) {
		snprintf(err, errlen, "%s: %s: %s", what, code ? code : "FAILED", *msg ? msg : "(no message)");
		rc = EX_DATAERR;
	} else {
		snprintf(err, errlen, "%s: %s%s%s", what, st, *msg ? ": " : "", msg);
		rc = strcmp(st, "CANCELED") == 0 ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	free(msg);
	return rc;
}

int
dbx_execute(struct dbx *d, json_t *body, json_t **out, char *err, size_t errlen)
{
	struct timespec ts;
	json_t *resp;
	const char *id, *st = "";
	char *what, *path;
	struct timespec t0, now;
	long delay = 0;
	int rc;

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (stop_requested) {
		snprintf(err, errlen, "submit statement: not sent: stopped by %s", stop_name());
		return STOP_INTERRUPTED;
	}
	if ((rc = api(d, "POST", STATEMENTS, body, "submit statement", 0, &resp, err, errlen)))
		return rc;
	if (!(id = json_string_value(json_object_get(resp, "statement_id"))) || !*id) {
		json_decref(resp);
		snprintf(err, errlen, "submit statement: malformed response: no statement_id");
		return EX_PROTOCOL;
	}
	what = esprintf("statement %s", id);
	path = esprintf(STATEMENTS "/%s", id);
	/* id points into what from here on: responses come and go */
	id = strchr(what, ' ') + 1;
	progress("%s: submitted", what);
	for (;;) {
		st = state_of(resp);
		if (!*st) {
			snprintf(err, errlen, "%s: malformed response: no status.state", what);
			rc = EX_PROTOCOL;
			break;
		}
		if (terminal(st))
			break;
		if (stop_requested) {
			rc = cancel(d, id, what, err, errlen);
			break;
		}
		/* after the submit's wait_timeout: polls close to the end of short statements */
		clock_gettime(CLOCK_MONOTONIC, &now);
		delay = http_poll_delay_ms(delay, (double)(now.tv_sec - t0.tv_sec));
		progress("%s: %s; next poll in %ld.%03lds", what, st, delay / 1000, delay % 1000);
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (delay % 1000) * 1000000L;
		nanosleep(&ts, NULL);	/* a signal cuts the wait short */
		if (stop_requested) {
			rc = cancel(d, id, what, err, errlen);
			break;
		}
		json_decref(resp);
		if ((rc = api(d, "GET", path, NULL, what, 1, &resp, err, errlen)))
			break;
	}
	if (!rc && stop_requested) {
		/* it ended while we waited: nothing left to cancel, but still stop */
		snprintf(err, errlen, "%s: %s, then stopped by %s", what, st, stop_name());
		rc = STOP_INTERRUPTED;
	}
	if (!rc) {
		progress("%s: %s", what, st);
		if (strcmp(st, "SUCCEEDED") != 0)
			rc = failure(resp, what, st, err, errlen);
	}
	if (rc)
		json_decref(resp);
	else
		*out = resp;
	free(path);
	free(what);
	return rc;
}

/* Results */

/* A chunk whose rows live behind presigned URLs: fetched with only the headers the link names.
 * *rows NULL when may_expire and storage refused the link (403): it has expired. */
static int
fetch_link(json_t *link, const char *what, int may_expire, json_t **rows, char *err, size_t errlen)
{
	struct http_req q = { 0 };
	struct http_resp r = { 0 };
	struct curl_slist *h = NULL;
	const char *url = json_string_value(json_object_get(link, "external_link")), *k;
	json_t *hh = json_object_get(link, "http_headers"), *v;
	char *line;
	int rc;

	*rows = NULL;
	if (!url) {
		snprintf(err, errlen, "%s: malformed response: external link without a URL", what);
		return EX_PROTOCOL;
	}
	json_object_foreach(hh, k, v) {
		if (!json_is_string(v))
			continue;
		line = esprintf("%s: %s", k, json_string_value(v));
		h = curl_slist_append(h, line);
		free(line);
	}
	q.method = "GET";
	q.url = url;
	q.headers = h;
	q.what = what;	/* never the URL: it is a credential until it expires */
	q.idempotent = 1;
	rc = http_do(&q, &r);
	http_headers_free(h);
	if (rc) {
		snprintf(err, errlen, "%s", r.err);
	} else if (r.status == 403 && may_expire) {
		rc = 0;
	} else if (r.status != 200) {
		snprintf(err, errlen, "%s: HTTP %ld", what, r.status);
		rc = http_status_exit(r.status);
	} else {
		rc = body_json(&r, JSON_ARRAY, what, rows, err, errlen);
	}
	http_resp_free(&r);
	return rc;
}

/* Presigned links live about 15 minutes; a reader slowed down by its consumer asks the
 * workspace for fresh ones, once. */
static int
refetch_link(struct dbx *d, const char *id, json_t *link, const char *what, json_t **rows, char *err,
    size_t errlen)
{
	json_int_t idx = json_integer_value(json_object_get(link, "chunk_index"));
	char *path = esprintf(STATEMENTS "/%s/result/chunks/%lld", id, (long long)idx);
	json_t *fresh, *l;
	size_t i;
	int rc;

	*rows = NULL;
	progress("%s: link expired; asking for a fresh one", what);
	rc = api(d, "GET", path, NULL, what, 1, &fresh, err, errlen);
	free(path);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(fresh, "external_links"), i, l)
		if (json_integer_value(json_object_get(l, "chunk_index")) == idx) {
			rc = fetch_link(l, what, 0, rows, err, errlen);
			break;
		}
	json_decref(fresh);
	if (!rc && !*rows) {
		snprintf(err, errlen, "%s: malformed response: no fresh link", what);
		rc = EX_PROTOCOL;
	}
	return rc;
}

static int
emit_rows(json_t *rows, json_t *columns, const char *what, dbx_row_fn fn, void *arg, long long *nrows,
    char *err, size_t errlen)
{
	size_t i, n = json_array_size(columns);
	json_t *row;

	json_array_foreach(rows, i, row) {
		if (!json_is_array(row) || json_array_size(row) != n) {
			snprintf(err, errlen, "%s: malformed result: row %zu has not %zu values", what, i, n);
			return EX_PROTOCOL;
		}
		fn(columns, row, arg);
	}
	*nrows += (long long)json_array_size(rows);
	return 0;
}

/* The rows of one chunk: inline, or behind its external links. *next and *nextlink (borrowed
 * from chunk) say where the following chunk is; *last the highest chunk index seen. */
static int
chunk_emit(struct dbx *d, const char *id, json_t *chunk, const char *what, json_t *columns,
    dbx_row_fn fn, void *arg, long long *nrows, json_int_t *next, const char **nextlink,
    json_int_t *last, char *err, size_t errlen)
{
	json_t *links = json_object_get(chunk, "external_links"), *link, *rows;
	size_t i;
	int rc = 0;

	if (!links)
		return emit_rows(json_object_get(chunk, "data_array"), columns, what, fn, arg, nrows, err,
		    errlen);
	json_array_foreach(links, i, link) {
		char *lw = esprintf("statement %s chunk %lld (external link)", id,
		    (long long)json_integer_value(json_object_get(link, "chunk_index")));

		rc = fetch_link(link, lw, 1, &rows, err, errlen);
		if (!rc && !rows)
			rc = refetch_link(d, id, link, lw, &rows, err, errlen);
		if (!rc)
			rc = emit_rows(rows, columns, lw, fn, arg, nrows, err, errlen);
		json_decref(rows);
		free(lw);
		if (rc)
			return rc;
		if (json_object_get(link, "next_chunk_internal_link"))
			*nextlink = json_string_value(json_object_get(link, "next_chunk_internal_link"));
		if (json_is_integer(json_object_get(link, "next_chunk_index")))
			*next = json_integer_value(json_object_get(link, "next_chunk_index"));
		if (json_integer_value(json_object_get(link, "chunk_index")) > *last)
			*last = json_integer_value(json_object_get(link, "chunk_index"));
	}
	return 0;
}

int
dbx_result_foreach(struct dbx *d, json_t *resp, dbx_row_fn fn, void *arg, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(resp, "statement_id"));
	json_t *manifest = json_object_get(resp, "manifest"), *columns, *chunk, *links, *total;
	json_int_t nchunks, next, last = -1;
	long long nrows = 0;
	const char *nextlink;
	char *what, *path;
	int rc = 0;

	columns = json_object_get(json_object_get(manifest, "schema"), "columns");
	if (!columns)
		columns = json_array();
	else
		json_incref(columns);
	if (!json_is_array(columns)) {
		json_decref(columns);
		snprintf(err, errlen, "statement %s: malformed response: schema.columns", id);
		return EX_PROTOCOL;
	}
	if (json_is_true(json_object_get(manifest, "truncated")))
		warnmsg("statement %s: result truncated by the service", id);
	nchunks = json_integer_value(json_object_get(manifest, "total_chunk_count"));
	chunk = json_object_get(resp, "result");
	if (chunk && (json_object_get(chunk, "data_array") || json_object_get(chunk, "external_links"))) {
		json_incref(chunk);
	} else if (nchunks > 0) {
		path = esprintf(STATEMENTS "/%s/result/chunks/0", id);
		what = esprintf("statement %s chunk 0", id);
		rc = api(d, "GET", path, NULL, what, 1, &chunk, err, errlen);
		free(path);
		free(what);
	} else {
		chunk = NULL;
	}
	while (chunk && !rc) {
		json_t *iv = json_object_get(chunk, "chunk_index");
		json_int_t idx;

		links = json_object_get(chunk, "external_links");
		if (!iv)	/* an EXTERNAL_LINKS chunk numbers its links instead */
			iv = json_object_get(json_array_get(links, 0), "chunk_index");
		idx = json_is_integer(iv) ? json_integer_value(iv) : last + 1;
		what = esprintf("statement %s chunk %lld", id, (long long)idx);
		if (idx <= last) {
			snprintf(err, errlen, "%s: malformed response: chunks out of order", what);
			rc = EX_PROTOCOL;
		}
		last = idx;
		if (!rc)
			progress("%s", what);
		nextlink = json_string_value(json_object_get(chunk, "next_chunk_internal_link"));
		next = json_is_integer(json_object_get(chunk, "next_chunk_index")) ?
		    json_integer_value(json_object_get(chunk, "next_chunk_index")) : -1;
		if (!rc)
			rc = chunk_emit(d, id, chunk, what, columns, fn, arg, &nrows, &next, &nextlink, &last,
			    err, errlen);
		/* Follow the opaque internal link only when it stays on the workspace (it gets the
		 * Authorization header); else fetch by index. */
		if (rc)
			path = NULL;
		else if (nextlink && nextlink[0] == '/' && nextlink[1] != '/')
			path = estrdup(nextlink);
		else if (next >= 0)
			path = esprintf(STATEMENTS "/%s/result/chunks/%lld", id, (long long)next);
		else
			path = NULL;
		json_decref(chunk);
		chunk = NULL;
		free(what);
		if (path && stop_requested) {
			snprintf(err, errlen, "statement %s: stopped by %s", id, stop_name());
			rc = STOP_INTERRUPTED;
		} else if (path) {
			what = esprintf("statement %s chunk %lld", id, (long long)(next >= 0 ? next : last + 1));
			rc = api(d, "GET", path, NULL, what, 1, &chunk, err, errlen);
			free(what);
		}
		free(path);
	}
	json_decref(chunk);
	total = json_object_get(manifest, "total_row_count");
	if (!rc && json_is_integer(total) && json_integer_value(total) != nrows &&
	    !json_is_true(json_object_get(manifest, "truncated"))) {
		snprintf(err, errlen, "statement %s: malformed result: %lld rows, the manifest says %lld", id,
		    nrows, (long long)json_integer_value(total));
		rc = EX_PROTOCOL;
	}
	json_decref(columns);
	return rc;
}
