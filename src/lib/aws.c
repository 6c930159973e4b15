/* aws.c: the AWS credentials/config chain and Signature Version 4 over OpenSSL libcrypto. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "aws.h"
#include "config.h"
#include "http.h"
#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/*
 * Credentials and configuration
 */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* An AWS file name from the environment variable var or ~/.aws/<name>; "~/" expanded. NULL
 * when neither can be formed (no HOME). */
static char *
aws_file(const char *var, const char *name)
{
	const char *v = env(var), *home = env("HOME");

	if (v && strncmp(v, "~/", 2) == 0 && home)
		return esprintf("%s/%s", home, v + 2);
	if (v)
		return estrdup(v);
	if (!home)
		return NULL;
	return esprintf("%s/.aws/%s", home, name);
}

static const char *
profile_name(void)
{
	const char *p = env("AWS_PROFILE");

	return p ? p : "default";
}

/* key of profile in the config file: [profile NAME], and for "default" [default] first. */
static char *
config_get(const char *cfg, const char *profile, const char *key)
{
	char *sect, *v = NULL;

	if (!cfg)
		return NULL;
	if (strcmp(profile, "default") == 0 && (v = ini_get(cfg, "default", key)))
		return v;
	sect = esprintf("profile %s", profile);
	v = ini_get(cfg, sect, key);
	free(sect);
	return v;
}

static int
config_has_profile(const char *cfg, const char *profile)
{
	char *sect;
	int r;

	if (!cfg)
		return 0;
	if (strcmp(profile, "default") == 0 && ini_has_section(cfg, "default"))
		return 1;
	sect = esprintf("profile %s", profile);
	r = ini_has_section(cfg, sect);
	free(sect);
	return r;
}

/* The first of keys[] the profile sets in either file, or NULL. */
static const char *
profile_uses(const char *creds, const char *cfg, const char *profile, const char *const *keys)
{
	char *v;

	for (; *keys; keys++) {
		v = creds ? ini_get(creds, profile, *keys) : NULL;
		if (!v)
			v = config_get(cfg, profile, *keys);
		if (v) {
			free(v);
			return *keys;
		}
	}
	return NULL;
}

static void
set_region(struct aws_creds *c, const char *cfg, const char *profile)
{
	const char *r = env("AWS_REGION");

	if (!r)
		r = env("AWS_DEFAULT_REGION");
	if (r)
		c->region = estrdup(r);
	else if (!(c->region = config_get(cfg, profile, "region")) || !*c->region) {
		free(c->region);
		c->region = estrdup("us-east-1");
	}
}

/* Keys from one INI section; 1 when both the key id and the secret are there. */
static int
from_section(struct aws_creds *c, const char *path, const char *creds_sect,
    const char *cfg_profile)
{
	char *id, *secret, *token;

	if (creds_sect) {
		id = ini_get(path, creds_sect, "aws_access_key_id");
		secret = ini_get(path, creds_sect, "aws_secret_access_key");
		token = ini_get(path, creds_sect, "aws_session_token");
		if (!token)
			token = ini_get(path, creds_sect, "aws_security_token");
	} else {
		id = config_get(path, cfg_profile, "aws_access_key_id");
		secret = config_get(path, cfg_profile, "aws_secret_access_key");
		token = config_get(path, cfg_profile, "aws_session_token");
		if (!token)
			token = config_get(path, cfg_profile, "aws_security_token");
	}
	if (id && *id && secret && *secret) {
		c->access_key_id = id;
		c->secret_access_key = secret;
		if (token && *token)
			c->session_token = token;
		else
			free(token);
		return 1;
	}
	free(id);
	free(secret);
	free(token);
	return 0;
}

