/*
 * parquet.h: decode the footer of a Parquet file (no I/O).
 *
 * A Parquet file ends with  <FileMetaData, Thrift compact protocol> <u32le length> "PAR1".
 * A caller reads the last 8 bytes, asks parquet_tail() how long the footer is, reads that
 * many bytes before the tail and hands them to parquet_meta_parse().  Both functions are
 * pure and bound every read by the buffer they are given, so garbage input yields an error
 * string, never a crash.  Error strings are one line without the file name: the caller
 * prefixes it ("s3-ls-parquet: s3://b/k: truncated Thrift data at byte 12").
 */
#ifndef DBX2SF_PARQUET_H
#define DBX2SF_PARQUET_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PARQUET_TAIL_LEN 8	/* u32le footer length + "PAR1" */
#define PARQUET_MAX_DEPTH 64	/* deepest Thrift nesting and schema nesting accepted */

/* Physical types, numbered as in parquet.thrift's Type; PQ_GROUP marks a group node. */
enum parquet_physical {
	PQ_BOOLEAN, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE,
	PQ_BYTE_ARRAY, PQ_FIXED_LEN_BYTE_ARRAY,
	PQ_GROUP = -1
};

/* Logical types: the LogicalType union's members, or derived from the ConvertedType. */
enum parquet_logical {
	PQL_NONE, PQL_STRING, PQL_MAP, PQL_LIST, PQL_ENUM, PQL_DECIMAL, PQL_DATE,
	PQL_TIME, PQL_TIMESTAMP, PQL_INTEGER, PQL_UNKNOWN, PQL_JSON, PQL_BSON,
	PQL_UUID, PQL_FLOAT16, PQL_VARIANT, PQL_GEOMETRY, PQL_GEOGRAPHY,
	PQL_INTERVAL	/* ConvertedType INTERVAL; it has no LogicalType counterpart */
};

enum parquet_unit { PQU_NONE, PQU_MILLIS, PQU_MICROS, PQU_NANOS };

/*
 * One schema element, in the file's depth-first order.  The root is not kept: cols[0] is the
 * first top-level column.  A group's children follow it directly (nchildren of them, each
 * with its own subtree), so the flat array is the tree; depth is 0 for top-level columns.
 * The logical fields are already resolved: from logicalType when the writer set it, else from
 * converted_type, so a reader need not look at both.
 */
struct parquet_column {
	char *name;		/* valid UTF-8, no NUL bytes */
	int physical;		/* enum parquet_physical */
	int repetition;		/* 0 REQUIRED, 1 OPTIONAL, 2 REPEATED, -1 absent */
	int depth;
	int nchildren;		/* groups only */
	int32_t length;		/* FIXED_LEN_BYTE_ARRAY width, else -1 */
	int logical;		/* enum parquet_logical */
	int32_t precision, scale;	/* DECIMAL, else -1 */
	int unit;		/* TIME/TIMESTAMP: enum parquet_unit */
	int utc;		/* TIME/TIMESTAMP isAdjustedToUTC: 1, 0, or -1 not applicable */
	int bits, is_signed;	/* INTEGER, else -1 */
	int32_t field_id;	/* -1 when absent */
};

struct parquet_meta {
	int version;
	int64_t num_rows;
	int64_t row_groups;
	char *created_by;	/* NULL when absent; invalid UTF-8 bytes replaced by '?' */
	struct parquet_column *cols;
	size_t ncols;
	size_t ntop;		/* number of top-level columns */
};

/* Check the 8-byte tail; on success *footer_len is the footer's length. 0 ok, -1 error. */
int parquet_tail(const unsigned char tail[PARQUET_TAIL_LEN], uint64_t filesize,
    uint32_t *footer_len, char *err, size_t errlen);

/* Decode FileMetaData.  0 ok (free with parquet_meta_free), -1 error (nothing to free). */
int parquet_meta_parse(const unsigned char *footer, size_t len, struct parquet_meta *m,
    char *err, size_t errlen);
void parquet_meta_free(struct parquet_meta *);

/*
 * The schema[] array of DESIGN.md: one object per top-level column with keys, in order,
 * name physical logical repetition [precision scale] [unit utc] [bits signed] [length]
 * [fields].  Returns a new reference; NULL only when jansson cannot allocate.
 */
json_t *parquet_schema_json(const struct parquet_meta *);

/* Names for the enums above ("INT64", "TIMESTAMP", "MICROS", "OPTIONAL"); NULL if none. */
const char *parquet_physical_name(int);
const char *parquet_logical_name(int);
const char *parquet_unit_name(int);
const char *parquet_repetition_name(int);

#endif
