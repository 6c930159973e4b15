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

/* The services aws-request signs for: those the runbook's control-plane calls use. */
static const char *const services[] = { "s3", "iam", "sts", "sqs" };
#define SERVICES "s3, iam, sts, sqs"

/* One request as the command line describes it; main fills it, the jobs below read it. */
struct request {
	const char *service, *method, *target;
	struct curl_slist *extra;	/* -H and the headers the body calls for: signed too */
	char *body;			/* -d, or the -f form */
	size_t bodylen;
	struct buf form;		/* -f parameters, form-encoded */
	char *action;			/* -f Action=...: names the request in messages */
	int md5;			/* -m */
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-mv] -s service [-X method] [-H header]... [-f name=value | -f name@file]... "
	    "[-d data | -d @file] path-or-url\n", argv0);
	exit(EX_USAGE);
}

static int
service_known(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof services / sizeof *services; i++)
		if (strcmp(s, services[i]) == 0)
			return 1;
	return 0;
}

/* -H Name: value, checked: a header that is not one would be sent as something else. A message
 * shows the argument only up to a line break, so that it stays one line. */
static void
header_add(struct request *rq, const char *h)
{
	size_t n = strcspn(h, ":");

	if (!h[n] || !http_token_valid(h, n))
		die(EX_USAGE, "-H %.*s: not name: value", (int)strcspn(h, "\r\n"), h);
	if (!http_value_valid(h + n + 1))
		die(EX_USAGE, "-H %.*s: a control character (CR, LF, ...) in the value", (int)n, h);
	rq->extra = curl_slist_append(rq->extra, h);
}

/* -f: a query-protocol parameter (IAM, STS, SQS): name=value, or name@file for a document such
 * as a policy. */
static void
form_add(struct request *rq, const char *arg)
{
	char *eq = strpbrk(arg, "=@"), *name, *val, *enc;
	size_t n;

	if (!eq || eq == arg)
		die(EX_USAGE, "-f %s: not name=value or name@file", arg);
	name = estrndup(arg, (size_t)(eq - arg));
	val = *eq == '@' ? slurp(eq + 1, &n) : estrdup(eq + 1);
	if (strcmp(name, "Action") == 0) {
		free(rq->action);
		rq->action = estrdup(val);
	}
	if (rq->form.len)
		buf_addstr(&rq->form, "&");
	enc = aws_uri_encode(name, 1);
	buf_addstr(&rq->form, enc);
	free(enc);
	enc = aws_uri_encode(val, 1);
	buf_printf(&rq->form, "=%s", enc);
	free(enc);
	free(name);
	free(val);
}

