/* s3.c: S3 addressing, signing, listing and error bodies. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"

int
s3_open(struct s3 *s, char *err, size_t errlen)
{
	char *ep;
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = aws_creds_load(&s->creds, err, errlen)) != 0)
		return rc;
	if ((ep = aws_endpoint_url("S3"))) {
		/* A custom endpoint (MinIO, moto, a VPC endpoint by IP) rarely resolves bucket
		 * sub-domains, so address it by path, as the AWS CLI does for such endpoints. */
		s->endpoint = ep;
		s->path_style = 1;
		s->endpoint_custom = 1;
	} else {
		s->endpoint = esprintf("https://s3.%s.amazonaws.com", s->creds.region);
	}
	return 0;
}

void
s3_close(struct s3 *s)
{
	aws_creds_free(&s->creds);
	free(s->endpoint);
}

int
s3_url_parse(const char *url, char **bucket, char **prefix)
{
	const char *b, *slash;

	if (strncmp(url, "s3://", 5) != 0)
		return -1;
	b = url + 5;
	slash = strchr(b, '/');
	if (slash == b || *b == '\0')
		return -1;
	*bucket = slash ? estrndup(b, (size_t)(slash - b)) : estrdup(b);
	*prefix = estrdup(slash ? slash + 1 : "");
	return 0;
}

/* Virtual-hosted style needs a bucket name that is a valid DNS label sequence without dots
 * (dots break TLS wildcard certificates); others go by path. */
static int
bucket_in_host(const struct s3 *s, const char *bucket)
{
	return !s->path_style && !strchr(bucket, '.');
}

char *
s3_request_url(const struct s3 *s, const char *bucket, const char *key, const char *query)
{
	char *k = key ? aws_uri_encode(key, 0) : estrdup("");
	const char *q = query && *query ? "?" : "";
	char *url;

	if (bucket_in_host(s, bucket)) {
		const char *scheme_end = strstr(s->endpoint, "://");
		const char *host = scheme_end ? scheme_end + 3 : s->endpoint;

		url = esprintf("%.*s%s.%s/%s%s%s", (int)(host - s->endpoint), s->endpoint, bucket, host, k,
		    q, query ? query : "");
	} else {
		url = esprintf("%s/%s/%s%s%s", s->endpoint, bucket, k, q, query ? query : "");
	}
	free(k);
	return url;
}

struct curl_slist *
s3_sign(const struct s3 *s, const char *method, const char *url, struct curl_slist *extra,
    const void *body, size_t bodylen)
{
	return aws_sign(&s->creds, "s3", method, url, extra, body, bodylen, time(NULL));
}

static const struct { const char *code; int ex; } s3_codes[] = {
	{ "NoSuchBucket", EX_NOINPUT },
	{ "NoSuchKey", EX_NOINPUT },
	{ "AccessDenied", EX_NOPERM },
	{ "InvalidAccessKeyId", EX_NOPERM },
	{ "SignatureDoesNotMatch", EX_NOPERM },
	{ "ExpiredToken", EX_NOPERM },
	{ "InvalidToken", EX_NOPERM },
	{ "AllAccessDisabled", EX_NOPERM },
	{ "InvalidClientTokenId", EX_NOPERM },		/* the query APIs: IAM, STS, SQS */
	{ "UnrecognizedClientException", EX_NOPERM },
	{ "AccessDeniedException", EX_NOPERM },
	{ "SlowDown", EX_TEMPFAIL },
	{ "Throttling", EX_TEMPFAIL },
	{ "ThrottlingException", EX_TEMPFAIL },
	{ "RequestLimitExceeded", EX_TEMPFAIL },
	{ "RequestTimeTooSkewed", EX_CONFIG },
	{ "PermanentRedirect", EX_CONFIG },
	{ "AuthorizationHeaderMalformed", EX_CONFIG },
};