int
aws_creds_load(struct aws_creds *c, char *err, size_t errlen)
{
	static const char *const before_files[] = {
		"role_arn", "web_identity_token_file", "sso_session", "sso_start_url",
		"login_session", NULL,
	};
	static const char *const before_config[] = { "credential_process", NULL };
	const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN"), *profile = profile_name(), *src;
	char *creds = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *cfg = aws_file("AWS_CONFIG_FILE", "config");
	int rc = 0;

	memset(c, 0, sizeof *c);
	if (errlen)
		err[0] = '\0';
	if (id && secret) {
		c->access_key_id = estrdup(id);
		c->secret_access_key = estrdup(secret);
		if (token)
			c->session_token = estrdup(token);
	} else if (id || secret) {
		snprintf(err, errlen, "%s is set but %s is not",
		    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		rc = EX_CONFIG;
	} else if ((src = profile_uses(creds, cfg, profile, before_files)) ||
	    (!(creds && from_section(c, creds, profile, NULL)) &&
	    (src = profile_uses(creds, cfg, profile, before_config)))) {
		/* botocore tries these before static keys in the files (credential_process
		 * only before those in the config file); using the keys instead would act
		 * as a different identity than the AWS CLI does */
		snprintf(err, errlen, "AWS profile \"%s\" uses %s, which is not supported; "
		    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (e.g. from "
		    "\"aws configure export-credentials --format env\")", profile, src);
		rc = EX_CONFIG;
	} else if (c->access_key_id || (cfg && from_section(c, cfg, NULL, profile))) {
		/* found in a file */
	} else if ((creds && ini_has_section(creds, profile)) || config_has_profile(cfg, profile)) {
		snprintf(err, errlen, "AWS profile \"%s\" has no aws_access_key_id and "
		    "aws_secret_access_key (%s, %s)", profile, creds ? creds : "no credentials file",
		    cfg ? cfg : "no config file");
		rc = EX_CONFIG;
	} else {
		snprintf(err, errlen, "no AWS credentials: AWS_ACCESS_KEY_ID is not set and "
		    "profile \"%s\" is in neither %s nor %s", profile,
		    creds ? creds : "~/.aws/credentials", cfg ? cfg : "~/.aws/config");
		rc = EX_CONFIG;
	}
	if (rc == 0)
		set_region(c, cfg, profile);
	free(creds);
	free(cfg);
	return rc;
}

void
aws_creds_free(struct aws_creds *c)
{
	if (c->secret_access_key)
		OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token)
		OPENSSL_cleanse(c->session_token, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	free(c->region);
	memset(c, 0, sizeof *c);
}

static char *
strip_slash(char *u)
{
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	return u;
}

char *
aws_endpoint_url(const char *service)
{
	const char *v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	char *name, *p, *cfg, *u;

	if (v && strcasecmp(v, "true") == 0)
		return NULL;
	name = esprintf("AWS_ENDPOINT_URL_%s", service);
	for (p = name; *p; p++)
		*p = *p == ' ' || *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	v = env(name);
	free(name);
	if (!v)
		v = env("AWS_ENDPOINT_URL");
	if (v)
		return strip_slash(estrdup(v));
	cfg = aws_file("AWS_CONFIG_FILE", "config");
	u = config_get(cfg, profile_name(), "endpoint_url");
	free(cfg);
	if (u && !*u) {
		free(u);
		return NULL;
	}
	return u ? strip_slash(u) : NULL;
}

/*
 * Signature Version 4
 */

static const char hexdig[] = "0123456789ABCDEF";

static int
unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~';
}

static int
ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void
pct(struct buf *b, unsigned char c)
{
	char e[3] = { '%', hexdig[c >> 4], hexdig[c & 15] };

	buf_add(b, e, 3);
}

char *
aws_uri_encode(const char *s, int encode_slash)
{
	return urlencode(s, encode_slash);
}

/* Append s[0..n) in canonical form, taking existing %XX escapes as already encoded. */
static void
normalise(struct buf *b, const char *s, size_t n, int encode_slash)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' && i + 2 < n &&
		    ishex((unsigned char)s[i + 1]) && ishex((unsigned char)s[i + 2])) {
			char e[3] = { '%', (char)toupper((unsigned char)s[i + 1]),
			    (char)toupper((unsigned char)s[i + 2]) };

			buf_add(b, e, 3);
			i += 2;
		} else if (unreserved(c) || (c == '/' && !encode_slash)) {
			buf_add(b, &s[i], 1);
		} else {
			pct(b, c);
		}
	}
}

