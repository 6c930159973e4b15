/* config_test.c: the INI and TOML readers, file_private, and the AWS credentials chain over
 * files written to a fresh temporary directory (HOME and AWS_* pointed there, restored after). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "t.h"
#include "aws.h"
#include "config.h"
#include "util.h"

static char dir[] = "/tmp/config_test.XXXXXX";

static char *
put(const char *name, const char *text)
{
	char *path = esprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0)
		die(EX_IOERR, "%s: cannot write", path);
	return path;
}

/* ini_get's value compared with want (NULL: absent) */
static void
ini_is(const char *path, const char *sect, const char *key, const char *want)
{
	char *v = ini_get(path, sect, key);

	if (want)
		T_CHECK(v && strcmp(v, want) == 0, "[%s] %s: got \"%s\", want \"%s\"", sect, key,
		    v ? v : "(null)", want);
	else
		T_CHECK(v == NULL, "[%s] %s: got \"%s\", want none", sect, key, v);
	free(v);
}

static void
test_ini(void)
{
	char *p = put("ini",
	    "top = ignored\n"
	    "# comment\n"
	    "; comment too\n"
	    "[default]\n"
	    "\tRegion=eu-west-1  \r\n"
	    "  # indented comment\n"
	    "aws_access_key_id = AKIA1\n"
	    "  continued\n"
	    "output = json\n"
	    "\n"
	    "[profile dev]\n"
	    "region: us-west-2\n"
	    "s3 =\n"
	    "    max_concurrent_requests = 10\n"
	    "    addressing_style = path\n"
	    "endpoint_url = http://127.0.0.1:5000/  # not a comment\n"
	    "empty =\n"
	    "[ DEFAULT ]\n"
	    "host = https://x.cloud.databricks.com\n"
	    "token=dapi\"quoted\"\n"
	    "[default]\n"
	    "aws_access_key_id = second\n"
	    "only_in_second = x\n");

	ini_is(p, "default", "aws_access_key_id", "AKIA1\ncontinued");	/* configparser */
	ini_is(p, "default", "AWS_ACCESS_KEY_ID", "AKIA1\ncontinued");	/* keys case-insensitive */
	ini_is(p, "default", "output", "json");
	ini_is(p, "default", "region", "eu-west-1");		/* trimmed, CRLF */
	ini_is(p, "Default", "region", NULL);			/* sections case-sensitive */
	ini_is(p, "default", "top", NULL);
	ini_is(p, "default", "only_in_second", NULL);		/* first section wins */
	ini_is(p, "profile dev", "region", "us-west-2");
	ini_is(p, "profile dev", "s3", "\nmax_concurrent_requests = 10\naddressing_style = path");
	ini_is(p, "profile dev", "max_concurrent_requests", NULL);
	ini_is(p, "profile dev", "endpoint_url", "http://127.0.0.1:5000/  # not a comment");
	ini_is(p, "profile dev", "empty", "");
	ini_is(p, "DEFAULT", "host", "https://x.cloud.databricks.com");
	ini_is(p, "DEFAULT", "token", "dapi\"quoted\"");
	ini_is(p, "nope", "host", NULL);
	ini_is("/nonexistent/file", "default", "x", NULL);
	T_CHECK(ini_has_section(p, "profile dev") == 1, "has [profile dev]");
	T_CHECK(ini_has_section(p, "DEFAULT") == 1, "has [DEFAULT]");
	T_CHECK(ini_has_section(p, "profile") == 0, "no [profile]");
	T_CHECK(ini_has_section("/nonexistent/file", "default") == 0, "missing file");
	free(p);
}

static void
toml_is(const char *path, const char *table, const char *key, const char *want)
{
	char err[256], *v = NULL;
	int rc = toml_get(path, table, key, &v, err, sizeof err);

	if (want)
		T_CHECK(rc == 0 && v && strcmp(v, want) == 0, "%s.%s: rc %d, got \"%s\", want \"%s\""
		    " (%s)", table, key, rc, v ? v : "(null)", want, err);
	else
		T_CHECK(rc == 1 && !v, "%s.%s: rc %d, want not found", table, key, rc);
	free(v);
}