/* -d data, or -d @file. */
static void
body_set(struct request *rq, const char *arg)
{
	free(rq->body);
	rq->body = arg[0] == '@' ? slurp(arg + 1, &rq->bodylen) : estrdup(arg);
	if (arg[0] != '@')
		rq->bodylen = strlen(rq->body);
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

/* The body's headers and the default method: a form body is labelled so, any other gets
 * application/octet-stream unless -H named a type (libcurl would label it form-encoded, and
 * servers may then parse it as a form); -m adds its Content-MD5. */
static void
request_prepare(struct request *rq)
{
	struct curl_slist *h;

	if (rq->form.len) {
		rq->body = rq->form.p;
		rq->bodylen = rq->form.len;
		rq->extra = curl_slist_append(rq->extra, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
	} else if (rq->body) {
		for (h = rq->extra; h; h = h->next)
			if (strncasecmp(h->data, "content-type:", 13) == 0)
				break;
		if (!h)
			rq->extra = curl_slist_append(rq->extra, "Content-Type: application/octet-stream");
	}
	if (!rq->method)
		rq->method = rq->body ? "POST" : "GET";
	if (rq->md5) {
		char *md5 = content_md5(rq->body ? rq->body : "", rq->bodylen);

		rq->extra = curl_slist_append(rq->extra, md5);
		free(md5);
	}
}

/* The request to send: the URL (the target's own endpoint, else the service's), signed. Returns
 * the URL (q->url), which the caller frees, as it frees q->headers (http_headers_free). */
static char *
request_build(const struct request *rq, struct aws_creds *creds, struct http_req *q)
{
	char *ep, *canon, *svc_upper = estrdup(rq->service), *url;
	const char *path;

	upper(svc_upper);
	if ((path = strstr(rq->target, "://")) && (path = strchr(path + 3, '/'))) {
		ep = estrndup(rq->target, (size_t)(path - rq->target));
	} else if (path || strstr(rq->target, "://")) {
		ep = estrdup(rq->target);
		path = "/";
	} else {
		if (!(ep = aws_endpoint_url(svc_upper)))
			ep = default_endpoint(rq->service, creds->region);
		path = rq->target;
	}
	canon = canonical_target(path);
	url = esprintf("%s%s%s", ep, canon[0] == '/' ? "" : "/", canon);
	free(ep);
	free(canon);
	free(svc_upper);
	/* IAM signs in us-east-1 whatever the caller's region. */
	if (strcmp(rq->service, "iam") == 0) {
		free(creds->region);
		creds->region = estrdup("us-east-1");
	}
	memset(q, 0, sizeof *q);
	q->method = rq->method;
	q->url = url;
	q->what = rq->action ? rq->action : rq->target;
	q->headers = aws_sign(creds, rq->service, rq->method, url, rq->extra,
	    rq->body ? rq->body : "", rq->bodylen, time(NULL));
	q->body = rq->body;
	q->bodylen = rq->bodylen;
	/* GET, HEAD, PUT and DELETE are idempotent in S3 and the query APIs dbx2sf uses. */
	q->idempotent = strcmp(rq->method, "POST") != 0;
	return url;
}

/* Send it; the program ends, with the status the service's answer maps to, unless it is 2xx. */
static void
request_send(const struct request *rq, const struct http_req *q, struct http_resp *r)
{
	char err[512], *what;
	int rc;

	if ((rc = http_do(q, r)))
		die(rc, "%s", r->err);
	if (r->status >= 200 && r->status <= 299)
		return;
	what = esprintf("%s %s", rq->service, rq->action ? rq->action : rq->target);
	rc = s3_error(r, what, err, sizeof err);
	/* The query APIs say NoSuchEntity / EntityAlreadyExists; S3 NoSuch*. */
	if (strstr(err, ": NoSuchEntity") || r->status == 404)
		rc = EX_NOINPUT;
	else if (strstr(err, ": EntityAlreadyExists") || r->status == 409)
		rc = EX_CANTCREAT;
	else if (r->status == 400 && rc == EX_PROTOCOL)
		rc = EX_DATAERR;
	die(rc, "%s", err);
}

/* The response body, unchanged. */
static void
response_print(const struct http_resp *r)
{
	if (r->body.len && fwrite(r->body.p, 1, r->body.len, stdout) != r->body.len)
		stdout_fail();
}

int
main(int argc, char *argv[])
{
	struct request rq = {0};
	struct aws_creds creds;
	struct http_req q;
	struct http_resp r = {0};
	char err[512], *url;
	int c, rc;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "H:X:d:f:hms:v")) != -1) {
		switch (c) {
		case 'H': header_add(&rq, optarg); break;
		case 'X':
			if (!http_token_valid(optarg, strlen(optarg)))
				die(EX_USAGE, "-X %.*s: not an HTTP method", (int)strcspn(optarg, "\r\n"), optarg);
			rq.method = optarg;
			break;
		case 'd': body_set(&rq, optarg); break;
		case 'f': form_add(&rq, optarg); break;
		case 'm': rq.md5 = 1; break;
		case 's': rq.service = optarg; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 1 || !rq.service)
		usage();
	if (!service_known(rq.service))
		die(EX_USAGE, "-s %.*s: not a service (" SERVICES ")", (int)strcspn(rq.service, "\r\n"), rq.service);
	if (rq.form.len && rq.body)
		die(EX_USAGE, "-f and -d both give the body; use one");
	rq.target = argv[optind];
	request_prepare(&rq);

	http_init();
	if ((rc = aws_creds_load(&creds, err, sizeof err)) != 0)
		die(rc, "%s", err);
	url = request_build(&rq, &creds, &q);
	request_send(&rq, &q, &r);
	response_print(&r);
	http_resp_free(&r);
	http_headers_free(q.headers);
	http_headers_free(rq.extra);
	aws_creds_free(&creds);
	free(url);
	free(rq.body);
	free(rq.action);
	stdout_close();
	return 0;
}
