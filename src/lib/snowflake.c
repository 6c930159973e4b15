/* snowflake.c: Snowflake SQL API v2 client (see snowflake.h). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "config.h"
#include "http.h"
#include "snowflake.h"

#define JWT_LIFETIME	3540	/* 59 minutes: Snowflake accepts at most one hour */
#define JWT_RENEW	3000	/* re-sign a token older than this before the next request */
#define POLL_FIRST_MS	50
#define POLL_CAP_MS	5000

/* ---- connections ---- */

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? estrdup(v) : NULL;
}

/* The directory Snowflake CLI reads: $SNOWFLAKE_HOME, else ~/.snowflake if it exists, else
 * ~/.config/snowflake. */
static char *
sf_home(void)
{
	const char *h = getenv("SNOWFLAKE_HOME"), *home = getenv("HOME");
	struct stat st;
	char *d;

	if (h && *h)
		return estrdup(h);
	if (!home || !*home)
		return NULL;
	d = esprintf("%s/.snowflake", home);
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	free(d);
	return esprintf("%s/.config/snowflake", home);
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Snowflake CLI refuses config and key files that group or others may read or write. */
static int
check_private(const char *path, const char *what, char *err, size_t errlen)
{
	int p = file_private(path);

	if (p == 1)
		return 0;
	if (p < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else
		snprintf(err, errlen, "%s: %s is accessible by group or others; chmod 0600 %s", path,
		    what, path);
	return EX_CONFIG;
}

static char *
env_name(const char *prefix, const char *conn, const char *key)
{
	char *s = conn ? esprintf("%s%s_%s", prefix, conn, key) : esprintf("%s%s", prefix, key);
	char *p;

	for (p = s; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
	return s;
}

/* One key: SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>, else the file, else (if generic) SNOWFLAKE_<KEY>. */
static int
conn_key(struct sf_conn *c, const char *table, const char *key, int generic, char **out, char *err,
    size_t errlen)
{
	char *e = env_name("SNOWFLAKE_CONNECTIONS_", c->name, key);
	int r;

	*out = env_dup(e);
	free(e);
	if (*out)
		return 0;
	if (c->file) {
		r = toml_get(c->file, table, key, out, err, errlen);
		if (r < 0)
			return EX_CONFIG;
		if (r == 0) {
			if (!**out) {
				free(*out);
				*out = NULL;
			}
			return 0;
		}
	}
	if (!generic)
		return 0;
	e = env_name("SNOWFLAKE_", NULL, key);
	*out = env_dup(e);
	free(e);
	return 0;
}

int
sf_conn_load(struct sf_conn *c, const char *name, char *err, size_t errlen)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "account", offsetof(struct sf_conn, account) },
		{ "user", offsetof(struct sf_conn, user) },
		{ "authenticator", offsetof(struct sf_conn, authenticator) },
		{ "private_key_file", offsetof(struct sf_conn, private_key_file) },
		{ "token", offsetof(struct sf_conn, token) },
		{ "token_file_path", offsetof(struct sf_conn, token_file_path) },
		{ "role", offsetof(struct sf_conn, role) },
		{ "warehouse", offsetof(struct sf_conn, warehouse) },
		{ "database", offsetof(struct sf_conn, database) },
		{ "schema", offsetof(struct sf_conn, schema) },
		{ "host", offsetof(struct sf_conn, host) },
		{ "port", offsetof(struct sf_conn, port) },
		{ "protocol", offsetof(struct sf_conn, protocol) },
	};
	char *home = sf_home(), *cfg = NULL, *conns = NULL, *table = NULL, *dflt = NULL;
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof *c);
	if (home) {
		cfg = esprintf("%s/config.toml", home);
		conns = esprintf("%s/connections.toml", home);
		if (exists(cfg) && (rc = check_private(cfg, "configuration file", err, errlen)))
			goto out;
		if (exists(conns) && (rc = check_private(conns, "configuration file", err, errlen)))
			goto out;
	}
	if (name) {
		c->name = estrdup(name);
	} else if ((c->name = env_dup("SNOWFLAKE_DEFAULT_CONNECTION_NAME")) == NULL) {
		if (cfg && exists(cfg) &&
		    toml_get(cfg, "", "default_connection_name", &dflt, err, errlen) < 0) {
			rc = EX_CONFIG;
			goto out;
		}
		c->name = dflt && *dflt ? estrdup(dflt) : estrdup("default");
	}
	/* connections.toml, when present, replaces the connections of config.toml. */
	if (conns && exists(conns)) {
		c->file = estrdup(conns);
		table = estrdup(c->name);
	} else if (cfg && exists(cfg)) {
		c->file = estrdup(cfg);
		table = esprintf("connections.%s", c->name);
	}
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char **slot = (char **)((char *)c + keys[i].off);

		if ((rc = conn_key(c, table, keys[i].key, slot != &c->private_key_file, slot, err, errlen)))
			goto out;
	}
	/* private_key_path is Snowflake CLI's alias; the connection's own values before SNOWFLAKE_*. */
	if (!c->private_key_file && (rc = conn_key(c, table, "private_key_path", 0, &c->private_key_file,
	    err, errlen)))
		goto out;
	if (!c->private_key_file)
		c->private_key_file = env_dup("SNOWFLAKE_PRIVATE_KEY_FILE");
	if (!c->private_key_file)
		c->private_key_file = env_dup("SNOWFLAKE_PRIVATE_KEY_PATH");
	if (!c->account || !c->user) {
		snprintf(err, errlen, "connection %s: no %s (looked in %s, SNOWFLAKE_CONNECTIONS_*, SNOWFLAKE_*)",
		    c->name, !c->account ? "account" : "user", c->file ? c->file : "no config file");
		rc = EX_CONFIG;
	}
