/* databricks.h: a client for the Databricks SQL Statement Execution API 2.0.
 * Configuration and authentication follow Databricks unified client auth (~/.databrickscfg
 * profiles, DATABRICKS_* variables, personal access tokens, OAuth M2M); statements are submitted,
 * polled to a terminal state, cancelled when the tool is asked to stop, and their result chunks
 * are streamed one at a time. */
#ifndef DBX2SF_DATABRICKS_H
#define DBX2SF_DATABRICKS_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "util.h"

/* A resolved workspace connection. Strings are malloc'd; dbx_free releases them. */
struct dbx {
	char *host;		/* scheme://authority, no trailing slash */
	char *token;		/* personal access token (auth "pat") */
	char *client_id;	/* service principal (auth "oauth-m2m") */
	char *client_secret;
	char *warehouse;	/* SQL warehouse id */
	char *profile;		/* the profile read, or NULL when the file was not read */
	char *config_file;	/* the file read, or NULL */
	const char *auth;	/* "pat" or "oauth-m2m" */
	char *bearer;		/* the OAuth access token, cached until bearer_expiry */
	time_t bearer_expiry;
};

/* Resolve host, credentials and warehouse. profile and warehouse are the command line's -p and -w
 * (NULL when not given); they win over DATABRICKS_CONFIG_PROFILE and DATABRICKS_WAREHOUSE_ID, which
 * win over the config file. Returns 0, or EX_CONFIG with a one-line reason in err. */
int dbx_config(struct dbx *, const char *profile, const char *warehouse, char *err, size_t errlen);
void dbx_free(struct dbx *);
/* Internal to databricks_*.c: wipe a secret string and free it (NULL is fine). */
void dbx_secret_free(char *);

/* "example.cloud.databricks.com/x?y" -> "https://example.cloud.databricks.com"; an explicit
 * http:// (a private endpoint) is kept. NULL when the host is empty or malformed. */
char *dbx_host_normalize(const char *);

/* A named parameter marker (:name). type NULL means STRING; value NULL means SQL NULL. */
struct dbx_param {
	const char *name;
	const char *value;
	const char *type;
};

/* Parse "name=value" or "name:TYPE=value" (the -D argument) into p, pointing into s (modified).
 * Returns 0, or -1 when the name or type is not acceptable. */
int dbx_param_parse(char *s, struct dbx_param *p);

#define DBX_INLINE		0
#define DBX_EXTERNAL_LINKS	1

/* The JSON body of POST /api/2.0/sql/statements. */
json_t *dbx_statement_body(const char *warehouse, const char *sql, const struct dbx_param *,
    size_t nparams, int disposition);

/* Submit body and poll with backoff until the statement reaches a terminal state (progress with
 * -v). Returns 0 with the final response, SUCCEEDED, in *resp; a sysexits code with a one-line
 * reason naming the statement in err (EX_DATAERR failed, EX_TEMPFAIL cancelled by the service,
 * EX_UNAVAILABLE closed, or the HTTP failure's code); or STOP_INTERRUPTED once stop_requested
 * (util.h) was seen: a running statement has been cancelled (POST .../cancel) first. */
int dbx_execute(struct dbx *, json_t *body, json_t **resp, char *err, size_t errlen);

/* Stream the result of a SUCCEEDED response: every row of every chunk, in order, one chunk in
 * memory at a time. External links are fetched without the workspace's Authorization header.
 * fn gets the manifest's columns array and one row (an array of strings and nulls). */
typedef void (*dbx_row_fn)(json_t *columns, json_t *row, void *arg);
/* Returns 0, a sysexits code with err set, or STOP_INTERRUPTED when stop_requested was seen
 * between chunks. */
int dbx_result_foreach(struct dbx *, json_t *resp, dbx_row_fn, void *arg, char *err, size_t errlen);

/* Typed JSON for one JSON_ARRAY value of the given type_name, appended to out. Returns 0, or -1
 * when text is not a valid value of that type (a malformed response). */
int dbx_value_json(const char *type_name, const char *text, struct buf *out);
int dbx_value_json_n(const char *type_name, const char *text, size_t len, struct buf *out);

/* One row as a JSON object keyed by column name, in column order, plus "\n". Returns 0 or -1 as
 * dbx_value_json, with the offending column's name in *badcol. */
int dbx_row_json(json_t *columns, json_t *row, struct buf *out, const char **badcol);

/* The raw text of the named column in row, or NULL (SQL NULL or no such column). */
const char *dbx_row_get(json_t *columns, json_t *row, const char *name);

/* Validation of what dbx-export splices into SQL (identifiers, table names and dates are
 * sql.c's: sql_ident_plain, sql_name_valid and sql_date_valid with SQL_SPARK). */
int dbx_valid_s3url(const char *);		/* s3://bucket[/prefix...] with safe characters */
/* A dataset is one path segment: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 255 bytes. Not starting with
 * _ or . (Spark's hidden-path rule: every reader would skip the whole export) and no '=' (a
 * segment k=v is read as a partition column). */
int dbx_valid_dataset(const char *);
#define DBX_DATASET_RULE "letters, digits, _ . -, not starting with _ or . which readers skip"

/* `a`.`b`.`c` from a valid table name. */
char *dbx_quote_table(const char *);
/* `name`, backquotes doubled. */
char *dbx_quote_ident(const char *);

/* Files to write for an estimated size: ceil(bytes / target), at least 1. */
long long dbx_file_count(long long est_bytes, long long target_bytes);
/* The table's bytes scaled to the slice: size * slice_rows / total_rows (0 when the table has no
 * rows), rounded up. */
long long dbx_slice_bytes(long long table_bytes, long long slice_rows, long long total_rows);

#endif