char *
aws_canonical_uri(const char *service, const char *path)
{
	struct buf b = {0}, segs = {0};
	const char *p, *e;
	size_t *stack = NULL, nstack = 0;
	char *r;
	int trailing;

	if (!*path)
		return estrdup("/");
	if (strcmp(service, "s3") == 0) {
		if (*path != '/')
			buf_addstr(&b, "/");
		normalise(&b, path, strlen(path), 0);
		return b.p;
	}
	/* remove dot segments and empty segments, keeping a trailing '/' */
	trailing = path[strlen(path) - 1] == '/';
	buf_add(&segs, NULL, 0);
	stack = emalloc((strlen(path) + 1) * sizeof *stack);
	for (p = path; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		if (e == p || (e - p == 1 && *p == '.'))
			continue;
		if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			if (nstack)
				segs.len = stack[--nstack];
			segs.p[segs.len] = '\0';
			continue;
		}
		stack[nstack++] = segs.len;
		buf_addstr(&segs, "/");
		buf_add(&segs, p, (size_t)(e - p));
	}
	if (segs.len == 0)
		buf_addstr(&segs, "/");
	else if (trailing)
		buf_addstr(&segs, "/");
	free(stack);
	r = aws_uri_encode(segs.p, 0);
	buf_free(&segs);
	buf_free(&b);
	return r;
}

struct param {
	char *name, *value;
};

static int
param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->value, y->value);
}

char *
aws_canonical_query(const char *query)
{
	struct param *ps;
	struct buf b = {0}, t = {0};
	const char *p, *e, *eq;
	size_t n = 1, np = 0, i;

	for (p = query; *p; p++)
		n += *p == '&';
	ps = ecalloc(n, sizeof *ps);
	for (p = query; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '&');
		if (!e)
			e = p + strlen(p);
		if (e == p)
			continue;
		eq = memchr(p, '=', (size_t)(e - p));
		buf_reset(&t);
		buf_add(&t, NULL, 0);
		normalise(&t, p, (size_t)((eq ? eq : e) - p), 1);
		ps[np].name = estrdup(t.p);
		buf_reset(&t);
		if (eq)
			normalise(&t, eq + 1, (size_t)(e - eq - 1), 1);
		ps[np].value = estrdup(t.p);
		np++;
	}
	qsort(ps, np, sizeof *ps, param_cmp);
	buf_add(&b, NULL, 0);
	for (i = 0; i < np; i++) {
		buf_printf(&b, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value);
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	buf_free(&t);
	return b.p;
}

struct hdr {
	char *name, *value;
	size_t idx;
};

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Split a curl header line into a lower-cased name and a trimmed value with inner runs of
 * blanks collapsed. "Name;" is curl's way to send an empty value. Returns 0 if malformed. */