int
s3_error(const struct http_resp *r, const char *what, char *err, size_t errlen)
{
	const char *end = r->body.p + r->body.len;
	char *code = r->body.p ? xml_text(r->body.p, end, "Code", NULL) : NULL;
	char *msg = r->body.p ? xml_text(r->body.p, end, "Message", NULL) : NULL;
	int ex = EX_PROTOCOL;
	size_t i;

	if (code) {
		for (i = 0; i < sizeof s3_codes / sizeof s3_codes[0]; i++)
			if (strcmp(code, s3_codes[i].code) == 0)
				ex = s3_codes[i].ex;
		snprintf(err, errlen, "%s: %s%s%s", what, code, msg ? ": " : "", msg ? msg : "");
	} else {
		/* HEAD and some proxies answer without a body: judge by the status alone. */
		if (r->status == 404)
			ex = EX_NOINPUT;
		else if (r->status == 401 || r->status == 403)
			ex = EX_NOPERM;
		snprintf(err, errlen, "%s: HTTP %ld with no S3 error body", what, r->status);
	}
	free(code);
	free(msg);
	return ex;
}

char *
s3_redirect_region_dup(const struct http_resp *r)
{
	static const char *codes[] = {
		"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
	};
	const char *end = r->body.p + r->body.len;
	char *code = r->body.p ? xml_text(r->body.p, end, "Code", NULL) : NULL;
	char *region = NULL;
	size_t i;
	int wrong = r->status == 301 || r->status == 307;

	for (i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
		wrong |= strcmp(code, codes[i]) == 0;
	free(code);
	if (!wrong)
		return NULL;
	if (r->amz_bucket_region)
		region = estrdup(r->amz_bucket_region);
	else if (r->body.p)
		region = xml_text(r->body.p, end, "Region", NULL);
	/* It goes into a host name and the credential scope: letters, digits and '-' only. */
	if (region && (!*region || strlen(region) > 32 || region[strspn(region,
	    "abcdefghijklmnopqrstuvwxyz0123456789-")])) {
		free(region);
		region = NULL;
	}
	return region;
}

void
s3_region_set(struct s3 *s, const char *region)
{
	free(s->creds.region);
	s->creds.region = estrdup(region);
	if (!s->endpoint_custom) {
		free(s->endpoint);
		s->endpoint = esprintf("https://s3.%s.amazonaws.com", region);
	}
}

static void
xml_unescape(struct buf *b, const char *p, const char *end)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};

	while (p < end) {
		size_t i;

		if (*p != '&') {
			buf_add(b, p++, 1);
			continue;
		}
		for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
			size_t n = strlen(ents[i].ent);

			if ((size_t)(end - p) >= n && memcmp(p, ents[i].ent, n) == 0) {
				buf_add(b, &ents[i].c, 1);
				p += n;
				break;
			}
		}
		if (i < sizeof ents / sizeof ents[0])
			continue;
		if (end - p > 3 && p[1] == '#') {
			/* Numeric character reference, re-encoded as UTF-8. */
			char *semi, *q;
			unsigned long cp = p[2] == 'x' ? strtoul(p + 3, &q, 16) : strtoul(p + 2, &q, 10);
			unsigned char u[4];
			size_t n;

			semi = q;
			if (semi < end && *semi == ';' && cp > 0 && cp <= 0x10FFFF) {
				if (cp < 0x80) {
					u[0] = (unsigned char)cp, n = 1;
				} else if (cp < 0x800) {
					u[0] = 0xC0 | (cp >> 6), u[1] = 0x80 | (cp & 63), n = 2;
				} else if (cp < 0x10000) {
					u[0] = 0xE0 | (cp >> 12), u[1] = 0x80 | ((cp >> 6) & 63);
					u[2] = 0x80 | (cp & 63), n = 3;
				} else {
					u[0] = 0xF0 | (cp >> 18), u[1] = 0x80 | ((cp >> 12) & 63);
					u[2] = 0x80 | ((cp >> 6) & 63), u[3] = 0x80 | (cp & 63), n = 4;
				}
				buf_add(b, u, n);
				p = semi + 1;
				continue;
			}
		}
		buf_add(b, p++, 1);
	}
}