out:
	free(home);
	free(cfg);
	free(conns);
	free(table);
	free(dflt);
	return rc;
}

void
sf_conn_free(struct sf_conn *c)
{
	char **f[] = { &c->name, &c->account, &c->user, &c->authenticator, &c->private_key_file,
	    &c->token, &c->token_file_path, &c->role, &c->warehouse, &c->database, &c->schema,
	    &c->host, &c->port, &c->protocol, &c->file };
	size_t i;

	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (*f[i] && f[i] == &c->token)
			OPENSSL_cleanse(*f[i], strlen(*f[i]));
		free(*f[i]);
		*f[i] = NULL;
	}
}

/* ---- account identifiers ---- */

static char *
strip_domain(const char *account)
{
	static const char dom[] = ".snowflakecomputing.com";
	size_t n = strlen(account), d = sizeof dom - 1;

	if (n > d && strcasecmp(account + n - d, dom) == 0)
		n -= d;
	return estrndup(account, n);
}

char *
sf_account_claim(const char *account)
{
	char *a = strip_domain(account), *p;

	/* Global (replication) URLs carry a suffix after '-'; locators a region after '.'. */
	if (strstr(a, ".global") || strstr(a, ".GLOBAL")) {
		if ((p = strchr(a, '-')))
			*p = '\0';
	}
	if ((p = strchr(a, '.')))
		*p = '\0';
	for (p = a; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return a;
}

char *
sf_account_host(const char *account)
{
	char *a = strip_domain(account), *p, *h;

	for (p = a; *p; p++)
		*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	h = esprintf("%s.snowflakecomputing.com", a);
	free(a);
	return h;
}

char *
sf_ident(const char *s)
{
	size_t n = strlen(s);
	char *r, *p;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return estrndup(s + 1, n - 2);
	r = estrdup(s);
	for (p = r; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return r;
}

/* ---- key-pair JWT ---- */

static char *
b64(const unsigned char *p, size_t n, int url)
{
	char *s = emalloc(4 * ((n + 2) / 3) + 1), *q;

	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	if (url) {
		for (q = s; *q; q++) {
			if (*q == '+')
				*q = '-';
			else if (*q == '/')
				*q = '_';
			else if (*q == '=') {
				*q = '\0';
				break;
			}
		}
	}
	return s;
}

struct pass { const char *p; int asked; };

static int
pass_cb(char *buf, int size, int rwflag, void *arg)
{
	struct pass *pw = arg;
	size_t n;

	(void)rwflag;
	pw->asked = 1;
	if (!pw->p)
		return -1;
	n = strlen(pw->p);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw->p, n);
	return (int)n;
}

EVP_PKEY *
sf_key_load(const char *path, const char *passphrase, char *err, size_t errlen)
{
	FILE *f;
	EVP_PKEY *k;
	struct pass pw = { passphrase, 0 };
	char line[128];
	int encrypted = 0;

	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) == 0 ||
		    strncmp(line, "Proc-Type: 4,ENCRYPTED", 22) == 0)
			encrypted = 1;
	rewind(f);
	if (encrypted && !passphrase) {
		fclose(f);
		snprintf(err, errlen, "%s: private key is encrypted; set PRIVATE_KEY_PASSPHRASE", path);
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, pass_cb, &pw);
	fclose(f);
	ERR_clear_error();
	if (!k) {
		snprintf(err, errlen, "%s: %s", path, encrypted ?
		    "cannot decrypt the private key (wrong PRIVATE_KEY_PASSPHRASE?)" :
		    "not a PEM private key");
		return NULL;
	}
	if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "%s: not an RSA key (key-pair auth needs RSA, 2048 bits or more)", path);
		return NULL;
	}
	return k;
}

