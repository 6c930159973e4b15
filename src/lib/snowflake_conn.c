/* snowflake_conn.c: connections as Snowflake CLI configures them, account identifiers, key-pair
 * JWT, and a session's credentials: JWT, OAuth or programmatic access token (see snowflake.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "config.h"
#include "snowflake.h"

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


/* ---- session credentials ---- */

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