static int
hdr_parse(const char *line, struct hdr *h)
{
	const char *colon = strchr(line, ':'), *v;
	struct buf b = {0};
	size_t n;
	char *p;

	if (!colon) {
		n = strlen(line);
		if (n == 0 || line[n - 1] != ';')
			return 0;
		h->name = estrndup(line, n - 1);
		h->value = estrdup("");
	} else {
		h->name = estrndup(line, (size_t)(colon - line));
		buf_add(&b, NULL, 0);
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (; *v; v++) {
			if (*v == ' ' || *v == '\t') {
				while (v[1] == ' ' || v[1] == '\t')
					v++;
				if (!v[1])
					break;
				buf_addstr(&b, " ");
			} else {
				buf_add(&b, v, 1);
			}
		}
		h->value = b.p;
	}
	for (p = h->name + strlen(h->name); p > h->name && (p[-1] == ' ' || p[-1] == '\t'); )
		*--p = '\0';
	for (p = h->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 1;
}

/* Split url into host (with port) and path+query pointers. */
static void
url_split(const char *url, char **host, const char **path, const char **query)
{
	const char *h = strstr(url, "://"), *e;

	if (*url != '/' && h) {
		h += 3;
		e = h + strcspn(h, "/?#");
		if (host)
			*host = estrndup(h, (size_t)(e - h));
		url = e;
	} else if (host) {
		*host = NULL;
	}
	*path = url;
	*query = strchr(url, '?');
}

char *
aws_canonical_request(const char *service, const char *method, const char *url,
    const struct curl_slist *headers, const char *payload_hash, char **signed_headers)
{
	const char *path, *q;
	char *p, *uri, *query, *qs;
	struct hdr *hs;
	struct buf b = {0}, sh = {0};
	const struct curl_slist *l;
	size_t n = 0, i;

	url_split(url, NULL, &path, &q);
	p = estrndup(path, q ? (size_t)(q - path) : strcspn(path, "#"));
	uri = aws_canonical_uri(service, p);
	free(p);
	qs = q ? estrndup(q + 1, strcspn(q + 1, "#")) : estrdup("");
	query = aws_canonical_query(qs);
	free(qs);

	for (l = headers; l; l = l->next)
		n++;
	hs = ecalloc(n ? n : 1, sizeof *hs);
	for (n = 0, l = headers; l; l = l->next)
		if (hdr_parse(l->data, &hs[n])) {
			hs[n].idx = n;
			n++;
		}
	qsort(hs, n, sizeof *hs, hdr_cmp);

	buf_add(&b, NULL, 0);
	buf_addstr(&b, method);
	buf_addstr(&b, "\n");
	buf_addstr(&b, uri);
	buf_addstr(&b, "\n");
	buf_addstr(&b, query);
	buf_addstr(&b, "\n");
	buf_add(&sh, NULL, 0);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0) {
			buf_addstr(&b, ",");
			buf_addstr(&b, hs[i].value);
			continue;
		}
		if (i > 0)
			buf_addstr(&b, "\n");
		buf_addstr(&b, hs[i].name);
		buf_addstr(&b, ":");
		buf_addstr(&b, hs[i].value);
		if (sh.len)
			buf_addstr(&sh, ";");
		buf_addstr(&sh, hs[i].name);
	}
	buf_addstr(&b, "\n\n");
	buf_addstr(&b, sh.p);
	buf_addstr(&b, "\n");
	buf_addstr(&b, payload_hash);
	for (i = 0; i < n; i++) {
		free(hs[i].name);
		free(hs[i].value);
	}
	free(hs);
	free(uri);
	free(query);
	if (signed_headers)
		*signed_headers = sh.p;
	else
		buf_free(&sh);
	return b.p;
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char lx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = lx[d[i] >> 4];
		out[2 * i + 1] = lx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* SHA-256 fetched once: EVP_sha256() and HMAC() look the algorithm up again on every call,
 * which cost more than the hashing of a request's few hundred bytes. */
static const EVP_MD *
sha256_md(void)
{
	static EVP_MD *md;

	if (!md && !(md = EVP_MD_fetch(NULL, "SHA256", NULL)))
		die(EX_SOFTWARE, "SHA-256 unavailable");
	return md;
}

static void
sha256(const void *d, size_t n, unsigned char md[32])
{
	unsigned int len = 32;

	if (!EVP_Digest(d, n, md, &len, sha256_md(), NULL))
		die(EX_SOFTWARE, "EVP_Digest SHA-256 failed");
}