char *
sf_key_fingerprint(EVP_PKEY *k)
{
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	int n = i2d_PUBKEY(k, &der);
	char *b, *fp;

	if (n <= 0)
		die(EX_SOFTWARE, "cannot encode the public key");
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	b = b64(md, sizeof md, 0);
	fp = esprintf("SHA256:%s", b);
	free(b);
	return fp;
}

char *
sf_jwt(EVP_PKEY *k, const char *account, const char *user, long iat, long lifetime)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char *acct = sf_account_claim(account), *usr = estrdup(user), *p, *fp, *h64, *p64, *s64, *tok;
	json_t *claims;
	char *payload;
	EVP_MD_CTX *ctx;
	unsigned char *sig;
	size_t siglen;
	struct buf in = {0};

	for (p = usr; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	fp = sf_key_fingerprint(k);
	p = esprintf("%s.%s.%s", acct, usr, fp);
	claims = json_object();
	json_object_set_new(claims, "iss", json_string(p));
	free(p);
	p = esprintf("%s.%s", acct, usr);
	json_object_set_new(claims, "sub", json_string(p));
	free(p);
	json_object_set_new(claims, "iat", json_integer(iat));
	json_object_set_new(claims, "exp", json_integer(iat + lifetime));
	payload = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(claims);
	h64 = b64((const unsigned char *)hdr, sizeof hdr - 1, 1);
	p64 = b64((const unsigned char *)payload, strlen(payload), 1);
	buf_printf(&in, "%s.%s", h64, p64);
	if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)in.p, in.len) != 1)
		die(EX_SOFTWARE, "cannot sign the JWT");
	sig = emalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)in.p, in.len) != 1)
		die(EX_SOFTWARE, "cannot sign the JWT");
	EVP_MD_CTX_free(ctx);
	s64 = b64(sig, siglen, 1);
	tok = esprintf("%s.%s", in.p, s64);
	free(sig);
	free(s64);
	free(h64);
	free(p64);
	free(payload);
	free(fp);
	free(acct);
	free(usr);
	buf_free(&in);
	return tok;
}

/* ---- values ---- */

enum sf_type
sf_type_of(const char *t)
{
	static const struct { const char *name; enum sf_type type; } map[] = {
		{ "fixed", SF_FIXED }, { "real", SF_REAL }, { "decfloat", SF_DECFLOAT },
		{ "text", SF_TEXT }, { "binary", SF_BINARY }, { "boolean", SF_BOOLEAN },
		{ "date", SF_DATE }, { "time", SF_TIME }, { "timestamp_ntz", SF_TIMESTAMP_NTZ },
		{ "timestamp_ltz", SF_TIMESTAMP_LTZ }, { "timestamp_tz", SF_TIMESTAMP_TZ },
		{ "variant", SF_JSON }, { "object", SF_JSON }, { "array", SF_JSON }, { "map", SF_JSON },
		{ "vector", SF_JSON },
	};
	size_t i;

	for (i = 0; t && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(t, map[i].name) == 0)
			return map[i].type;
	return SF_OTHER;
}

static void
json_str_append(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			buf_add(b, e, 6);
		}
		}
	}
	buf_add(b, s + run, n - run);
	buf_add(b, "\"", 1);
}

