/* snowflake_test: wire-value conversion, account identifiers, JWT claims and signature,
 * key loading, templating. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "t.h"
#include "snowflake.h"

/* A throw-away RSA key for these tests only (never registered anywhere). Its fingerprint was
 * computed with: openssl rsa -in k.p8 -pubout -outform DER | openssl dgst -sha256 -binary |
 * openssl enc -base64 */
static const char test_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCM62I07A40MLgT\n"
	"Hy7BMHJBTZMAjKvUCMbcbok5KjAqR7jOG2zgdA5/Shiz0G/vreThguT3rbNm2edF\n"
	"7sdgJklCMOBxRwHWqUQZnW5mJzHOEphAoTHwGtP9ULfOIONfASiHerIj2iye8Tku\n"
	"a0HrdoOnwHLgv/gSeleYqv1/19hZ9vxTKD/bi+LVvbgv7msJFQjfLSYF0ZB+HTug\n"
	"5l3s9FI8MtlHMeWqdhYgX7mzZW0G3dUMiaqyybwamHzjh2V/rimLh+QQbSU/YqQn\n"
	"aNntFIC9aBwnL0V4zJJc4DIZmUbX1Xtv8Ap9IMrjayNdDos9ejAYk9WTyIJ5rE3A\n"
	"eR3anxLnAgMBAAECggEAHIrId2OgdN2xSt40ABkp6yQlNCVJ4EZu0NLqpFNxMf8Y\n"
	"5VYUtVmMXifJ3RHIukkEZNC4Q5pBDgHwn+9/HnBiwi9YJll1e98I1g9W/wXNRqnp\n"
	"gJ2lmbY1XcdtkyiCJQn9BYPKdQyJoR/Gryo2TdTRUbbfDbqUKlnxSBDKC4zSW1Yo\n"
	"SOEeMYC6DD1uGL9vkAGqdPlpKLsdXcF1aCcdf2vdL0kVjQySUw8hTB0UVahRPG3s\n"
	"RWQquPS/FA2UWPT5cwcUQbvs6QYNFWr9EENB9gIqFXxfU0IGpkyI8k2uDKrklmi2\n"
	"IsBlLXuttH8W1KywrDGvF6hERWffT3XLTYH+E/c14QKBgQDDQjPvZp7Wes2FFhmX\n"
	"TaEIJjZFODqeQ7vl7d5D+Yv3aSfXyyha03MZ5R6GbVzVZikIoLaRqG6R0R5NjdOk\n"
	"CGjQ/2wULV3ckg4DNJXBbCjhc5aW4EgGqgd4gBa5R+/qKm4QlztdJMreevAuxHhR\n"
	"8xy6IHQpOE1/nK3s4kZwrJ6aTwKBgQC4wcc97i1u2Tteh3YDEgXVUSuuHgGYTP6R\n"
	"pa0Ae7GNVMEWHibKrt59WGhXhEaPSCl22AxWACUWSp8q2aFZZkoG4B06Dm8rwjJK\n"
	"aIAfsSvNvEBv4HgzCX3friRNJjFDqGc2yP8y68dNGpa9cXIiIWUmfFwT7bPt2sYW\n"
	"cCqpXKYP6QKBgQDB674oxYJ7APuccZZ47mA/97Nui6msBRlYAiX83Jpl3cn0R5CM\n"
	"o/Rsg2ENoQ/R4ORf7T1k7CLkLwwpefH3t2JiL0rnvya5KVVBWbhhoUn4nxOwRI9E\n"
	"DxncU1o+KXPc3MbzMz+CAkh5LR/dUsMsoIanVBQJ3CEb3D/gQ9oxjT73gQKBgHLj\n"
	"RPNU1Xm1qb5pe9AC+A+jLwdR72n2juKg5IiFYm5hQsRvMW4d+Yp2XEP3pCzbEbWu\n"
	"OVWNN4K6Gmn59ORzwBqwaFw+t5C9bKpqeym58WQ46NTo/7W09EoQrtAurLnG0Y/2\n"
	"wwK2LTPcEdpx3igtHgolkNhvmtCQl1dCnrS8QSNpAoGBAJyop51/+7guhaRxAo1z\n"
	"7n6qkFlIF1Al/1uzJa+7yO0hnGMJ5h303BbwWysZdDd702//AEq3jinvskj+RMtL\n"
	"VXUia1Umn9iXmTw1Rl5rDklyc+e3I6nne0g2JGBkpdT4/pnjhMDlKKpKr3SfWe2/\n"
	"W/Ql8hnEsNPoYb1vHe5mS8Z8\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char test_key_fp[] = "SHA256:eCWsYOKTahTqiSyBit/NFzvZv+yG9bDAWwnRBJPw4wM=";