/* HMAC-SHA256 (RFC 2104) over the one SHA-256 above. */
static void
hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	static EVP_MD_CTX *ctx;
	unsigned char k[64] = {0}, pad[64], inner[32];
	unsigned int len = 32;
	size_t i;

	if (!ctx && !(ctx = EVP_MD_CTX_new()))
		die(EX_OSERR, "out of memory");
	if (keylen > sizeof k)
		sha256(key, keylen, k);
	else
		memcpy(k, key, keylen);
	for (i = 0; i < sizeof pad; i++)
		pad[i] = k[i] ^ 0x36;
	if (!EVP_DigestInit_ex(ctx, sha256_md(), NULL) || !EVP_DigestUpdate(ctx, pad, sizeof pad) ||
	    !EVP_DigestUpdate(ctx, msg, strlen(msg)) || !EVP_DigestFinal_ex(ctx, inner, &len))
		die(EX_SOFTWARE, "HMAC-SHA256 failed");
	for (i = 0; i < sizeof pad; i++)
		pad[i] = k[i] ^ 0x5c;
	if (!EVP_DigestInit_ex(ctx, sha256_md(), NULL) || !EVP_DigestUpdate(ctx, pad, sizeof pad) ||
	    !EVP_DigestUpdate(ctx, inner, sizeof inner) || !EVP_DigestFinal_ex(ctx, out, &len))
		die(EX_SOFTWARE, "HMAC-SHA256 failed");
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	OPENSSL_cleanse(inner, sizeof inner);
}