char *
xml_text(const char *p, const char *end, const char *tag, const char **next)
{
	size_t tl = strlen(tag);
	const char *s, *e;
	struct buf b = {0};

	for (s = p; s < end; s++) {
		if (*s != '<' || (size_t)(end - s) < tl + 2 || memcmp(s + 1, tag, tl) != 0)
			continue;
		if (s[tl + 1] == '/' && s + tl + 2 < end && s[tl + 2] == '>') {	/* <Tag/> */
			if (next)
				*next = s + tl + 3;
			return estrdup("");
		}
		if (s[tl + 1] != '>')
			continue;
		s += tl + 2;
		for (e = s; e < end; e++)
			if (*e == '<' && (size_t)(end - e) >= tl + 3 && e[1] == '/' &&
			    memcmp(e + 2, tag, tl) == 0 && e[tl + 2] == '>')
				break;
		if (e >= end)
			return NULL;
		buf_add(&b, NULL, 0);
		xml_unescape(&b, s, e);
		if (next)
			*next = e + tl + 3;
		return b.p;
	}
	return NULL;
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* S3 URL-encodes the names in a listing asked for with encoding-type=url as a form would (a
 * blank as '+'), and says so with <EncodingType>url</EncodingType>; botocore decodes them with
 * unquote_plus. NULL when s is no such encoding (a bad or NUL escape): a name is exact bytes or
 * nothing, never a guess. */
static char *
url_decode(const char *s)
{
	char *out = emalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
			    (s[1] == '0' && s[2] == '0')) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s == '+' ? ' ' : *s;
		}
	}
	*o = '\0';
	return out;
}

/* One ListObjectsV2 page being fetched through a pool. */
struct list_call {
	struct s3 *s;
	struct http_pool *pool;
	char *bucket, *prefix, *what;
	struct buf q;			/* the query, in canonical (sorted) order and encoding */
	int followed;			/* a region redirect was followed once */
	s3_list_fn done;
	void *arg;
};

static void list_send(struct list_call *);

/* The keys of one ListObjectsV2 answer into pg. 0, or a sysexits code with err set. */
static int
list_parse(const struct http_resp *r, const char *prefix, const char *what, struct s3_page *pg,
    char *err, size_t errlen)
{
	char *trunc, *enctype, *echoed;
	const char *p = r->body.p, *end, *next;
	size_t cap = 0, plen = strlen(prefix);
	int encoded;

	if (!p || !strstr(p, "<ListBucketResult")) {
		snprintf(err, errlen, "%s: unexpected ListObjectsV2 response", what);
		return EX_PROTOCOL;
	}
	end = p + r->body.len;
	/* S3 and moto echo encoding-type=url; S3-compatible stores that ignore it send raw names and
	 * no (or an empty) EncodingType, and decoding those would turn "a+b" into "a b". Of the
	 * encoded elements (Key, Prefix, StartAfter, Delimiter; not the continuation tokens) we
	 * send no start-after or delimiter. */
	enctype = xml_text(p, end, "EncodingType", NULL);
	encoded = enctype && strcmp(enctype, "url") == 0;
	free(enctype);
	if ((echoed = xml_text(p, end, "Prefix", NULL))) {
		char *dec = encoded ? url_decode(echoed) : estrdup(echoed);
		int same = dec && strcmp(dec, prefix) == 0;

		free(dec);
		free(echoed);
		if (!same) {
			snprintf(err, errlen, "%s: the listing names another prefix", what);
			return EX_PROTOCOL;
		}
	}
	while ((p = strstr(p, "<Contents>")) && p < end) {
		const char *ce = strstr(p, "</Contents>");
		struct s3_object *o;
		char *key, *size;

		if (!ce) {
			snprintf(err, errlen, "%s: truncated ListObjectsV2 response", what);
			return EX_PROTOCOL;
		}
		if (pg->n == cap) {
			cap = cap ? cap * 2 : 64;
			pg->obj = erealloc(pg->obj, cap * sizeof *pg->obj);
		}
		o = &pg->obj[pg->n];
		memset(o, 0, sizeof *o);
		key = xml_text(p, ce, "Key", NULL);
		size = xml_text(p, ce, "Size", NULL);
		if (!key || !size) {
			free(key);
			free(size);
			snprintf(err, errlen, "%s: a ListObjectsV2 entry lacks Key or Size", what);
			return EX_PROTOCOL;
		}
		o->key = encoded ? url_decode(key) : estrdup(key);
		o->size = strtoll(size, NULL, 10);
		free(size);
		pg->n++;
		/* A name we could not take exactly, or one S3 would never list under this prefix. */
		if (!o->key || strncmp(o->key, prefix, plen) != 0) {
			snprintf(err, errlen, "%s: the listing holds a key %s: %s", what,
			    o->key ? "outside the prefix" : "with a bad %-escape", key);
			free(key);
			return EX_PROTOCOL;
		}
		free(key);
		o->etag = xml_text(p, ce, "ETag", NULL);
		o->last_modified = xml_text(p, ce, "LastModified", NULL);
		if (o->etag && o->etag[0] == '"') {
			size_t n = strlen(o->etag);

			memmove(o->etag, o->etag + 1, n);
			if (n > 1 && o->etag[n - 2] == '"')
				o->etag[n - 2] = '\0';
		}
		p = ce;
	}
	trunc = xml_text(r->body.p, end, "IsTruncated", &next);
	if (trunc && strcmp(trunc, "true") == 0) {
		pg->next_token = xml_text(r->body.p, end, "NextContinuationToken", NULL);
		if (!pg->next_token) {
			free(trunc);
			snprintf(err, errlen, "%s: truncated listing without a continuation token", what);
			return EX_PROTOCOL;
		}
	}
	free(trunc);
	return 0;
}