/* [-]digits: the integer fits a double exactly (|v| <= 2^53), so jq 1.6 keeps it. */
static int
int_json_safe(const char *s, size_t n)
{
	static const char max[] = "9007199254740992";

	if (n && (*s == '-' || *s == '+'))
		s++, n--;
	while (n > 1 && *s == '0')
		s++, n--;
	return n < sizeof max - 1 || (n == sizeof max - 1 && memcmp(s, max, n) <= 0);
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* [-]digits[.digits] */
static int
is_decimal(const char *s, size_t n)
{
	const char *dot;

	if (n && *s == '-')
		s++, n--;
	if (!(dot = memchr(s, '.', n)))
		return all_digits(s, n);
	return all_digits(s, (size_t)(dot - s)) && all_digits(dot + 1, n - (size_t)(dot - s) - 1);
}

/* A JSON number token exactly. */
static int
is_json_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else {
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm). */
static void
civil(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void
date_append(struct buf *b, long long days)
{
	long long y;
	int m, d;

	civil(days, &y, &m, &d);
	if (y < 0)
		buf_printf(b, "-%04lld-%02d-%02d", -y, m, d);
	else
		buf_printf(b, "%04lld-%02d-%02d", y, m, d);
}

static long long
floordiv(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* "[-]S[.F]" seconds (F up to 9 digits), or ≥17 bare digits read as nanoseconds, into whole
 * seconds (floored) and nanoseconds in [0, 1e9). Never through a double. */
static int
epoch_parse(const char *s, size_t n, long long *sec, long *ns)
{
	const char *dot;
	int neg = 0;
	long long whole = 0;
	long frac = 0;
	size_t i, ilen;

	if (n && *s == '-')
		neg = 1, s++, n--;
	dot = memchr(s, '.', n);
	ilen = dot ? (size_t)(dot - s) : n;
	if (!all_digits(s, ilen) || ilen > (dot ? 18 : 19))
		return -1;
	for (i = 0; i < ilen; i++) {
		if (whole > (INT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (dot) {
		size_t flen = n - ilen - 1;

		if (!all_digits(dot + 1, flen) || flen > 9)
			return -1;
		for (i = 0; i < 9; i++)
			frac = frac * 10 + (i < flen ? dot[1 + i] - '0' : 0);
	} else if (ilen >= 17) {	/* integer nanoseconds */
		frac = (long)(whole % 1000000000LL);
		whole /= 1000000000LL;
	}
	if (neg && frac) {
		*sec = -whole - 1;
		*ns = 1000000000L - frac;
	} else {
		*sec = neg ? -whole : whole;
		*ns = frac;
	}
	return 0;
}

static void
clock_append(struct buf *b, long long secofday, long ns, int scale)
{
	char f[16];

	buf_printf(b, "%02lld:%02lld:%02lld", secofday / 3600, secofday / 60 % 60, secofday % 60);
	if (scale > 0) {
		snprintf(f, sizeof f, "%09ld", ns);
		buf_add(b, ".", 1);
		buf_add(b, f, (size_t)(scale > 9 ? 9 : scale));
	}
}

static void
timestamp_append(struct buf *b, long long sec, long ns, int scale, int offset_min, int with_offset)
{
	long long local = sec + (long long)offset_min * 60;
	long long days = floordiv(local, 86400);
	int off = offset_min < 0 ? -offset_min : offset_min;

	date_append(b, days);
	buf_add(b, "T", 1);
	clock_append(b, local - days * 86400, ns, scale);
	if (with_offset)
		buf_printf(b, "%c%02d:%02d", offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* Copies JSON text compactly; integers beyond 2^53 become strings (jq 1.6 would round them).
 * The text has been validated. */
static void
json_compact_append(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
		} else if (c == '"') {
			for (j = i + 1; j < n && s[j] != '"'; j++)
				if (s[j] == '\\')
					j++;
			buf_add(b, s + i, j + 1 - i);
			i = j + 1;
		} else if (c == '-' || isdigit((unsigned char)c)) {
			int integral = 1;

			for (j = i; j < n && (isdigit((unsigned char)s[j]) || strchr("+-.eE", s[j])); j++)
				if (s[j] == '.' || s[j] == 'e' || s[j] == 'E')
					integral = 0;
			if (integral && !int_json_safe(s + i, j - i))
				json_str_append(b, s + i, j - i);
			else
				buf_add(b, s + i, j - i);
			i = j;
		} else {
			buf_add(b, s + i, 1);
			i++;
		}
	}
}

int
sf_value_append(struct buf *b, const struct sf_col *c, const char *s, size_t n)
{
	long long sec, days;
	long ns;
	const char *sp;
	int off;

	if (!s) {
		buf_add(b, "null", 4);
		return 0;
	}
	switch (c->type) {
	case SF_FIXED:
		if (c->scale == 0 && all_digits(s + (n && *s == '-'), n - (n && *s == '-'))) {
			if (int_json_safe(s, n))
				buf_add(b, s, n);
			else
				json_str_append(b, s, n);
			return 0;
		}
		if (!is_decimal(s, n))
			return -1;
		json_str_append(b, s, n);
		return 0;
	case SF_REAL:
		if (is_json_number(s, n)) {
			buf_add(b, s, n);
		} else {
			char tmp[64], *end;
			double d;

			if (n >= sizeof tmp)
				return -1;
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			d = strtod(tmp, &end);
			if (end == tmp || *end)
				return -1;
			if (d != d)
				buf_addstr(b, "\"NaN\"");
			else if (d > 1e308 || d < -1e308)
				buf_addstr(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
			else
				buf_printf(b, "%.17g", d);
		}
		return 0;
	case SF_BOOLEAN:
		if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 1 && *s == '1'))
			buf_add(b, "true", 4);
		else if ((n == 5 && memcmp(s, "false", 5) == 0) || (n == 1 && *s == '0'))
			buf_add(b, "false", 5);
		else
			return -1;
		return 0;
	case SF_DATE:
		if (!all_digits(s + (n && *s == '-'), n - (n && *s == '-')) || n > 12)
			return -1;
		days = strtoll(s, NULL, 10);
		buf_add(b, "\"", 1);
		date_append(b, days);
		buf_add(b, "\"", 1);
		return 0;
	case SF_TIME:
		if (epoch_parse(s, n, &sec, &ns) < 0 || sec < 0 || sec >= 86400)
			return -1;
		buf_add(b, "\"", 1);
		clock_append(b, sec, ns, c->scale);
		buf_add(b, "\"", 1);
		return 0;
	case SF_TIMESTAMP_NTZ:
	case SF_TIMESTAMP_LTZ:
		if (epoch_parse(s, n, &sec, &ns) < 0)
			return -1;
		buf_add(b, "\"", 1);
		timestamp_append(b, sec, ns, c->scale, 0, c->type == SF_TIMESTAMP_LTZ);
		buf_add(b, "\"", 1);
		return 0;
	case SF_TIMESTAMP_TZ:
		/* "<epoch seconds> <offset minutes + 1440>" */
		if (!(sp = memchr(s, ' ', n)) || !all_digits(sp + 1, n - (size_t)(sp - s) - 1) ||
		    n - (size_t)(sp - s) - 1 > 4 || epoch_parse(s, (size_t)(sp - s), &sec, &ns) < 0)
			return -1;
		off = atoi(sp + 1) - 1440;
		if (off < -1440 || off > 1440)
			return -1;
		buf_add(b, "\"", 1);
		timestamp_append(b, sec, ns, c->scale, off, 1);
		buf_add(b, "\"", 1);
		return 0;
	case SF_JSON: {
		json_error_t e;
		json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);

		if (!v)
			return -1;
		json_decref(v);
		json_compact_append(b, s, n);
		return 0;
	}
	default:	/* TEXT, BINARY (hex), DECFLOAT (exact), anything newer: the text */
		json_str_append(b, s, n);
		return 0;
	}
}

int
sf_cols_parse(json_t *rowtype, struct sf_col **cols, size_t *ncols)
{
	size_t i, n;
	struct sf_col *c;
	json_t *t;

	if (!json_is_array(rowtype))
		return -1;
	n = json_array_size(rowtype);
	c = ecalloc(n ? n : 1, sizeof *c);
	json_array_foreach(rowtype, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		json_t *scale = json_object_get(t, "scale");
		struct buf k = {0};

		if (!name) {
			sf_cols_free(c, i);
			return -1;
		}
		c[i].name = estrdup(name);
		json_str_append(&k, name, strlen(name));
		buf_add(&k, ":", 1);
		c[i].key = k.p;
		c[i].type = sf_type_of(json_string_value(json_object_get(t, "type")));
		c[i].scale = json_is_integer(scale) ? (int)json_integer_value(scale) :
		    (c[i].type == SF_FIXED ? 0 : 9);
		if (c[i].scale < 0 || c[i].scale > 38)
			c[i].scale = 9;
	}
	*cols = c;
	*ncols = n;
	return 0;
}

void
sf_cols_free(struct sf_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].key);
	}
	free(c);
}

/* The data array of a partition is read in place: a partition of small values would take many
 * times its size as a jansson tree. A cursor over JSON text: */
struct jscan {
	const char *p, *end;
};

static int
peek(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

static int
hex4(struct jscan *s, unsigned *v)
{
	int i;

	*v = 0;
	if (s->end - s->p < 4)
		return -1;
	for (i = 0; i < 4; i++, s->p++) {
		int c = (unsigned char)*s->p;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
utf8_add(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* At a '"': the unescaped string into out (NUL-terminated, may hold NULs). */
static int
read_string(struct jscan *s, struct buf *out)
{
	const char *run;

	buf_reset(out);
	buf_add(out, NULL, 0);
	run = ++s->p;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		unsigned cp, lo;

		if (c == '"') {
			buf_add(out, run, (size_t)(s->p++ - run));
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			s->p++;
			continue;
		}
		buf_add(out, run, (size_t)(s->p - run));
		if (s->end - s->p < 2)
			return -1;
		c = (unsigned char)s->p[1];
		s->p += 2;
		switch (c) {
		case '"': case '\\': case '/': buf_add(out, &s->p[-1], 1); break;
		case 'b': buf_add(out, "\b", 1); break;
		case 'f': buf_add(out, "\f", 1); break;
		case 'n': buf_add(out, "\n", 1); break;
		case 'r': buf_add(out, "\r", 1); break;
		case 't': buf_add(out, "\t", 1); break;
		case 'u':
			if (hex4(s, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
					return -1;
				s->p += 2;
				if (hex4(s, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -1;
			}
			utf8_add(out, cp);
			break;
		default:
			return -1;
		}
		run = s->p;
	}
	return -1;
}

static int
skip_string(struct jscan *s)
{
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '\\')
			s->p++;
		else if (*s->p == '"') {
			s->p++;
			return 0;
		}
	}
	return -1;
}

static int
skip_value(struct jscan *s)
{
	int c = peek(s), depth = 0;
	const char *start = s->p;

	if (c == '"')
		return skip_string(s);
	if (c == '{' || c == '[') {
		while (s->p < s->end) {
			c = (unsigned char)*s->p;
			if (c == '"') {
				if (skip_string(s) < 0)
					return -1;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0) {
				s->p++;
				return 0;
			}
			s->p++;
		}
		return -1;
	}
	while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
		s->p++;
	return s->p > start ? 0 : -1;
}

/* The span of the top-level "data" member of the JSON object in [p, end). 0 found, 1 not, -1
 * not an object. */
static int
find_data(const char *p, const char *end, const char **a, const char **b)
{
	struct jscan s = { p, end };
	struct buf key = {0};
	int found = 1, c;

	if (peek(&s) != '{')
		return -1;
	s.p++;
	if (peek(&s) == '}')
		return 1;
	for (;;) {
		if (peek(&s) != '"' || read_string(&s, &key) < 0 || peek(&s) != ':')
			goto bad;
		s.p++;
		peek(&s);
		if (strcmp(key.p, "data") == 0) {
			*a = s.p;
			if (skip_value(&s) < 0)
				goto bad;
			*b = s.p;
			found = 0;
		} else if (skip_value(&s) < 0) {
			goto bad;
		}
		c = peek(&s);
		s.p++;
		if (c == '}')
			break;
		if (c != ',')
			goto bad;
	}
	buf_free(&key);
	return found;
bad:
	buf_free(&key);
	return -1;
}

long
sf_rows_scan(const char *text, size_t len, const struct sf_col *cols, size_t ncols, sf_row_fn row,
    void *arg)
{
	struct jscan s = { text, text + len };
	struct buf line = {0}, val = {0};
	long n = 0;
	size_t i;
	int c;

	if (peek(&s) != '[')
		goto bad;
	s.p++;
	if (peek(&s) == ']')
		goto done;
	for (;;) {
		if (peek(&s) != '[')
			goto bad;
		s.p++;
		buf_reset(&line);
		buf_add(&line, "{", 1);
		for (i = 0;; i++) {
			c = peek(&s);
			if (c == ']' && (i == ncols || (i == 0 && ncols == 0))) {
				s.p++;
				break;
			}
			if (i >= ncols)
				goto bad;
			if (i > 0) {
				if (c != ',')
					goto bad;
				s.p++;
				c = peek(&s);
				buf_add(&line, ",", 1);
			}
			buf_addstr(&line, cols[i].key);
			if (c == '"') {
				if (read_string(&s, &val) < 0 ||
				    sf_value_append(&line, &cols[i], val.p, val.len) < 0)
					goto bad;
			} else if (s.end - s.p >= 4 && memcmp(s.p, "null", 4) == 0) {
				s.p += 4;
				buf_add(&line, "null", 4);
			} else {
				goto bad;
			}
		}
		buf_add(&line, "}\n", 2);
		row(line.p, line.len, arg);
		n++;
		c = peek(&s);
		s.p++;
		if (c == ']')
			break;
		if (c != ',')
			goto bad;
	}
done:
	buf_free(&line);
	buf_free(&val);
	return n;
bad:
	buf_free(&line);
	buf_free(&val);
	return -1 - n;
}

/* ---- templating ---- */

/* One lexical step over SQL text. *st is 0 outside, '\'' '"' '$' inside a literal, a quoted
 * identifier or a $$ string, '-' '*' inside a line or block comment. Returns the bytes that go
 * together (2 for an escape or a two-character delimiter) and updates *st. */
static size_t
sql_lex(const char *p, char *st)
{
	switch (*st) {
	case '\'':
		if (p[0] == '\\' && p[1])
			return 2;
		if (p[0] == '\'')
			*st = 0;	/* a doubled quote closes and reopens: same result */
		return 1;
	case '"':
		if (p[0] == '"')
			*st = 0;
		return 1;
	case '-':
		if (p[0] == '\n')
			*st = 0;
		return 1;
	case '$':
	case '*':
		if (p[0] == *st && p[1] == (*st == '$' ? '$' : '/')) {
			*st = 0;
			return 2;
		}
		return 1;
	}
	if (p[0] == '\'' || p[0] == '"') {
		*st = p[0];
		return 1;
	}
	if ((p[0] == '$' && p[1] == '$') || (p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
		*st = p[0] == '/' ? '*' : p[0];
		return 2;
	}
	return 1;
}

int
sf_statement_count(const char *p)
{
	char st = 0, was;
	int n = 0, content = 0;
	size_t k;

	while (*p) {
		if (!st && *p == ';') {
			n += content;
			content = 0;
			p++;
			continue;
		}
		was = st;
		k = sql_lex(p, &st);
		if (was != '-' && was != '*' && st != '-' && st != '*' && !isspace((unsigned char)*p))
			content = 1;
		p += k;
	}
	return n + content;
}

static int
plain_value(const char *v)
{
	const char *p = v;

	if (*p == '-' || *p == '+')
		p++;
	if (is_decimal(p, strlen(p)))
		return 1;
	/* identifier(.identifier)* */
	p = v;
	for (;;) {
		if (!(isalpha((unsigned char)*p) || *p == '_'))
			return 0;
		for (p++; isalnum((unsigned char)*p) || *p == '_' || *p == '$'; p++)
			;
		if (*p == '\0')
			return 1;
		if (*p++ != '.')
			return 0;
	}
}

static const char *
def_lookup(char *const *defs, size_t ndefs, const char *name, size_t len)
{
	size_t i;

	/* The last definition of a name wins, as with repeated -D. */
	for (i = ndefs; i-- > 0;)
		if (strncmp(defs[i], name, len) == 0 && defs[i][len] == '=')
			return defs[i] + len + 1;
	return NULL;
}

char *
sf_template(const char *sql, char *const *defs, size_t ndefs, char *err, size_t errlen)
{
	struct buf b = {0};
	const char *p = sql, *q, *name, *v;
	char quote = 0;		/* lexical state, see sql_lex */
	size_t len;

	buf_add(&b, NULL, 0);
	while (*p) {
		if (p[0] == '<' && p[1] == '%') {
			if (!(q = strstr(p + 2, "%>"))) {
				snprintf(err, errlen, "unterminated <%% in the statement");
				goto fail;
			}
			for (name = p + 2; *name == ' ' || *name == '\t'; name++)
				;
			for (len = 0; isalnum((unsigned char)name[len]) || name[len] == '_' || name[len] == '.'; len++)
				;
			for (v = name + len; *v == ' ' || *v == '\t'; v++)
				;
			if (len == 0 || v != q) {
				snprintf(err, errlen, "malformed template variable <%%%.*s%%>", (int)(q - p - 2), p + 2);
				goto fail;
			}
			if (!(v = def_lookup(defs, ndefs, name, len))) {
				snprintf(err, errlen, "template variable %.*s is not defined (use -D %.*s=value)",
				    (int)len, name, (int)len, name);
				goto fail;
			}
			if (quote == '\'') {
				for (; *v; v++) {
					if (*v == '\'' || *v == '\\')
						buf_add(&b, v, 1);
					buf_add(&b, v, 1);
				}
			} else if (quote) {
				const char *bad = quote == '"' ? (strchr(v, '"') ? "'\"'" : NULL) :
				    quote == '$' ? (strstr(v, "$$") ? "'$$'" : NULL) :
				    quote == '-' ? (strpbrk(v, "\r\n") ? "a line break" : NULL) :
				    (strstr(v, "*/") ? "'*/'" : NULL);

				if (bad) {
					snprintf(err, errlen, "-D %.*s: a value inside a %s cannot contain %s",
					    (int)len, name, quote == '"' ? "quoted identifier" :
					    quote == '$' ? "$$ string" : "comment", bad);
					goto fail;
				}
				buf_addstr(&b, v);
			} else {
				if (!plain_value(v)) {
					snprintf(err, errlen, "-D %.*s: value must be an identifier or a number outside quotes; "
					    "write '<%% %.*s %%>' for a string", (int)len, name, (int)len, name);
					goto fail;
				}
				buf_addstr(&b, v);
			}
			p = q + 2;
			continue;
		}
		len = sql_lex(p, &quote);
		buf_add(&b, p, len);
		p += len;
	}
	return b.p;
fail:
	buf_free(&b);
	return NULL;
}

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

static char *
read_token_file(const char *path, char *err, size_t errlen)
{
	FILE *f;
	struct buf b = {0};
	char chunk[512];
	size_t n;

	if (check_private(path, "token file", err, errlen))
		return NULL;
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf_add(&b, NULL, 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	OPENSSL_cleanse(chunk, sizeof chunk);
	while (b.len && isspace((unsigned char)b.p[b.len - 1]))
		b.p[--b.len] = '\0';
	if (!b.len) {
		snprintf(err, errlen, "%s: token file is empty", path);
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

static volatile sig_atomic_t caught;

static void
on_signal(int sig)
{
	/* The first signal cancels the statement; a second one does not wait for that. */
	if (caught)
		_exit(128 + sig);
	caught = sig;
}

void
sf_catch_signals(struct sf_session *s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s->stop = &caught;
}

int
sf_session_open(struct sf_session *s, struct sf_conn *c, int dry, char *err, size_t errlen)
{
	const char *auth = c->authenticator, *proto = c->protocol ? c->protocol : "https";
	char *host;

	memset(s, 0, sizeof *s);
	s->conn = c;
	if (!auth)
		auth = c->private_key_file ? "SNOWFLAKE_JWT" : NULL;
	if (auth && strcasecmp(auth, "SNOWFLAKE_JWT") == 0) {
		s->token_type = "KEYPAIR_JWT";
	} else if (auth && strcasecmp(auth, "OAUTH") == 0) {
		s->token_type = "OAUTH";
	} else if (auth && strcasecmp(auth, "PROGRAMMATIC_ACCESS_TOKEN") == 0) {
		s->token_type = "PROGRAMMATIC_ACCESS_TOKEN";
	} else {
		snprintf(err, errlen, "connection %s: authenticator %s not supported "
		    "(SNOWFLAKE_JWT, OAUTH or PROGRAMMATIC_ACCESS_TOKEN)", c->name, auth ? auth : "(none)");
		return EX_CONFIG;
	}
	if (strcmp(proto, "https") != 0 && strcmp(proto, "http") != 0) {
		snprintf(err, errlen, "connection %s: protocol %s: must be https or http", c->name, proto);
		return EX_CONFIG;
	}
	host = c->host ? estrdup(c->host) : sf_account_host(c->account);
	s->base_url = c->port ? esprintf("%s://%s:%s", proto, host, c->port) : esprintf("%s://%s", proto, host);
	free(host);
	s->claim_account = sf_account_claim(c->account);
	s->claim_user = estrdup(c->user);
	if (strcmp(s->token_type, "KEYPAIR_JWT") == 0) {
		if (!c->private_key_file) {
			snprintf(err, errlen, "connection %s: SNOWFLAKE_JWT needs private_key_file", c->name);
			return EX_CONFIG;
		}
		if (dry)
			return 0;
		if (check_private(c->private_key_file, "private key file", err, errlen))
			return EX_CONFIG;
		if (!(s->key = sf_key_load(c->private_key_file, getenv("PRIVATE_KEY_PASSPHRASE"), err, errlen)))
			return EX_CONFIG;
		return 0;
	}
	if (c->token) {
		if (!dry)
			s->bearer = estrdup(c->token);
	} else if (c->token_file_path) {
		if (!dry && !(s->bearer = read_token_file(c->token_file_path, err, errlen)))
			return EX_CONFIG;
	} else {
		snprintf(err, errlen, "connection %s: %s needs token or token_file_path", c->name,
		    c->authenticator);
		return EX_CONFIG;
	}
	return 0;
}

void
sf_session_close(struct sf_session *s)
{
	if (s->bearer) {
		OPENSSL_cleanse(s->bearer, strlen(s->bearer));
		free(s->bearer);
	}
	EVP_PKEY_free(s->key);
	free(s->base_url);
	free(s->claim_account);
	free(s->claim_user);
	memset(s, 0, sizeof *s);
}

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
	rc = http_do(&q, r);
	curl_slist_free_all(q.headers);
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
	if (r->status == 200 && find_data(r->body.p, r->body.p + r->body.len, &a, &b) == 0 && b - a >= 2) {
		size_t off = (size_t)(a - r->body.p), n = (size_t)(b - a);

		buf_add(data, a, n);
		memcpy(r->body.p + off, "[]", 2);
		memmove(r->body.p + off + 2, r->body.p + off + n, r->body.len - off - n + 1);
		r->body.len -= n - 2;
	}
	j = r->body.len ? json_loadb(r->body.p, r->body.len, 0, &e) : NULL;
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
	long delay = POLL_FIRST_MS;
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
			if (handle && s->stop && *s->stop)
				st = SF_INTERRUPTED;	/* our cancel made it fail */
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
		if (s->stop && *s->stop) {
			cancel(s, handle);
			st = SF_INTERRUPTED;
			break;
		}
		progress("%s: statement %s running (%.1f s)", s->what, handle, now_s() - t0);
		{
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };

			nanosleep(&ts, NULL);	/* a signal cuts the wait short */
		}
		if (s->stop && *s->stop) {
			cancel(s, handle);
			st = SF_INTERRUPTED;
			break;
		}
		delay = delay * 2 > POLL_CAP_MS ? POLL_CAP_MS : delay * 2;
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

			if (s->stop && *s->stop) {
				rc = SF_INTERRUPTED;
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
			if (!rc && find_data(r.body.p, r.body.p + r.body.len, &a, &b) == 0) {
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
	char *url = esprintf("%s/api/v2/statements?requestId=%s&async=true", s->base_url, uuid);
	char *retry = esprintf("%s&retry=true", url);
	struct http_resp r = {0};
	struct buf data = {0};
	json_t *rs = NULL, *children;
	int rc;
	size_t i;

	rc = call(s, "POST", url, retry, body, &r, err, errlen);
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
		if (s->stop && *s->stop) {
			rc = SF_INTERRUPTED;
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