char *
aws_payload_hash(const void *body, size_t bodylen)
{
	unsigned char md[32];
	char *h;

	if (!body && bodylen == AWS_UNSIGNED_PAYLOAD)
		return estrdup("UNSIGNED-PAYLOAD");
	if (!body || !bodylen)
		return estrdup("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256(body, bodylen, md);
	h = emalloc(65);
	hex(md, 32, h);
	return h;
}

char *
aws_string_to_sign(const char *amzdate, const char *scope, const char *creq)
{
	char *h = aws_payload_hash(creq, strlen(creq)), *s;

	s = esprintf(ALGORITHM "\n%s\n%s\n%s", amzdate, scope, h);
	free(h);
	return s;
}

void
aws_signing_key(const char *secret, const char *date, const char *region, const char *service,
    unsigned char key[32])
{
	unsigned char k[32];
	char *s = esprintf("AWS4%s", secret);

	hmac(s, strlen(s), date, k);
	OPENSSL_cleanse(s, strlen(s));
	free(s);
	hmac(k, 32, region, key);
	hmac(key, 32, service, k);
	hmac(k, 32, "aws4_request", key);
	OPENSSL_cleanse(k, sizeof k);
}

char *
aws_signature(const unsigned char key[32], const char *sts)
{
	unsigned char md[32];
	char *s = emalloc(65);

	hmac(key, 32, sts, md);
	hex(md, 32, s);
	return s;
}

/* The signing key changes only with the day, region, service and secret: derived (four
 * HMACs) once per day rather than for every request. The cache holds a copy of the secret it
 * was derived from (compared, never printed), wiped at exit. */
static struct {
	char *secret, date[9], region[64], service[32];
	unsigned char key[32];
} kc;

static void
kc_wipe(void)
{
	if (kc.secret) {
		OPENSSL_cleanse(kc.secret, strlen(kc.secret));
		free(kc.secret);
	}
	OPENSSL_cleanse(&kc, sizeof kc);
}

static void
signing_key(const char *secret, const char *date, const char *region, const char *service,
    unsigned char key[32])
{
	static int registered;

	if (!kc.secret || strcmp(kc.secret, secret) != 0 || strcmp(kc.date, date) != 0 ||
	    strcmp(kc.region, region) != 0 || strcmp(kc.service, service) != 0) {
		if (strlen(date) >= sizeof kc.date || strlen(region) >= sizeof kc.region ||
		    strlen(service) >= sizeof kc.service) {
			aws_signing_key(secret, date, region, service, key);
			return;
		}
		if (!registered && atexit(kc_wipe) == 0)
			registered = 1;
		kc_wipe();
		aws_signing_key(secret, date, region, service, kc.key);
		kc.secret = estrdup(secret);
		strcpy(kc.date, date);
		strcpy(kc.region, region);
		strcpy(kc.service, service);
	}
	memcpy(key, kc.key, sizeof kc.key);
}

/* Headers that proxies or libcurl may add or change, which botocore (and so moto's verifier)
 * never signs. */
static int
unsignable(const char *name)
{
	static const char *names[] = {
		"connection", "expect", "keep-alive", "te", "trailer", "transfer-encoding",
		"upgrade", "user-agent", "x-amzn-trace-id", "authorization",
	};
	size_t i;

	if (strncmp(name, "proxy-", 6) == 0)
		return 1;
	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* Headers aws_sign sets itself; the caller's copies are dropped. */
static int
ours(const char *name)
{
	return strcmp(name, "x-amz-date") == 0 || strcmp(name, "x-amz-content-sha256") == 0 ||
	    strcmp(name, "x-amz-security-token") == 0 || strcmp(name, "authorization") == 0;
}

static struct curl_slist *
append(struct curl_slist *l, const char *s)
{
	struct curl_slist *n = curl_slist_append(l, s);

	if (!n)
		die(EX_OSERR, "out of memory");
	return n;
}

struct curl_slist *
aws_sign(const struct aws_creds *c, const char *service, const char *method, const char *url,
    struct curl_slist *headers, const void *body, size_t bodylen, time_t now)
{
	struct curl_slist *out = NULL, *sign = NULL, *l;
	struct hdr h;
	struct tm tm;
	char amzdate[17], date[9], *host, *hash, *scope, *creq, *sts, *sig, *sh, *line;
	const char *path, *query;
	unsigned char key[32];
	int havehost = 0;
	size_t n;

	url_split(url, &host, &path, &query);
	if (!host)
		host = estrdup("");
	/* libcurl leaves the scheme's default port out of Host */
	n = strlen(host);
	if ((strncmp(url, "http:", 5) == 0 && n > 3 && strcmp(host + n - 3, ":80") == 0))
		host[n - 3] = '\0';
	else if (strncmp(url, "https:", 6) == 0 && n > 4 && strcmp(host + n - 4, ":443") == 0)
		host[n - 4] = '\0';

	gmtime_r(&now, &tm);
	strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	hash = aws_payload_hash(body, bodylen);

	for (l = headers; l; l = l->next) {
		if (!hdr_parse(l->data, &h)) {
			out = append(out, l->data);
			continue;
		}
		if (!ours(h.name)) {
			out = append(out, l->data);
			/* "Name:" with nothing after the colon tells curl to drop the header */
			if (!unsignable(h.name) && !(strchr(l->data, ':') && !*h.value))
				sign = append(sign, l->data);
			if (strcmp(h.name, "host") == 0)
				havehost = 1;
		}
		free(h.name);
		free(h.value);
	}
	line = esprintf("Host: %s", host);
	if (!havehost) {
		out = append(out, line);
		sign = append(sign, line);
	}
	free(line);
	line = esprintf("X-Amz-Date: %s", amzdate);
	out = append(out, line);
	sign = append(sign, line);
	free(line);
	line = esprintf("X-Amz-Content-Sha256: %s", hash);
	out = append(out, line);
	sign = append(sign, line);
	free(line);
	if (c->session_token && *c->session_token) {
		line = esprintf("X-Amz-Security-Token: %s", c->session_token);
		out = append(out, line);
		sign = append(sign, line);
		OPENSSL_cleanse(line, strlen(line));
		free(line);
	}

	creq = aws_canonical_request(service, method, url, sign, hash, &sh);
	scope = esprintf("%s/%s/%s/aws4_request", date, c->region ? c->region : "us-east-1",
	    service);
	sts = aws_string_to_sign(amzdate, scope, creq);
	signing_key(c->secret_access_key, date, c->region ? c->region : "us-east-1", service, key);
	sig = aws_signature(key, sts);
	OPENSSL_cleanse(key, sizeof key);
	line = esprintf("Authorization: " ALGORITHM " Credential=%s/%s, SignedHeaders=%s, "
	    "Signature=%s", c->access_key_id, scope, sh, sig);
	out = append(out, line);

	free(line);
	free(sig);
	free(sts);
	free(scope);
	free(sh);
	/* the canonical request holds the session token */
	OPENSSL_cleanse(creq, strlen(creq));
	free(creq);
	http_headers_free(sign);
	free(hash);
	free(host);
	return out;
}