static void
test_toml(void)
{
	char *p = put("connections.toml",
	    "\xef\xbb\xbf# Snowflake CLI connections\n"
	    "default_connection_name = \"dev\"   # trailing comment\n"
	    "\n"
	    "[dev]\n"
	    "account = \"myorg-acct\"\n"
	    "user = 'LOADER'\n"
	    "private_key_file = 'C:\\keys\\rsa.p8'\n"
	    "port = 443\n"
	    "big = -1_000\n"
	    "hex = 0xdead_BEEF\n"
	    "insecure = false\n"
	    "esc = \"tab\\tq\\\"bs\\\\nl\\n\\u00e9\\U0001F600\"\n"
	    "site.region = \"eu\"\n"
	    "\"quoted key\" = \"qk\"\n"
	    "\n"
	    "[connections.\"my conn\"]\n"
	    "account = \"quoted\"\n"
	    "[ connections . plain ]\n"
	    "account = \"spaced\"\n"
	    "[connections.'lit']\n"
	    "warehouse=\"WH\"\r\n");

	toml_is(p, "", "default_connection_name", "dev");
	toml_is(p, "dev", "account", "myorg-acct");
	toml_is(p, "dev", "user", "LOADER");
	toml_is(p, "dev", "private_key_file", "C:\\keys\\rsa.p8");
	toml_is(p, "dev", "port", "443");
	toml_is(p, "dev", "big", "-1_000");
	toml_is(p, "dev", "hex", "0xdead_BEEF");
	toml_is(p, "dev", "insecure", "false");
	toml_is(p, "dev", "esc", "tab\tq\"bs\\nl\n\xc3\xa9\xf0\x9f\x98\x80");
	toml_is(p, "dev.site", "region", "eu");
	toml_is(p, "dev", "quoted key", "qk");
	toml_is(p, "connections.my conn", "account", "quoted");
	toml_is(p, "connections.plain", "account", "spaced");
	toml_is(p, "connections.lit", "warehouse", "WH");
	toml_is(p, "dev", "ACCOUNT", NULL);			/* keys case-sensitive */
	toml_is(p, "", "account", NULL);
	toml_is(p, "prod", "account", NULL);
	toml_is("/nonexistent/connections.toml", "dev", "account", NULL);
	free(p);
}

/* A one-line malformed file: toml_get must fail naming file:line and the reason. */
static void
toml_bad(const char *text, int line, const char *reason)
{
	char err[256], *v = NULL, *p = put("bad.toml", text), *want;
	int rc = toml_get(p, "x", "zzz", &v, err, sizeof err);

	want = esprintf("%s:%d: %s", p, line, reason);
	T_CHECK(rc == -1 && !v && strstr(err, want) == err, "%s: rc %d, err \"%s\", want \"%s\"",
	    text, rc, err, want);
	free(want);
	free(p);
	free(v);
}

static void
test_toml_errors(void)
{
	toml_bad("[x]\na = \"\"\"multi\nline\"\"\"\n", 2, "multi-line strings are not supported");
	toml_bad("[x]\n\na = 1.5\n", 3, "unsupported value");
	toml_bad("a = [1, 2]\n", 1, "arrays and inline tables are not supported");
	toml_bad("a = {b = 1}\n", 1, "arrays and inline tables are not supported");
	toml_bad("[[x]]\n", 1, "arrays of tables are not supported");
	toml_bad("a = \"open\n", 1, "unterminated string");
	toml_bad("a = \"\\q\"\n", 1, "bad escape \\q");
	toml_bad("a = \"\\u12\"\n", 1, "bad \\u escape");
	toml_bad("a\n", 1, "expected '='");
	toml_bad("a = \n", 1, "missing value");
	toml_bad("a = \"x\" y\n", 1, "unexpected text after value");
	toml_bad("[x\n", 1, "expected ']'");
	toml_bad("[x] junk\n", 1, "unexpected text after value");
	toml_bad("a = 2024-01-01\n", 1, "unsupported value");
	toml_bad("a = 012\n", 1, "leading zero");
	toml_bad("a = 1__0\n", 1, "unsupported value");
	toml_bad("a = True\n", 1, "unsupported value");
	toml_bad("= 1\n", 1, "bad character '='");
}

