/* aws-request: send one SigV4-signed request to an AWS service and print the response body. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aws.h"
#include "http.h"
#include "s3.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-mv] -s service [-X method] [-H header]... [-f name=value | -f name@file]... "
	    "[-d data | -d @file] path-or-url\n", argv0);
	exit(EX_USAGE);
}

/* Where a service lives when no endpoint is configured. IAM is global, in us-east-1. */
static char *
default_endpoint(const char *service, const char *region)
{
	if (strcmp(service, "iam") == 0)
		return estrdup("https://iam.amazonaws.com");
	return esprintf("https://%s.%s.amazonaws.com", service, region);
}

static void
upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s -= 32;
}

/* Percent-decoding of one path or query component. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = emalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Appends s[0..n) decoded and then encoded as SigV4 canonicalises it. */
static void
add_encoded(struct buf *b, const char *s, size_t n, int encode_slash)
{
	char *raw = pct_decode(s, n), *enc = aws_uri_encode(raw, encode_slash);

	buf_addstr(b, enc);
	free(raw);
	free(enc);
}

/* The path and query as they must be sent: in the one encoding SigV4 signs, so that a key typed
 * as date=2025-11-15 or date%3D2025-11-15 is sent as it is signed. */
static char *
canonical_target(const char *t)
{
	struct buf b = {0};
	const char *q = strchr(t, '?'), *p, *end, *eq;

	buf_add(&b, NULL, 0);
	add_encoded(&b, t, q ? (size_t)(q - t) : strlen(t), 0);
	if (!q)
		return b.p;
	buf_addstr(&b, "?");
	for (p = q + 1; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(end - p));
		if (p != q + 1)
			buf_addstr(&b, "&");
		add_encoded(&b, p, (size_t)((eq ? eq : end) - p), 1);
		if (eq) {
			buf_addstr(&b, "=");
			add_encoded(&b, eq + 1, (size_t)(end - eq - 1), 1);
		}
	}
	return b.p;
}

static char *
content_md5(const void *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	unsigned char b64[32];

	EVP_Digest(p, n, md, &mdlen, EVP_md5(), NULL);
	EVP_EncodeBlock(b64, md, (int)mdlen);
	return esprintf("Content-MD5: %s", b64);
}

int
main(int argc, char *argv[])
{
	const char *service = NULL, *method = NULL, *target;
	struct curl_slist *extra = NULL, *signed_hdrs;
	struct buf form = {0};
	struct aws_creds creds;
	struct http_req q = {0};
	struct http_resp r = {0};
	char *body = NULL, *url, *ep, *canon, *svc_upper, *action = NULL, err[512];
	const char *path;
	size_t bodylen = 0;
	int c, rc, md5 = 0;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "H:X:d:f:hms:v")) != -1) {
		switch (c) {
		case 'H':
			extra = curl_slist_append(extra, optarg);
			break;
		case 'X':
			method = optarg;
			break;
		case 'd':
			free(body);
			body = optarg[0] == '@' ? slurp(optarg + 1, &bodylen) : estrdup(optarg);
			if (optarg[0] != '@')
				bodylen = strlen(body);
			break;
		case 'f': {
			/* Query-protocol parameters (IAM, STS, SQS): name=value, or name@file for a
			 * document such as a policy. */
			char *eq = strpbrk(optarg, "=@"), *name, *val, *enc;
			size_t n;

			if (!eq || eq == optarg)
				die(EX_USAGE, "-f %s: not name=value or name@file", optarg);
			name = estrndup(optarg, (size_t)(eq - optarg));
			val = *eq == '@' ? slurp(eq + 1, &n) : estrdup(eq + 1);
			if (strcmp(name, "Action") == 0) {
				free(action);
				action = estrdup(val);
			}
			if (form.len)
				buf_addstr(&form, "&");
			enc = aws_uri_encode(name, 1);
			buf_addstr(&form, enc);
			free(enc);
			enc = aws_uri_encode(val, 1);
			buf_printf(&form, "=%s", enc);
			free(enc);
			free(name);
			free(val);
			break;
		}
		case 'm':
			md5 = 1;
			break;
		case 's':
			service = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || !service)
		usage();
	if (form.len && body)
		die(EX_USAGE, "-f and -d both give the body; use one");
	if (form.len) {
		body = form.p;
		bodylen = form.len;
		extra = curl_slist_append(extra, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
	}
	if (!method)
		method = body ? "POST" : "GET";
	/* libcurl would label any body form-encoded, and servers may then parse it as a form. */
	if (body && !form.len) {
		struct curl_slist *h;

		for (h = extra; h; h = h->next)
			if (strncasecmp(h->data, "content-type:", 13) == 0)
				break;
		if (!h)
			extra = curl_slist_append(extra, "Content-Type: application/octet-stream");
	}
	if (md5) {
		char *h = content_md5(body ? body : "", bodylen);

		extra = curl_slist_append(extra, h);
		free(h);
	}
	target = argv[optind];

	http_init();
	if ((rc = aws_creds_load(&creds, err, sizeof err)) != 0)
		die(rc, "%s", err);
	svc_upper = estrdup(service);
	upper(svc_upper);
	if ((path = strstr(target, "://")) && (path = strchr(path + 3, '/'))) {
		ep = estrndup(target, (size_t)(path - target));
	} else if (path || strstr(target, "://")) {
		ep = estrdup(target);
		path = "/";
	} else {
		if (!(ep = aws_endpoint_url(svc_upper)))
			ep = default_endpoint(service, creds.region);
		path = target;
	}
	canon = canonical_target(path);
	url = esprintf("%s%s%s", ep, canon[0] == '/' ? "" : "/", canon);
	free(ep);
	free(canon);
	/* IAM signs in us-east-1 whatever the caller's region. */
	if (strcmp(service, "iam") == 0) {
		free(creds.region);
		creds.region = estrdup("us-east-1");
	}
	signed_hdrs = aws_sign(&creds, service, method, url, extra, body ? body : "", bodylen, time(NULL));
	q.method = method;
	q.url = url;
	q.what = action ? action : target;
	q.headers = signed_hdrs;
	q.body = body;
	q.bodylen = bodylen;
	/* GET, HEAD, PUT and DELETE are idempotent in S3 and the query APIs dbx2sf uses. */
	q.idempotent = strcmp(method, "POST") != 0;
	rc = http_do(&q, &r);
	if (rc)
		die(rc, "%s", r.err);
	if (r.status < 200 || r.status > 299) {
		char *what = esprintf("%s %s", service, action ? action : target);

		rc = s3_error(&r, what, err, sizeof err);
		/* The query APIs say NoSuchEntity / EntityAlreadyExists; S3 NoSuch*. */
		if (strstr(err, ": NoSuchEntity") || r.status == 404)
			rc = EX_NOINPUT;
		else if (strstr(err, ": EntityAlreadyExists") || r.status == 409)
			rc = EX_CANTCREAT;
		else if (r.status == 400 && rc == EX_PROTOCOL)
			rc = EX_DATAERR;
		die(rc, "%s", err);
	}
	if (r.body.len && fwrite(r.body.p, 1, r.body.len, stdout) != r.body.len)
		stdout_fail();
	http_resp_free(&r);
	http_headers_free(signed_hdrs);
	http_headers_free(extra);
	aws_creds_free(&creds);
	free(url);
	free(body);
	free(svc_upper);
	free(action);
	stdout_close();
	return 0;
}
