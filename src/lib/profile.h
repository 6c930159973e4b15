/* profile.h: the per-partition profile parity-check compares: the SQL that computes it on
 * Spark and on Snowflake from one Parquet schema, and the exact comparison of two profiles.
 * Pure: no I/O. The metrics and canonical forms are documented in parity-check(1). */
#ifndef DBX2SF_PROFILE_H
#define DBX2SF_PROFILE_H

#include <stddef.h>

#include <jansson.h>

#include "sql.h"
#include "util.h"

/* How a column is profiled; decided from its Parquet type. */
enum profile_kind {
	PROFILE_BOOL,		/* nulls, trues; checksum "true"/"false" */
	PROFILE_INT,		/* nulls, min, max, sum */
	PROFILE_DECIMAL,	/* nulls, min, max, sum; text with exactly scale digits */
	PROFILE_DATE,		/* nulls, min, max; YYYY-MM-DD */
	PROFILE_TS_NTZ,		/* wall-clock timestamp (utc=false) */
	PROFILE_TS_UTC,		/* instant: TIMESTAMP utc=true (Snowflake TIMESTAMP_LTZ) */
	PROFILE_TS_INT96,	/* instant: INT96 (Snowflake TIMESTAMP_NTZ(9) holding UTC) */
	PROFILE_STRING,		/* nulls, min, max; as is */
	PROFILE_BINARY,		/* nulls, min, max; upper-case hex */
	PROFILE_FLOAT,		/* nulls, nans, negzeros, min, max; m p q (m×2^q exactly) */
	PROFILE_NULLS_ONLY	/* floats, nested, JSON, TIME, UUID…: nulls only (see why) */
};

struct profile_col {
	char *name;
	enum profile_kind kind;
	int scale;		/* PROFILE_DECIMAL */
	char *type;		/* the Parquet type as text, to tell files apart */
	const char *why;	/* PROFILE_NULLS_ONLY: why the column is not in the checksum */
	char *from;		/* the table's column it is read from, when not name: a case-only
				 * rename (profile_table_columns); NULL otherwise */
	int absent;		/* a table column the files do not hold (profile_table_columns):
				 * PROFILE_NULLS_ONLY, its null count must equal the rows */
};

/* The columns every file agrees on, gathered file by file. Zero it before the first add. */
struct profile {
	struct profile_col *cols;
	size_t ncols;
	char *first;		/* where the first schema came from ("files.jsonl:1 s3://…") */
	const char *version;	/* Spark: the Delta version to read (VERSION AS OF, digits), or
				 * NULL for the table as it is; borrowed, set before profile_sql */
};

/* Adds one s3-ls-parquet line's schema[]: the first sets the columns, later ones must agree
 * (same names in the same order, same types). where names the line in messages. 0, or -1
 * with err set ("column "fare": DECIMAL(12,2) here, DECIMAL(10,2) in files.jsonl:1 …"). */
int profile_add_schema(struct profile *, const json_t *line, const char *where, char *err,
    size_t errlen);

/* Fits the profile to the target table's columns (names as DESC TABLE lists them, case
 * exact), after the last profile_add_schema, for the Snowflake query of a table whose schema
 * evolved: a file column with no exact match among them but exactly one match that differs
 * only in the case of ASCII letters is read from that column (the case-only rename sf-copy -e
 * add loads that way), its metrics keeping the file's name; every table column that is not
 * part_col, not a file column and not such a rename's column is added as absent: profiled as
 * its null count only, "<name>.nulls", which profile_diff checks against the rows. 0, or -1
 * with err set (a file column not in the table, or matching several only by case; a table
 * column twice, empty, with control characters, reserved or too long for a metric name). */
int profile_table_columns(struct profile *, char *const *names, size_t n, const char *part_col,
    char *err, size_t errlen);

