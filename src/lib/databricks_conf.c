/* databricks_conf.c: configuration as Databricks unified client auth resolves it (see
 * databricks.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "databricks.h"

/* Configuration */

static char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? estrdup(v) : NULL;
}

static void
setif(char **slot, char *v)
{
	if (*slot || !v) {
		free(v);
		return;
	}
	*slot = v;
}

char *
dbx_host_normalize(const char *s)
{
	const char *p, *scheme = "https://";
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, "https://", 8) == 0) {
		s += 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		scheme = "http://";
		s += 7;
	} else if (strstr(s, "://")) {
		return NULL;
	}
	for (p = s; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (isspace((unsigned char)*p) || *p == '@' || *p == '\\')
			return NULL;
	n = (size_t)(p - s);
	if (n == 0)
		return NULL;
	return esprintf("%s%.*s", scheme, (int)n, s);
}

static int
conf_err(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return EX_CONFIG;
}

int
dbx_config(struct dbx *d, const char *profile, const char *warehouse, char *err, size_t errlen)
{
	char *host = NULL, *auth_type = NULL, *want, *file, *home, *section = NULL;
	int rc = 0;

	memset(d, 0, sizeof *d);
	/* Explicit values first, then the environment, then the config file: a value once set is
	 * never replaced by a later source (Databricks unified client auth). */
	d->warehouse = warehouse && *warehouse ? estrdup(warehouse) : env("DATABRICKS_WAREHOUSE_ID");
	host = env("DATABRICKS_HOST");
	d->token = env("DATABRICKS_TOKEN");
	d->client_id = env("DATABRICKS_CLIENT_ID");
	d->client_secret = env("DATABRICKS_CLIENT_SECRET");
	auth_type = env("DATABRICKS_AUTH_TYPE");
	want = profile && *profile ? estrdup(profile) : env("DATABRICKS_CONFIG_PROFILE");
	if (!(file = env("DATABRICKS_CONFIG_FILE")) && (home = getenv("HOME")) && *home)
		file = esprintf("%s/.databrickscfg", home);

	/* The file is read when a profile was asked for, or when the environment names no host and
	 * no credentials. */
	if (file && (want || !(host || d->token || d->client_id || d->client_secret))) {
		if (want) {
			if (access(file, R_OK) != 0) {
				rc = conf_err(err, errlen, "%s: %s (profile %s)", file, strerror(errno), want);
				goto out;
			}
			if (!ini_has_section(file, want)) {
				rc = conf_err(err, errlen, "%s: no profile [%s]", file, want);
				goto out;
			}
			section = estrdup(want);
		} else {
			char *dflt = ini_get(file, "__settings__", "default_profile");

			section = dflt && *dflt ? dflt : (free(dflt), estrdup("DEFAULT"));
			if (!ini_has_section(file, section)) {
				free(section);
				section = NULL;
			}
		}
		if (section) {
			setif(&host, ini_get(file, section, "host"));
			setif(&d->token, ini_get(file, section, "token"));
			setif(&d->client_id, ini_get(file, section, "client_id"));
			setif(&d->client_secret, ini_get(file, section, "client_secret"));
			setif(&d->warehouse, ini_get(file, section, "warehouse_id"));
			setif(&auth_type, ini_get(file, section, "auth_type"));
			d->profile = section;
			d->config_file = estrdup(file);
			section = NULL;
		}
	}

	if (!host) {
		rc = conf_err(err, errlen, "no workspace host: set DATABRICKS_HOST or host in a %s profile",
		    file ? file : "~/.databrickscfg");
		goto out;
	}
	if (!(d->host = dbx_host_normalize(host))) {
		rc = conf_err(err, errlen, "host: not a workspace URL");
		goto out;
	}
	if (auth_type && strcmp(auth_type, "pat") == 0) {
		d->auth = "pat";
	} else if (auth_type && strcmp(auth_type, "oauth-m2m") == 0) {
		d->auth = "oauth-m2m";
	} else if (auth_type) {
		rc = conf_err(err, errlen, "auth_type %s: not supported (pat, oauth-m2m)", auth_type);
		goto out;
	} else if (d->token && (d->client_id || d->client_secret)) {
		rc = conf_err(err, errlen, "more than one authorization method configured: token and "
		    "client_id/client_secret (set auth_type)");
		goto out;
	} else {
		d->auth = d->token ? "pat" : "oauth-m2m";
	}
	if (strcmp(d->auth, "pat") == 0 && !d->token) {
		rc = conf_err(err, errlen, "no credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID "
		    "and DATABRICKS_CLIENT_SECRET, or token in a profile");
		goto out;
	}
	if (strcmp(d->auth, "oauth-m2m") == 0 && !(d->client_id && d->client_secret)) {
		rc = conf_err(err, errlen, d->client_id || d->client_secret ?
		    "oauth-m2m: client_id and client_secret are both needed" :
		    "no credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and "
		    "DATABRICKS_CLIENT_SECRET, or token in a profile");
		goto out;
	}
	if (!d->warehouse) {
		rc = conf_err(err, errlen, "no SQL warehouse: use -w, DATABRICKS_WAREHOUSE_ID or "
		    "warehouse_id in the profile");
		goto out;
	}
out:
	free(host);
	free(auth_type);
	free(want);
	free(file);
	free(section);
	return rc;
}

void
dbx_secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void
dbx_free(struct dbx *d)
{
	free(d->host);
	dbx_secret_free(d->token);
	free(d->client_id);
	dbx_secret_free(d->client_secret);
	dbx_secret_free(d->bearer);
	free(d->warehouse);
	free(d->profile);
	free(d->config_file);
	memset(d, 0, sizeof *d);
}