static void
list_call_free(struct list_call *c)
{
	free(c->bucket);
	free(c->prefix);
	free(c->what);
	buf_free(&c->q);
	free(c);
}

static void
on_list(int rc, struct http_resp *r, void *arg)
{
	struct list_call *c = arg;
	struct s3_page pg = {0};
	char err[512], *region;

	if (rc) {
		snprintf(err, sizeof err, "%s", r->err);
	} else if (r->status != 200) {
		region = c->followed ? NULL : s3_redirect_region_dup(r);
		if (region && strcmp(region, c->s->creds.region) != 0) {
			progress("%s: the bucket is in %s, not %s: following", c->what, region,
			    c->s->creds.region);
			s3_region_set(c->s, region);
			free(region);
			c->followed = 1;
			list_send(c);
			return;
		}
		free(region);
		rc = s3_error(r, c->what, err, sizeof err);
	} else {
		rc = list_parse(r, c->prefix, c->what, &pg, err, sizeof err);
	}
	if (rc)
		s3_page_free(&pg);
	c->done(rc, &pg, rc ? err : NULL, c->arg);
	list_call_free(c);
}

static void
list_send(struct list_call *c)
{
	struct http_req req = {0};
	char *url = s3_request_url(c->s, c->bucket, NULL, c->q.p);

	req.method = "GET";
	req.url = url;
	req.what = c->what;
	req.idempotent = 1;
	req.ahead = 1;
	req.http1 = 1;
	req.headers = s3_sign(c->s, "GET", url, NULL, "", 0);
	http_pool_add(c->pool, &req, on_list, c);
	free(url);
}

void
s3_list_page_add(struct s3 *s, struct http_pool *pool, const char *bucket, const char *prefix,
    const char *token, s3_list_fn done, void *arg)
{
	struct list_call *c = ecalloc(1, sizeof *c);
	char *enc;

	c->s = s;
	c->pool = pool;
	c->bucket = estrdup(bucket);
	c->prefix = estrdup(prefix);
	c->what = esprintf("s3://%s/%s", bucket, prefix);
	c->done = done;
	c->arg = arg;
	if (token) {
		enc = aws_uri_encode(token, 1);
		buf_printf(&c->q, "continuation-token=%s&", enc);
		free(enc);
	}
	buf_addstr(&c->q, "encoding-type=url&list-type=2&max-keys=1000");
	if (*prefix) {
		enc = aws_uri_encode(prefix, 1);
		buf_printf(&c->q, "&prefix=%s", enc);
		free(enc);
	}
	list_send(c);
}

void
s3_page_free(struct s3_page *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++) {
		free(pg->obj[i].key);
		free(pg->obj[i].etag);
		free(pg->obj[i].last_modified);
	}
	free(pg->obj);
	free(pg->next_token);
	memset(pg, 0, sizeof *pg);
}