/* The profile query for table (a dotted plain name) grouped by part_col, limited to the
 * ndates dates given (all partitions when ndates is 0). With dates, every date given has its
 * row, an empty one too (rows 0). With p->version (Spark only), the table is read VERSION AS
 * OF it and every row carries it as "version". NULL with err set. */
char *profile_sql(const struct profile *, enum sql_dialect, const char *table,
    const char *part_col, char *const *dates, size_t ndates, char *err, size_t errlen);

/* 1 if s is a Delta table version as text: digits without a leading zero, 0 to 2^63-1. */
int profile_version_valid(const char *s);

void profile_free(struct profile *);

/* The pieces of the profile query that row-diff(1) computes over other slices of a date, so
 * that both tools hash exactly the same text. */

/* The text of an integer-valued expression x: CAST(x AS STRING) / TO_VARCHAR(x). */
void profile_text_sql(struct buf *, const char *x, enum sql_dialect);

/* The canonical text of expression x (a value of column c's type) in dialect d, as the checksum
 * uses it; NULL stays NULL. Nothing is appended for PROFILE_NULLS_ONLY. */
void profile_canon_sql(struct buf *, const struct profile_col *c, const char *x, enum sql_dialect);

/* The MD5, 32 lower-case hex digits, of the canonical texts of the columns idx[0..n) (indexes
 * into p->cols), each read from the table as its from or else its name, NULL as "<null>",
 * joined with "|"; PROFILE_NULLS_ONLY columns left out. With idx NULL, of every column: the
 * row's MD5 that the checksum sums. */
void profile_md5_sql(struct buf *, const struct profile *p, const size_t *idx, size_t n, enum sql_dialect);

/* The low 48 bits (last 12 hex digits) of the MD5 hex in column col (quoted here) as a
 * DECIMAL(38,0) / NUMBER(38,0): the checksum's term for one row. */
void profile_low48_sql(struct buf *, const char *col, enum sql_dialect);

/* A decimal numeral ([-+]digits[.digits][e[-+]digits]) in its shortest exact form: no
 * leading or trailing zeros, no exponent, "0" for any zero ("1.50" -> "1.5", "-0.0" -> "0",
 * "15E-1" -> "1.5"). -1 (nothing appended) if s is not such a numeral. */
int profile_dec_norm(struct buf *out, const char *s);

/* 1 if the metric compares as an exact decimal whatever its text: rows, checksum, and the
 * metrics ending in .nulls, .trues or .sum. min and max compare as decimals when both values
 * are numerals without an exponent, else byte for byte. */
int profile_metric_numeric(const char *metric);

/* A metric's value as text: a string as is, an integer in decimal, NULL for null. -1 for
 * anything else (a number with a fraction would already have lost digits in a double). */
int profile_value(const json_t *v, char **text);

/* 1 if two values of the metric are the same (NULL equals NULL only). */
int profile_value_equal(const char *metric, const char *a, const char *b);

/* Replaces the partial sums a profile query returns for a decimal column, "name.sum.eK"
 * (integers; the sum is the total of each part times 10^K), with "name.sum": their exact
 * total, with as many fraction digits as the least K asks (null when every part is null).
 * 0, or -1 with err set (a part that is not an integer, parts partly null, a name.sum beside
 * its parts). */
int profile_sums_combine(json_t *line, char *err, size_t errlen);

/* The differences between a source and a target profile line of one partition (keyed alike),
 * and, when files_rows is not NULL, the rows the footers of that partition's files count:
 * an array of {"metric","source","target"[,"files"]}, in the source's metric order, then the
 * target's. A metric one side lacks has "absent": "source"|"target", but for one rule: a
 * "<name>.nulls" only the target has (a table column the date's files do not hold, see
 * profile_table_columns) is the source's "rows" on the source side, so it is no difference
 * when the column is all NULL, and else a difference {"metric","source": the rows,"target"}
 * without "absent". Values must already have passed profile_value. */
json_t *profile_diff(const json_t *source, const json_t *target, const char *files_rows);

#endif