static void
test_file_private(void)
{
	char *p = put("key.p8", "secret\n");

	chmod(p, 0600);
	T_CHECK(file_private(p) == 1, "0600 is private");
	chmod(p, 0640);
	T_CHECK(file_private(p) == 0, "0640 is not private");
	chmod(p, 0604);
	T_CHECK(file_private(p) == 0, "0604 is not private");
	T_CHECK(file_private("/nonexistent/key.p8") == -1, "missing file");
	free(p);
}

static const char *vars[] = {
	"HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_IAM",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};
#define NVARS (sizeof vars / sizeof *vars)
static char *saved[NVARS];

static void
env_save_clear(void)
{
	size_t i;

	for (i = 0; i < NVARS; i++) {
		const char *v = getenv(vars[i]);

		saved[i] = v ? estrdup(v) : NULL;
		unsetenv(vars[i]);
	}
}

static void
env_restore(void)
{
	size_t i;

	for (i = 0; i < NVARS; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
}

static void
creds_ok(const char *what, const char *id, const char *secret, const char *token,
    const char *region)
{
	struct aws_creds c;
	char err[512];
	int rc = aws_creds_load(&c, err, sizeof err);

	T_CHECK(rc == 0, "%s: rc %d: %s", what, rc, err);
	if (rc)
		return;
	T_STREQ(c.access_key_id, id);
	T_STREQ(c.secret_access_key, secret);
	if (token)
		T_STREQ(c.session_token, token);
	else
		T_CHECK(c.session_token == NULL, "%s: unexpected session token", what);
	T_STREQ(c.region, region);
	aws_creds_free(&c);
	T_CHECK(c.access_key_id == NULL && c.secret_access_key == NULL, "%s: freed", what);
}

static void
creds_fail(const char *what, const char *want_in_err)
{
	struct aws_creds c;
	char err[512];
	int rc = aws_creds_load(&c, err, sizeof err);

	T_CHECK(rc == EX_CONFIG, "%s: rc %d, want EX_CONFIG", what, rc);
	T_CHECK(strstr(err, want_in_err) != NULL, "%s: err \"%s\" lacks \"%s\"", what, err,
	    want_in_err);
	T_CHECK(c.access_key_id == NULL && c.region == NULL, "%s: nothing to free", what);
	T_CHECK(strchr(err, '\n') == NULL, "%s: one line", what);
}

static void
endpoint_is(const char *service, const char *want)
{
	char *u = aws_endpoint_url(service);

	if (want)
		T_CHECK(u && strcmp(u, want) == 0, "endpoint %s: got %s, want %s", service,
		    u ? u : "(null)", want);
	else
		T_CHECK(u == NULL, "endpoint %s: got %s, want none", service, u);
	free(u);
}

static void
test_creds_chain(void)
{
	char *awsdir = esprintf("%s/.aws", dir), *p, *msg;

	env_save_clear();
	setenv("HOME", dir, 1);
	mkdir(awsdir, 0700);

	creds_fail("nothing configured", "profile \"default\" is in neither");
	msg = esprintf("%s/.aws/credentials", dir);
	creds_fail("nothing configured names the file", msg);
	free(msg);

	free(put(".aws/credentials",
	    "[default]\n"
	    "aws_access_key_id = AKIADEFAULT\n"
	    "aws_secret_access_key = secretdefault\n"
	    "[tok]\n"
	    "aws_access_key_id = ASIATOK\n"
	    "aws_secret_access_key = secrettok\n"
	    "aws_session_token = tokentok\n"
	    "[halfcfg]\n"
	    "region = ignored-here\n"
	    "[rolekeys]\n"
	    "aws_access_key_id = AKIAROLEKEYS\n"
	    "aws_secret_access_key = s\n"
	    "[prockeys]\n"
	    "aws_access_key_id = AKIAPROCKEYS\n"
	    "aws_secret_access_key = p\n"));
	free(put(".aws/config",
	    "[default]\n"
	    "region = eu-central-1\n"
	    "endpoint_url = http://127.0.0.1:9000/\n"
	    "[profile tok]\n"
	    "[profile cfgonly]\n"
	    "aws_access_key_id = AKIACFG\n"
	    "aws_secret_access_key = secretcfg\n"
	    "region = ap-south-1\n"
	    "[profile role]\n"
	    "role_arn = arn:aws:iam::123456789012:role/x\n"
	    "source_profile = default\n"
	    "[profile sso]\n"
	    "sso_session = corp\n"
	    "[profile empty]\n"
	    "output = json\n"
	    "[profile rolekeys]\n"
	    "role_arn = arn:aws:iam::123456789012:role/y\n"
	    "[profile prockeys]\n"
	    "credential_process = /bin/false\n"
	    "[profile proc]\n"
	    "credential_process = /bin/false\n"
	    "aws_access_key_id = AKIACFGPROC\n"
	    "aws_secret_access_key = x\n"));

	creds_ok("default profile", "AKIADEFAULT", "secretdefault", NULL, "eu-central-1");
	setenv("AWS_PROFILE", "tok", 1);
	creds_ok("profile with token, no region", "ASIATOK", "secrettok", "tokentok", "us-east-1");
	setenv("AWS_PROFILE", "cfgonly", 1);
	creds_ok("keys in the config file", "AKIACFG", "secretcfg", NULL, "ap-south-1");
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	creds_ok("AWS_DEFAULT_REGION over config", "AKIACFG", "secretcfg", NULL, "us-west-1");
	setenv("AWS_REGION", "sa-east-1", 1);
	creds_ok("AWS_REGION over AWS_DEFAULT_REGION", "AKIACFG", "secretcfg", NULL, "sa-east-1");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");

	setenv("AWS_PROFILE", "role", 1);
	creds_fail("role_arn profile", "AWS profile \"role\" uses role_arn, which is not supported");
	setenv("AWS_PROFILE", "sso", 1);
	creds_fail("sso profile", "uses sso_session");
	setenv("AWS_PROFILE", "rolekeys", 1);	/* botocore assumes the role before static keys */
	creds_fail("role_arn beside static keys", "uses role_arn");
	setenv("AWS_PROFILE", "prockeys", 1);	/* the credentials file comes before the process */
	creds_ok("credential_process after credentials-file keys", "AKIAPROCKEYS", "p", NULL,
	    "us-east-1");
	setenv("AWS_PROFILE", "proc", 1);	/* ...but before the config file's keys */
	creds_fail("credential_process before config-file keys", "uses credential_process");
	setenv("AWS_PROFILE", "empty", 1);
	creds_fail("profile without keys", "AWS profile \"empty\" has no aws_access_key_id");
	setenv("AWS_PROFILE", "missing", 1);
	creds_fail("missing profile", "profile \"missing\" is in neither");

	/* environment first, whatever the profile */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	creds_fail("half the env pair", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tokenenv", 1);
	creds_ok("env credentials", "AKIAENV", "secretenv", "tokenenv", "us-east-1");
	unsetenv("AWS_PROFILE");
	creds_ok("env credentials, region from default profile", "AKIAENV", "secretenv",
	    "tokenenv", "eu-central-1");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");

	/* file locations from the environment */
	p = put("other-creds", "[default]\naws_access_key_id=AKIAOTHER\naws_secret_access_key=o\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	creds_ok("AWS_SHARED_CREDENTIALS_FILE", "AKIAOTHER", "o", NULL, "us-east-1");
	free(p);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/other-creds", 1);
	creds_ok("~ in AWS_SHARED_CREDENTIALS_FILE", "AKIAOTHER", "o", NULL, "us-east-1");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");

	/* endpoints */
	endpoint_is("S3", "http://127.0.0.1:9000");
	setenv("AWS_ENDPOINT_URL", "http://localhost:5000/", 1);
	endpoint_is("S3", "http://localhost:5000");
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7000", 1);
	endpoint_is("S3", "http://127.0.0.1:7000");
	endpoint_is("s3", "http://127.0.0.1:7000");
	endpoint_is("IAM", "http://localhost:5000");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	endpoint_is("S3", NULL);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	setenv("AWS_PROFILE", "tok", 1);
	endpoint_is("S3", NULL);

	env_restore();
	free(awsdir);
}

int
main(void)
{
	char *cmd;

	if (!mkdtemp(dir))
		die(EX_CANTCREAT, "mkdtemp failed");
	test_ini();
	test_toml();
	test_toml_errors();
	test_file_private();
	test_creds_chain();
	cmd = esprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		warnmsg("could not remove %s", dir);
	free(cmd);
	T_DONE();
}
