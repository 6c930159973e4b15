/* schema.h: Parquet columns as s3-ls-parquet describes them, loaded into Snowflake: the type
 * map, the CREATE TABLE it implies, and the one transactional request that loads the files of
 * one partition. The map is documented in sf-copy(1); parity-check profiles the same types. */
#ifndef DBX2SF_SCHEMA_H
#define DBX2SF_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "util.h"

/* FILES = (…) takes at most 1000 names: one COPY statement per batch. */
#define LOAD_BATCH 1000

/*
 * The Snowflake type one top-level column of s3-ls-parquet's schema[] loads as, e.g.
 * "NUMBER(38,0)", appended to out. 0, or -1 with err set (nothing appended) when the column
 * has no Snowflake type: DECIMAL wider than 38 digits, BSON, FLOAT16, INTERVAL, a malformed
 * element.
 */
int schema_sf_type(struct buf *out, const json_t *col, char *err, size_t errlen);

/* The expression that reads the column from a Parquet row in a COPY transform:
 * $1:"name"::TYPE (PARSE_JSON for JSON columns). 0, or -1 with err set. */
int schema_sf_select(struct buf *out, const json_t *col, char *err, size_t errlen);

struct load_file {
	char *url;		/* s3://bucket/key as listed */
	char *path;		/* the key relative to the stage URL (NULL without a stage) */
	long long rows;		/* from the footer */
	char *where;		/* its input line ("stdin:3"), for diagnostics */
};

/* The files of one load, gathered line by line. Set the options, zero the rest. */
struct load {
	/* options */
	const char *table;	/* db.schema.table */
	const char *stage;	/* db.schema.stage, without '@'; NULL for DDL only */
	const char *stage_url;	/* the stage's URL, s3://bucket/prefix/ */
	const char *part_col;	/* the partition column; or NULL */
	const char *part_key;	/* the k= of the paths holding its value; NULL: part_col. When
				 * they differ and the files hold the column, it is loaded from the
				 * files (rows of another value fail the load's row check). */
	int ddl;		/* gathering for CREATE TABLE: partitions may differ */
	int merge;		/* with ddl: schema becomes the union of the files' schemas */
	json_t *rename;		/* {"file column": "table column"} for the COPY (case-only
				 * renames, see evolve.h), or NULL; borrowed */
	/* gathered by load_add */
	json_t *schema;		/* the first file's; with merge, the union */
	char *part_value;	/* the first file's partition value */
	int part_dates;		/* every partition value seen is a date */
	struct load_file *files;
	size_t nfiles;
	long long rows;
};

/* Adds one s3-ls-parquet line. where names it in diagnostics ("stdin:3"). 0, or -1 with err
 * set: no url/rows/schema, a file outside the stage URL, a schema that differs from the first
 * file's (naming the column), a partition value that differs from the first line's. With
 * merge a differing schema is added to the union instead: new columns at the end, a type
 * widened where one file's widens another's (evolve.h), an error naming the file and the
 * column where neither type holds the other. */
int load_add(struct load *, json_t *line, const char *where, char *err, size_t errlen);

/* CREATE TABLE [IF NOT EXISTS] for the gathered schema, plus the partition column (DATE when
 * every value is a date, else VARCHAR). NULL with err set. */
char *load_ddl(const struct load *, int if_not_exists, char *err, size_t errlen);

/* BEGIN; DELETE the partition; one COPY INTO per LOAD_BATCH files (FILES = the listed files
 * exactly, FORCE = TRUE); a check that the partition now holds the footers' rows; COMMIT.
 * NULL with err set. */
char *load_sql(const struct load *, char *err, size_t errlen);

/* CREATE PIPE … AUTO_INGEST = TRUE AS COPY INTO … for continuous loads of new files under the
 * stage: the same columns as load_sql, the partition value read from the file's path (a pipe
 * has no file list), data files only (PATTERN). NULL with err set. */
char *load_pipe_sql(const struct load *, const char *pipe, char *err, size_t errlen);

void load_free(struct load *);

#endif
