/* snowflake.h: the Snowflake SQL API v2 client — connections as Snowflake CLI configures them,
 * key-pair JWT / OAuth / programmatic access token auth, statements submitted, polled, cancelled
 * and their result partitions streamed as JSON lines typed for jq. */
#ifndef DBX2SF_SNOWFLAKE_H
#define DBX2SF_SNOWFLAKE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "util.h"

/* One connection, resolved from connections.toml / config.toml and SNOWFLAKE_* variables. */
struct sf_conn {
	char *name;
	char *account, *user, *authenticator, *private_key_file, *token, *token_file_path;
	char *role, *warehouse, *database, *schema, *host, *port, *protocol;
	char *file;		/* the file the connection's table was looked up in, or NULL */
};

/* Resolve connection `name` (NULL: the default connection) the way Snowflake CLI does. Returns 0,
 * or EX_CONFIG with err set (unreadable or too-open config file, no account/user). */
int sf_conn_load(struct sf_conn *, const char *name, char *err, size_t errlen);
void sf_conn_free(struct sf_conn *);

/* The account as the JWT claims name it: upper case, region/cloud/".global" suffixes dropped
 * ("xy12345.us-east-2.aws" -> "XY12345", "myorg-acct" -> "MYORG-ACCT"). */
char *sf_account_claim(const char *account);
/* The API host for an account: lower case, '_' -> '-', ".snowflakecomputing.com" appended. */
char *sf_account_host(const char *account);
/* Identifier as the SQL API wants it in the request body: an unquoted identifier upper-cased,
 * a "quoted" one unquoted and kept verbatim. */
char *sf_ident(const char *);

/* Key-pair auth. sf_key_load returns NULL with err set: missing, encrypted without passphrase,
 * wrong passphrase, not an RSA key. */
EVP_PKEY *sf_key_load(const char *path, const char *passphrase, char *err, size_t errlen);
char *sf_key_fingerprint(EVP_PKEY *);		/* "SHA256:<base64 of sha256(SPKI DER)>" */
char *sf_jwt(EVP_PKEY *, const char *account, const char *user, long iat, long lifetime);

/* Result columns and wire-value conversion (jsonv2 strings -> JSON typed for jq). */
enum sf_type {
	SF_FIXED, SF_REAL, SF_DECFLOAT, SF_TEXT, SF_BINARY, SF_BOOLEAN, SF_DATE, SF_TIME,
	SF_TIMESTAMP_NTZ, SF_TIMESTAMP_LTZ, SF_TIMESTAMP_TZ, SF_JSON, SF_OTHER
};
struct sf_col {
	char *name;
	char *key;		/* the JSON-escaped name with quotes and ':' — written before each value */
	enum sf_type type;
	int scale;		/* FIXED: digits after the point; TIME/TIMESTAMP: fraction digits */
};
enum sf_type sf_type_of(const char *);
/* Appends the JSON for one wire value (NULL: SQL NULL). 0, or -1 when the value is malformed. */
int sf_value_append(struct buf *, const struct sf_col *, const char *wire, size_t len);
/* rowType[] -> columns. 0, or -1 if malformed. */
int sf_cols_parse(json_t *rowtype, struct sf_col **cols, size_t *ncols);
void sf_cols_free(struct sf_col *, size_t);
typedef void (*sf_row_fn)(const char *line, size_t len, void *arg);
/* Reads a partition's data array (JSON text: an array of rows, each an array of wire strings
 * or null) in place and calls row() with each row as one JSON object line ending in '\n'.
 * Returns the rows read, or -1 - rows read before a malformed row or value. */
long sf_rows_scan(const char *text, size_t len, const struct sf_col *, size_t ncols, sf_row_fn row,
    void *arg);
/* Internal to snowflake_*.c: the span of the top-level "data" member of the JSON object in
 * [p, end). 0 found, 1 not, -1 not an object. */
int sf_rows_find_data(const char *p, const char *end, const char **a, const char **b);
/* Internal to snowflake_*.c: [-]digits[.digits] exactly. */
int sf_is_decimal(const char *s, size_t n);

/* Snowflake CLI templating: every "<% name %>" replaced by the value of a "name=value"
 * definition. Outside quotes a value must be a plain (optionally dotted) identifier or a
 * number; inside a '…' literal any text (quotes and backslashes escaped); inside a "…"
 * identifier any text without '"'. NULL with err set on an unknown name or a refused value. */
char *sf_template(const char *sql, char *const *defs, size_t ndefs, char *err, size_t errlen);

/* Statements in the text: ';'-separated pieces with something besides blanks and comments
 * (quotes, comments and $$ strings understood). */
int sf_statement_count(const char *sql);

char *sf_uuid4(void);

/* A session: one connection's endpoint and credentials, ready to send statements. */
struct sf_session {
	struct sf_conn *conn;
	char *base_url;			/* protocol://host[:port] */
	const char *token_type;		/* KEYPAIR_JWT, OAUTH, PROGRAMMATIC_ACCESS_TOKEN */
	EVP_PKEY *key;
	char *claim_account, *claim_user;
	char *bearer;			/* the token sent; never printed */
	time_t minted;
	const char *what;		/* names the statement in diagnostics */
	const char *query_tag;		/* sent as the QUERY_TAG parameter when set */
};

/* Build the endpoint and credentials. With dry != 0 no key or token file is read. 0, or a
 * sysexits code with err set (EX_CONFIG for missing/unsafe credentials). */
int sf_session_open(struct sf_session *, struct sf_conn *, int dry, char *err, size_t errlen);
void sf_session_close(struct sf_session *);
/* The JSON body of the statement request. */
char *sf_request_body(const struct sf_session *, const char *sql);

/* Run sql (one request, any number of statements) and call row() with each result row as one
 * JSON line, statement by statement, partition by partition. Returns 0, a sysexits code with err
 * set, or STOP_INTERRUPTED once stop_requested was seen (util.h; a running statement has been
 * cancelled). */
int sf_execute(struct sf_session *, const char *sql, sf_row_fn, void *arg, char *err, size_t errlen);

#endif