static char *
conv(const char *type, int scale, const char *wire)
{
	static struct buf b;
	struct sf_col c = { "c", "\"c\":", sf_type_of(type), scale };

	buf_reset(&b);
	buf_add(&b, NULL, 0);
	if (sf_value_append(&b, &c, wire, wire ? strlen(wire) : 0) < 0)
		return "(malformed)";
	return b.p;
}

static unsigned char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
	char *t = calloc(1, n + 4);
	unsigned char *out = calloc(1, n + 4);
	size_t i;
	int len;

	for (i = 0; i < n; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		t[i++] = '=';
	len = EVP_DecodeBlock(out, (unsigned char *)t, (int)i);
	free(t);
	if (len < 0) {
		free(out);
		return NULL;
	}
	while (i > 0 && s[0] && i > n && len > 0) {	/* padding we added decodes to zero bytes */
		len--;
		i--;
	}
	*outlen = (size_t)len;
	out[len] = '\0';
	return out;
}

static void
test_values(void)
{
	/* FIXED scale 0: numbers while jq 1.6 keeps them exact, strings beyond 2^53. */
	T_STREQ(conv("fixed", 0, "123"), "123");
	T_STREQ(conv("FIXED", 0, "-42"), "-42");
	T_STREQ(conv("fixed", 0, "9007199254740992"), "9007199254740992");
	T_STREQ(conv("fixed", 0, "-9007199254740992"), "-9007199254740992");
	T_STREQ(conv("fixed", 0, "9007199254740993"), "\"9007199254740993\"");
	T_STREQ(conv("fixed", 0, "-9223372036854775808"), "\"-9223372036854775808\"");
	T_STREQ(conv("fixed", 0, "99999999999999999999999999999999999999"),
	    "\"99999999999999999999999999999999999999\"");
	/* FIXED scale > 0: exact decimal strings. */
	T_STREQ(conv("fixed", 2, "1.50"), "\"1.50\"");
	T_STREQ(conv("fixed", 2, "-0.01"), "\"-0.01\"");
	T_STREQ(conv("fixed", 10, "12345678901234567890.1234567890"), "\"12345678901234567890.1234567890\"");
	T_STREQ(conv("fixed", 0, "12a"), "(malformed)");
	T_STREQ(conv("fixed", 2, "1.2.3"), "(malformed)");
	/* REAL */
	T_STREQ(conv("real", 0, "2.5"), "2.5");
	T_STREQ(conv("real", 0, "1e-7"), "1e-7");
	T_STREQ(conv("real", 0, ".5"), "0.5");
	T_STREQ(conv("real", 0, "NaN"), "\"NaN\"");
	T_STREQ(conv("real", 0, "inf"), "\"Infinity\"");
	T_STREQ(conv("real", 0, "-inf"), "\"-Infinity\"");
	T_STREQ(conv("real", 0, "x"), "(malformed)");
	/* BOOLEAN, NULL, TEXT, BINARY, DECFLOAT */
	T_STREQ(conv("boolean", 0, "true"), "true");
	T_STREQ(conv("boolean", 0, "false"), "false");
	T_STREQ(conv("boolean", 0, "maybe"), "(malformed)");
	T_STREQ(conv("text", 0, NULL), "null");
	T_STREQ(conv("text", 0, "a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
	T_STREQ(conv("text", 0, "h\xc3\xa9"), "\"h\xc3\xa9\"");
	T_STREQ(conv("binary", 0, "736E6F77"), "\"736E6F77\"");
	T_STREQ(conv("decfloat", 0, "1.2345678901234567890123456789012345678E+100"),
	    "\"1.2345678901234567890123456789012345678E+100\"");
	/* DATE: days since 1970-01-01 */
	T_STREQ(conv("date", 0, "0"), "\"1970-01-01\"");
	T_STREQ(conv("date", 0, "18262"), "\"2020-01-01\"");
	T_STREQ(conv("date", 0, "17982"), "\"2019-03-27\"");
	T_STREQ(conv("date", 0, "-1"), "\"1969-12-31\"");
	T_STREQ(conv("date", 0, "-719162"), "\"0001-01-01\"");
	T_STREQ(conv("date", 0, "2932896"), "\"9999-12-31\"");
	T_STREQ(conv("date", 0, "11016"), "\"2000-02-29\"");
	T_STREQ(conv("date", 0, "2020-01-01"), "(malformed)");
	/* TIME: seconds since midnight, fraction digits from the scale */
	T_STREQ(conv("time", 9, "82919.000000000"), "\"23:01:59.000000000\"");
	T_STREQ(conv("time", 3, "3723.123000000"), "\"01:02:03.123\"");
	T_STREQ(conv("time", 0, "0"), "\"00:00:00\"");
	T_STREQ(conv("time", 6, "86399.999999"), "\"23:59:59.999999\"");
	T_STREQ(conv("time", 0, "86400"), "(malformed)");
	/* TIMESTAMP_NTZ: ISO 8601 without offset */
	T_STREQ(conv("timestamp_ntz", 9, "1616173619.000000000"), "\"2021-03-19T17:06:59.000000000\"");
	T_STREQ(conv("timestamp_ntz", 3, "-1.500000000"), "\"1969-12-31T23:59:58.500\"");
	T_STREQ(conv("timestamp_ntz", 0, "-86400.000000000"), "\"1969-12-31T00:00:00\"");
	T_STREQ(conv("timestamp_ntz", 9, "1616173619123456789"), "\"2021-03-19T17:06:59.123456789\"");
	T_STREQ(conv("timestamp_ntz", 6, "253402300799.999999000"), "\"9999-12-31T23:59:59.999999\"");
	T_STREQ(conv("timestamp_ntz", 0, "1.2.3"), "(malformed)");
	/* TIMESTAMP_LTZ: the instant, in UTC (the session runs with TIMEZONE=UTC) */
	T_STREQ(conv("timestamp_ltz", 0, "0.000000000"), "\"1970-01-01T00:00:00+00:00\"");
	T_STREQ(conv("timestamp_ltz", 3, "1616173619.250000000"), "\"2021-03-19T17:06:59.250+00:00\"");
	/* TIMESTAMP_TZ: "<epoch> <offset+1440>", shown as wall clock with its offset */
	T_STREQ(conv("timestamp_tz", 0, "1616173619.000000000 1500"), "\"2021-03-19T18:06:59+01:00\"");
	T_STREQ(conv("timestamp_tz", 0, "0.000000000 1200"), "\"1969-12-31T20:00:00-04:00\"");
	T_STREQ(conv("timestamp_tz", 3, "1616173619.500000000 1770"), "\"2021-03-19T22:36:59.500+05:30\"");
	T_STREQ(conv("timestamp_tz", 0, "0.000000000 1440"), "\"1970-01-01T00:00:00+00:00\"");
	T_STREQ(conv("timestamp_tz", 0, "1616173619.000000000"), "(malformed)");
	/* VARIANT/OBJECT/ARRAY: compact JSON; integers beyond 2^53 as strings */
	T_STREQ(conv("variant", 0, "{\n  \"a\": 1,\n  \"b\": [1, 2.5, \"x y\\\"z\"],\n  \"big\": 12345678901234567890\n}"),
	    "{\"a\":1,\"b\":[1,2.5,\"x y\\\"z\"],\"big\":\"12345678901234567890\"}");
	T_STREQ(conv("array", 0, "[\n  -1e5,\n  null,\n  true\n]"), "[-1e5,null,true]");
	T_STREQ(conv("object", 0, "{}"), "{}");
	T_STREQ(conv("variant", 0, "\"text\""), "\"text\"");
	T_STREQ(conv("variant", 0, "{\"a\":"), "(malformed)");
}

static void
collect(const char *line, size_t len, void *arg)
{
	buf_add(arg, line, len);
}

static void
test_rows(void)
{
	json_error_t e;
	json_t *rt = json_loads("[{\"name\":\"ID\",\"type\":\"fixed\",\"scale\":0},"
	    "{\"name\":\"AMOUNT\",\"type\":\"fixed\",\"scale\":2},{\"name\":\"na\\\"me\",\"type\":\"text\"},"
	    "{\"name\":\"D\",\"type\":\"date\"}]", 0, &e);
	const char *data = " [ [\"1\", \"10.00\" ,null,\"18262\"],\n[\"2\",\"-1.00\",\"a\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\\u0001\",null] ] ";
	const char *bad[] = { "[[\"1\",\"10.00\",null]]", "[[\"1\",\"10.00\",null,\"1\",\"2\"]]",
	    "[[\"x\",\"10.00\",null,\"1\"]]", "[[\"1\",\"10.00\",null,\"1\"]", "[[\"1\",\"10.00\",5,\"1\"]]",
	    "[[\"1\",\"10.00\",\"\\ud83d\",\"1\"]]", "[[\"1\",\"10.00\",\"\\q\",\"1\"]]", "{}",
	    "[[\"1\",\"10.00\",\"x\",\"1\"],]", "[[\"1\",\"10.00\",\"x\"\"1\"]]" };
	struct sf_col *cols;
	size_t n, i;
	struct buf b = {0};

	T_CHECK(sf_cols_parse(rt, &cols, &n) == 0 && n == 4, "rowType parsed");
	T_CHECK(sf_rows_scan(data, strlen(data), cols, n, collect, &b) == 2, "two rows");
	T_STREQ(b.p, "{\"ID\":1,\"AMOUNT\":\"10.00\",\"na\\\"me\":null,\"D\":\"2020-01-01\"}\n"
	    "{\"ID\":2,\"AMOUNT\":\"-1.00\",\"na\\\"me\":\"a\\\"\\\\/\\n\xc3\xa9\xf0\x9f\x98\x80\\u0001\",\"D\":null}\n");
	buf_reset(&b);
	T_CHECK(sf_rows_scan("[]", 2, cols, n, collect, &b) == 0 && b.len == 0, "no rows");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		T_CHECK(sf_rows_scan(bad[i], strlen(bad[i]), cols, n, collect, &b) < 0, "malformed: %s", bad[i]);
	/* a row cut short is reported with the rows before it */
	T_CHECK(sf_rows_scan("[[\"1\",\"1.00\",null,\"0\"],[\"2\"", 27, cols, n, collect, &b) == -2,
	    "error after one row");
	sf_cols_free(cols, n);
	buf_free(&b);
	json_decref(rt);
}

static void
test_accounts(void)
{
	char *s;

#define ACC(fn, in, want) do { s = fn(in); T_STREQ(s, want); free(s); } while (0)
	ACC(sf_account_claim, "xy12345", "XY12345");
	ACC(sf_account_claim, "xy12345.us-east-2.aws", "XY12345");
	ACC(sf_account_claim, "xy12345.us-east-1.privatelink", "XY12345");
	ACC(sf_account_claim, "myorg-my_account", "MYORG-MY_ACCOUNT");
	ACC(sf_account_claim, "myorg-myaccount.snowflakecomputing.com", "MYORG-MYACCOUNT");
	ACC(sf_account_claim, "xy12345-abcdefg.global", "XY12345");
	ACC(sf_account_host, "myorg-my_account", "myorg-my-account.snowflakecomputing.com");
	ACC(sf_account_host, "XY12345.us-east-2.aws", "xy12345.us-east-2.aws.snowflakecomputing.com");
	ACC(sf_account_host, "xy12345.snowflakecomputing.com", "xy12345.snowflakecomputing.com");
	ACC(sf_ident, "analytics", "ANALYTICS");
	ACC(sf_ident, "\"MixedCase\"", "MixedCase");
#undef ACC
}

static EVP_PKEY *
fixture_key(void)
{
	BIO *bio = BIO_new_mem_buf(test_key, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	return k;
}

static void
test_jwt(void)
{
	EVP_PKEY *k = fixture_key();
	char *fp, *tok, *dot1, *dot2, *s;
	unsigned char *hdr, *payload, *sig;
	size_t hl, pl, sl;
	json_t *claims;
	json_error_t e;
	EVP_MD_CTX *ctx;

	T_CHECK(k != NULL, "fixture key loads");
	if (!k)
		return;
	fp = sf_key_fingerprint(k);
	T_STREQ(fp, test_key_fp);
	tok = sf_jwt(k, "myorg-my_account.us-east-1", "loader", 1700000000L, 3540);
	dot1 = strchr(tok, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	T_CHECK(dot1 && dot2 && !strchr(dot2 + 1, '.'), "three parts: %s", tok);
	if (!dot2)
		return;
	T_CHECK(!strchr(tok, '=') && !strchr(tok, '+') && !strchr(tok, '/'), "base64url without padding");
	hdr = b64url_decode(tok, (size_t)(dot1 - tok), &hl);
	payload = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &pl);
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sl);
	T_STREQ((char *)hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	claims = json_loads((char *)payload, 0, &e);
	T_CHECK(claims != NULL, "payload is JSON: %s", payload);
	s = esprintf("MYORG-MY_ACCOUNT.LOADER.%s", test_key_fp);
	T_STREQ(json_string_value(json_object_get(claims, "iss")), s);
	free(s);
	T_STREQ(json_string_value(json_object_get(claims, "sub")), "MYORG-MY_ACCOUNT.LOADER");
	T_CHECK(json_integer_value(json_object_get(claims, "iat")) == 1700000000, "iat");
	T_CHECK(json_integer_value(json_object_get(claims, "exp")) == 1700003540, "exp = iat + lifetime");
	/* The signature verifies with the public key over "header.payload". */
	ctx = EVP_MD_CTX_new();
	T_CHECK(sl == 256, "2048-bit RS256 signature is 256 bytes, got %zu", sl);
	T_CHECK(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, sl, (unsigned char *)tok, (size_t)(dot2 - tok)) == 1,
	    "signature verifies");
	EVP_MD_CTX_free(ctx);
	json_decref(claims);
	free(hdr);
	free(payload);
	free(sig);
	free(fp);
	free(tok);
	EVP_PKEY_free(k);
}

static void
test_key_files(void)
{
	EVP_PKEY *k = fixture_key(), *l;
	char dir[] = "/tmp/sftestXXXXXX", path[64], err[256];
	FILE *f;
	char *fp;

	T_CHECK(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/k.p8", dir);
	f = fopen(path, "w");
	PEM_write_PKCS8PrivateKey(f, k, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"s3cret");
	fclose(f);
	chmod(path, 0600);
	err[0] = '\0';
	T_CHECK(sf_key_load(path, NULL, err, sizeof err) == NULL && strstr(err, "set PRIVATE_KEY_PASSPHRASE"),
	    "encrypted key without passphrase: %s", err);
	T_CHECK(sf_key_load(path, "wrong", err, sizeof err) == NULL && strstr(err, "wrong PRIVATE_KEY_PASSPHRASE"),
	    "wrong passphrase: %s", err);
	l = sf_key_load(path, "s3cret", err, sizeof err);
	T_CHECK(l != NULL, "right passphrase: %s", err);
	if (l) {
		fp = sf_key_fingerprint(l);
		T_STREQ(fp, test_key_fp);
		free(fp);
		EVP_PKEY_free(l);
	}
	T_CHECK(sf_key_load("/nonexistent/k.p8", NULL, err, sizeof err) == NULL && strstr(err, "/nonexistent/k.p8"),
	    "missing key named: %s", err);
	unlink(path);
	rmdir(dir);
	EVP_PKEY_free(k);
}

static char *
tmpl(const char *sql, char *const *defs, size_t n)
{
	static char err[256];
	static char *last;

	free(last);
	last = sf_template(sql, defs, n, err, sizeof err);
	return last ? last : err;
}

static void
test_template(void)
{
	char *defs[] = { "db=ANALYTICS", "date=2025-11-01", "n=42", "tbl=raw.events", "who=O'Brien\\x",
	    "evil=1; DROP TABLE x", "n=43", "q=a\"b" };

	T_STREQ(tmpl("select * from <% tbl %> where n = <%n%>", defs, 8), "select * from raw.events where n = 43");
	T_STREQ(tmpl("use database <% db %>", defs, 8), "use database ANALYTICS");
	T_STREQ(tmpl("where d = '<% date %>'", defs, 8), "where d = '2025-11-01'");
	T_STREQ(tmpl("where w = '<% who %>'", defs, 8), "where w = 'O''Brien\\\\x'");
	T_STREQ(tmpl("where w = 'it''s <% n %>'", defs, 8), "where w = 'it''s 43'");
	T_STREQ(tmpl("select \"<% date %>\"", defs, 8), "select \"2025-11-01\"");
	T_CHECK(strstr(tmpl("select \"<% q %>\"", defs, 8), "cannot contain") != NULL, "quote in identifier");
	T_CHECK(strstr(tmpl("where d = <% date %>", defs, 8), "identifier or a number") != NULL,
	    "a date outside quotes is refused");
	T_CHECK(strstr(tmpl("select <% evil %>", defs, 8), "identifier or a number") != NULL,
	    "SQL outside quotes is refused");
	T_CHECK(strstr(tmpl("select <% nope %>", defs, 8), "nope is not defined") != NULL, "unknown variable");
	T_CHECK(strstr(tmpl("select <% n ", defs, 8), "unterminated") != NULL, "unterminated");
	T_STREQ(tmpl("select 1 -- '<% n %>\nfrom t", defs, 8), "select 1 -- '43\nfrom t");
	T_STREQ(tmpl("select 'a\\'<% n %>'", defs, 8), "select 'a\\'43'");
	T_STREQ(tmpl("select 1 /* <% n %> */ '<% n %>'", defs, 8), "select 1 /* 43 */ '43'");
	{
		char *nl[] = { "x=a\nb", "y=*/" };

		T_CHECK(strstr(tmpl("-- <% x %>", nl, 2), "line break") != NULL, "line break in a -- comment");
		T_CHECK(strstr(tmpl("/* <% y %> */", nl, 2), "'*/'") != NULL, "*/ in a block comment");
	}
	T_STREQ(tmpl("select 1 -- <% evil %>\n", defs, 8), "select 1 -- 1; DROP TABLE x\n");
	T_STREQ(tmpl("as $$ select <% date %> $$", defs, 8), "as $$ select 2025-11-01 $$");
	T_STREQ(tmpl("no variables; 'x'", defs, 8), "no variables; 'x'");
	T_STREQ(tmpl("select <% n %>", NULL, 0) , "template variable n is not defined (use -D n=value)");
}

static void
test_statement_count(void)
{
	T_CHECK(sf_statement_count("select 1") == 1, "one");
	T_CHECK(sf_statement_count("select 1;") == 1, "one with ;");
	T_CHECK(sf_statement_count("  select 1 ;\n -- done\n") == 1, "trailing comment");
	T_CHECK(sf_statement_count("begin; delete from t; copy into t from @s; commit;") == 4, "four");
	T_CHECK(sf_statement_count("select ';', \"a;b\" /* ; */ -- ;\n from t") == 1, "quoted ;");
	T_CHECK(sf_statement_count("select 'it''s;' ; select 'a\\';b'") == 2, "escaped quotes");
	T_CHECK(sf_statement_count("create procedure p() returns int language sql as $$ begin return 1; end; $$; call p()") == 2,
	    "$$ body");
	T_CHECK(sf_statement_count(" ; ;\n") == 0, "nothing");
}

static void
test_uuid(void)
{
	char *u = sf_uuid4(), *v = sf_uuid4();

	T_CHECK(strlen(u) == 36 && u[14] == '4' && strchr("89ab", u[19]) && u[8] == '-', "uuid v4: %s", u);
	T_CHECK(strcmp(u, v) != 0, "uuids differ");
	free(u);
	free(v);
}

int
main(void)
{
	test_values();
	test_rows();
	test_accounts();
	test_jwt();
	test_key_files();
	test_template();
	test_statement_count();
	test_uuid();
	T_DONE();
}
