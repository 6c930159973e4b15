/* parquet_test.c: the footer decoder on hand-built Thrift compact-protocol buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"
#include "util.h"
#include "t.h"

/* compact protocol type codes */
enum { STOP, TRUE_, FALSE_, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT, UUID };

/* A tiny compact-protocol writer; each struct level tracks its last field id. */
struct tb {
	unsigned char b[1 << 16];
	size_t n;
	int last[80];
	int level;
};

static void
put(struct tb *t, int c)
{
	if (t->n < sizeof t->b)
		t->b[t->n++] = (unsigned char)c;
}

static void
varint(struct tb *t, uint64_t v)
{
	while (v >= 0x80) {
		put(t, (int)(v & 0x7f) | 0x80);
		v >>= 7;
	}
	put(t, (int)v);
}

static void
zigzag(struct tb *t, int64_t v)
{
	varint(t, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* field header: the short form when the id delta fits a nibble, else the long form */
static void
field(struct tb *t, int id, int type)
{
	int delta = id - t->last[t->level];

	if (delta > 0 && delta <= 15) {
		put(t, delta << 4 | type);
	} else {
		put(t, type);
		zigzag(t, id);
	}
	t->last[t->level] = id;
}

static void
f_i32(struct tb *t, int id, int32_t v)
{
	field(t, id, I32);
	zigzag(t, v);
}

static void
f_i64(struct tb *t, int id, int64_t v)
{
	field(t, id, I64);
	zigzag(t, v);
}

static void
f_bin(struct tb *t, int id, const char *s, size_t n)
{
	field(t, id, BINARY);
	varint(t, n);
	while (n--)
		put(t, (unsigned char)*s++);
}

static void
f_str(struct tb *t, int id, const char *s)
{
	f_bin(t, id, s, strlen(s));
}

static void
listh(struct tb *t, uint64_t n, int etype)
{
	if (n < 15) {
		put(t, (int)n << 4 | etype);
	} else {
		put(t, 0xf0 | etype);
		varint(t, n);
	}
}

/* enter a struct: as a field (id > 0) or as a list element (id 0) */
static void
begin(struct tb *t, int id)
{
	if (id)
		field(t, id, STRUCT);
	t->last[++t->level] = 0;
}

static void
end(struct tb *t)
{
	put(t, STOP);
	t->level--;
}

/* SchemaElement with the common fields; -1 leaves a field out */
static void
element(struct tb *t, const char *name, int type, int rep, int nchildren, int conv)
{
	begin(t, 0);
	if (type >= 0)
		f_i32(t, 1, type);
	if (rep >= 0)
		f_i32(t, 3, rep);
	f_str(t, 4, name);
	if (nchildren != -1)
		f_i32(t, 5, nchildren);
	if (conv >= 0)
		f_i32(t, 6, conv);
	end(t);
}

static void
meta_begin(struct tb *t, int nschema)
{
	memset(t, 0, sizeof *t);
	begin(t, 0);
	f_i32(t, 1, 2);
	field(t, 2, LIST);
	listh(t, (uint64_t)nschema, STRUCT);
}

/* A ColumnChunk with its ColumnMetaData; complete: all required fields, else one missing */
static void
column_chunk(struct tb *t, int complete)
{
	begin(t, 0);
	f_i64(t, 2, 4);			/* file_offset */
	begin(t, 3);
	f_i32(t, 1, 2);			/* type */
	field(t, 2, LIST);		/* encodings */
	listh(t, 2, I32);
	zigzag(t, 0);
	zigzag(t, 3);
	field(t, 3, LIST);		/* path_in_schema */
	listh(t, 1, BINARY);
	varint(t, 1);
	put(t, 'a');
	f_i32(t, 4, 1);			/* codec */
	f_i64(t, 5, 3);			/* num_values */
	f_i64(t, 6, 30);		/* total_uncompressed_size */
	f_i64(t, 7, 20);		/* total_compressed_size */
	if (complete)
		f_i64(t, 9, 4);		/* data_page_offset */
	begin(t, 12);			/* statistics: optional, skipped */
	f_bin(t, 5, "\x00\x01", 2);
	end(t);
	end(t);
	end(t);
}

/* num_rows, row groups, created_by and the final STOP */
static void
meta_end(struct tb *t, int64_t rows, int groups)
{
	int i;

	f_i64(t, 3, rows);
	field(t, 4, LIST);
	listh(t, (uint64_t)groups, STRUCT);
	for (i = 0; i < groups; i++) {
		begin(t, 0);
		field(t, 1, LIST);	/* columns: one ColumnChunk */
		listh(t, 1, STRUCT);
		column_chunk(t, 1);
		f_i64(t, 2, 100 + i);
		f_i64(t, 3, rows);
		end(t);
	}
	field(t, 5, LIST);		/* key_value_metadata: skipped, but each needs its key */
	listh(t, 1, STRUCT);
	begin(t, 0);
	f_str(t, 1, "k");
	f_str(t, 2, "v");
	end(t);
	f_str(t, 6, "unit test");
	end(t);
}

static char err[256];

#define A21 "aaaaaaaaaaaaaaaaaaaaa"
#define A63 A21 A21 A21

static int
parse(struct tb *t, struct parquet_meta *m)
{
	err[0] = '\0';
	return parquet_meta_parse(t->b, t->n, m, err, sizeof err);
}

static char *
schema_str(struct parquet_meta *m)
{
	json_t *a = parquet_schema_json(m);
	char *s = json_dumps(a, JSON_PRESERVE_ORDER | JSON_COMPACT);

	json_decref(a);
	return s;
}

/* Expect parsing to fail with a message containing want. */
static void
expect_error(struct tb *t, const char *want, const char *what)
{
	struct parquet_meta m;

	if (parse(t, &m) == 0) {
		T_CHECK(0, "%s: parse succeeded", what);
		parquet_meta_free(&m);
		return;
	}
	T_CHECK(strstr(err, want) != NULL, "%s: error \"%s\", want \"%s\"", what, err, want);
	T_CHECK(m.cols == NULL && m.created_by == NULL, "%s: meta not cleared on error", what);
}

static void
test_tail(void)
{
	unsigned char tail[8] = { 0x10, 0, 0, 0, 'P', 'A', 'R', '1' };
	uint32_t len = 0;

	T_CHECK(parquet_tail(tail, 28, &len, err, sizeof err) == 0 && len == 16,
	    "tail: 16-byte footer in 28 bytes: %s", err);
	T_CHECK(parquet_tail(tail, 27, &len, err, sizeof err) == -1, "tail: footer past start");
	T_STREQ(err, "footer length 16 exceeds the file's 27 bytes");
	T_CHECK(parquet_tail(tail, 11, &len, err, sizeof err) == -1, "tail: 11 bytes");
	T_STREQ(err, "too short for a Parquet file (11 bytes)");
	tail[0] = 0xff; tail[1] = 0xff; tail[2] = 0xff; tail[3] = 0xff;
	T_CHECK(parquet_tail(tail, 100, &len, err, sizeof err) == -1, "tail: 4 GiB footer");
	T_STREQ(err, "footer length 4294967295 exceeds the file's 100 bytes");
	T_CHECK(parquet_tail(tail, UINT64_MAX, &len, err, sizeof err) == 0 && len == 0xffffffffu,
	    "tail: huge file");
	memset(tail, 0, 4);
	T_CHECK(parquet_tail(tail, 100, &len, err, sizeof err) == -1, "tail: zero length");
	T_STREQ(err, "footer length is 0");
	tail[0] = 4;
	memcpy(tail + 4, "PARE", 4);
	T_CHECK(parquet_tail(tail, 100, &len, err, sizeof err) == -1, "tail: PARE");
	T_STREQ(err, "encrypted footer not supported");
	memcpy(tail + 4, "PAR2", 4);
	T_CHECK(parquet_tail(tail, 100, &len, err, sizeof err) == -1, "tail: bad magic");
	T_STREQ(err, "not a Parquet file (no PAR1 magic at the end)");
	T_CHECK(parquet_tail(tail, 100, &len, NULL, 0) == -1, "tail: no error buffer");
}

/* The valid footer most tests start from: root, a (INT64 REQUIRED), s (UTF8 OPTIONAL). */
static void
minimal(struct tb *t)
{
	meta_begin(t, 3);
	element(t, "schema", -1, 0, 2, -1);
	element(t, "a", 2, 0, -1, -1);
	element(t, "s", 6, 1, -1, 0);
	meta_end(t, 42, 3);
}

static void
test_minimal(void)
{
	struct parquet_meta m;
	struct tb *t = calloc(1, sizeof *t);
	char *s;
	size_t n;

	minimal(t);
	T_CHECK(parse(t, &m) == 0, "minimal: %s", err);
	T_CHECK(m.version == 2, "minimal: version %d", m.version);
	T_CHECK(m.num_rows == 42, "minimal: num_rows %lld", (long long)m.num_rows);
	T_CHECK(m.row_groups == 3, "minimal: row_groups %lld", (long long)m.row_groups);
	T_STREQ(m.created_by, "unit test");
	T_CHECK(m.ncols == 2 && m.ntop == 2, "minimal: %zu columns, %zu top", m.ncols, m.ntop);
	s = schema_str(&m);
	T_STREQ(s, "[{\"name\":\"a\",\"physical\":\"INT64\",\"logical\":null,"
	    "\"repetition\":\"REQUIRED\"},{\"name\":\"s\",\"physical\":\"BYTE_ARRAY\","
	    "\"logical\":\"STRING\",\"repetition\":\"OPTIONAL\"}]");
	free(s);
	parquet_meta_free(&m);

	/*
	 * Every proper prefix fails: as a truncation at or before its end, or as a list whose
	 * count no longer fits the bytes left.
	 */
	for (n = 0; n < t->n; n++) {
		unsigned long at = ~0UL;

		T_CHECK(parquet_meta_parse(t->b, n, &m, err, sizeof err) == -1 &&
		    ((sscanf(err, "truncated Thrift data at byte %lu", &at) == 1 && at <= n) ||
		    (strncmp(err, "list of ", 8) == 0 && strstr(err, "bytes left"))),
		    "prefix %zu: \"%s\"", n, err);
	}
	/* bytes after FileMetaData are ignored, as parquet-cpp does (plaintext footer signatures) */
	put(t, 0xff);
	T_CHECK(parse(t, &m) == 0 && m.num_rows == 42, "trailing byte: %s", err);
	parquet_meta_free(&m);
	T_CHECK(parquet_meta_parse(t->b, t->n / 2, &m, NULL, 0) == -1, "no error buffer");
	free(t);
}

/* Unknown fields of every type, at top level and inside known structs, are skipped. */
static void
test_skip_unknown(void)
{
	struct parquet_meta m;
	struct tb *t = calloc(1, sizeof *t);
	char *s;
	int i;

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	begin(t, 0);			/* element with unknown fields around the known ones */
	field(t, 40, TRUE_);
	f_i32(t, 1, 1);
	field(t, 41, DOUBLE);
	for (i = 0; i < 8; i++)
		put(t, 0x40);
	f_str(t, 4, "x");
	begin(t, 10);			/* LogicalType: an unknown member, then INTEGER(16, false) */
	begin(t, 30);
	field(t, 1, FALSE_);
	end(t);
	begin(t, 10);
	field(t, 1, BYTE);
	put(t, 16);
	field(t, 2, FALSE_);
	field(t, 3, UUID);
	for (i = 0; i < 16; i++)
		put(t, i);
	end(t);
	end(t);
	end(t);
	field(t, 5, BINARY);		/* key_value_metadata's id, but the wrong type: skipped */
	varint(t, 3);
	put(t, 'k'); put(t, 'e'); put(t, 'y');
	field(t, 100, LIST);		/* list of bools: one byte each */
	listh(t, 3, TRUE_);
	put(t, 1); put(t, 2); put(t, 0);
	field(t, 101, SET);
	listh(t, 20, I64);
	for (i = 0; i < 20; i++)
		zigzag(t, -i * 1000000);
	field(t, 102, MAP);		/* map<string, list<i16>> */
	varint(t, 2);
	put(t, BINARY << 4 | LIST);
	for (i = 0; i < 2; i++) {
		varint(t, 1);
		put(t, 'k');
		listh(t, 1, I16);
		zigzag(t, -5);
	}
	field(t, 103, MAP);		/* empty map: no type byte */
	varint(t, 0);
	field(t, 3, I32);		/* num_rows with the wrong type is skipped, not taken */
	zigzag(t, 7);
	meta_end(t, 9, 0);
	T_CHECK(parse(t, &m) == 0, "skip: %s", err);
	T_CHECK(m.num_rows == 9 && m.row_groups == 0, "skip: rows %lld groups %lld",
	    (long long)m.num_rows, (long long)m.row_groups);
	s = schema_str(&m);
	T_STREQ(s, "[{\"name\":\"x\",\"physical\":\"INT32\",\"logical\":\"INTEGER\","
	    "\"repetition\":null,\"bits\":16,\"signed\":false}]");
	free(s);
	parquet_meta_free(&m);
	free(t);
}

/* LogicalType wins over converted_type; converted_type alone still yields a logical type. */
static void
test_logical(void)
{
	struct parquet_meta m;
	struct tb *t = calloc(1, sizeof *t);
	char *s;

	meta_begin(t, 12);
	element(t, "schema", -1, 0, 9, -1);
	element(t, "ts_ms", 2, 1, -1, 9);		/* TIMESTAMP_MILLIS */
	element(t, "t_us", 2, 1, -1, 8);		/* TIME_MICROS */
	element(t, "u16", 1, 1, -1, 12);		/* UINT_16 */
	element(t, "i64", 2, 1, -1, 18);		/* INT_64 */
	begin(t, 0);					/* DECIMAL(12,3) via converted type */
	f_i32(t, 1, 7);
	f_i32(t, 2, 6);
	f_i32(t, 3, 0);
	f_str(t, 4, "dec");
	f_i32(t, 6, 5);
	f_i32(t, 7, 3);
	f_i32(t, 8, 12);
	end(t);
	begin(t, 0);			/* TIMESTAMP(NANOS, utc false) overriding TIMESTAMP_MICROS */
	f_i32(t, 1, 2);
	f_str(t, 4, "ts_ns");
	f_i32(t, 6, 10);
	begin(t, 10);
	begin(t, 8);
	field(t, 1, FALSE_);
	begin(t, 2);
	begin(t, 3);
	end(t);
	end(t);
	end(t);
	end(t);
	end(t);
	begin(t, 0);			/* DECIMAL(38,10) in the union, FLBA(16) */
	f_i32(t, 1, 7);
	f_i32(t, 2, 16);
	f_str(t, 4, "d38");
	begin(t, 10);
	begin(t, 5);
	f_i32(t, 1, 10);
	f_i32(t, 2, 38);
	end(t);
	end(t);
	end(t);
	begin(t, 0);			/* a future LogicalType member falls back to UTF8 */
	f_i32(t, 1, 6);
	f_str(t, 4, "future");
	f_i32(t, 6, 0);
	begin(t, 10);
	begin(t, 99);
	f_i32(t, 1, 1);
	end(t);
	end(t);
	end(t);
	element(t, "m", -1, 1, 1, 2);			/* MAP_KEY_VALUE group */
	element(t, "key_value", -1, 2, 1, -1);
	element(t, "key", 6, 0, -1, 0);
	meta_end(t, 1, 1);
	T_CHECK(parse(t, &m) == 0, "logical: %s", err);
	s = schema_str(&m);
	T_STREQ(s, "["
	    "{\"name\":\"ts_ms\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\","
	    "\"repetition\":\"OPTIONAL\",\"unit\":\"MILLIS\",\"utc\":true},"
	    "{\"name\":\"t_us\",\"physical\":\"INT64\",\"logical\":\"TIME\","
	    "\"repetition\":\"OPTIONAL\",\"unit\":\"MICROS\",\"utc\":true},"
	    "{\"name\":\"u16\",\"physical\":\"INT32\",\"logical\":\"INTEGER\","
	    "\"repetition\":\"OPTIONAL\",\"bits\":16,\"signed\":false},"
	    "{\"name\":\"i64\",\"physical\":\"INT64\",\"logical\":\"INTEGER\","
	    "\"repetition\":\"OPTIONAL\",\"bits\":64,\"signed\":true},"
	    "{\"name\":\"dec\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\","
	    "\"repetition\":\"REQUIRED\",\"precision\":12,\"scale\":3,\"length\":6},"
	    "{\"name\":\"ts_ns\",\"physical\":\"INT64\",\"logical\":\"TIMESTAMP\","
	    "\"repetition\":null,\"unit\":\"NANOS\",\"utc\":false},"
	    "{\"name\":\"d38\",\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"logical\":\"DECIMAL\","
	    "\"repetition\":null,\"precision\":38,\"scale\":10,\"length\":16},"
	    "{\"name\":\"future\",\"physical\":\"BYTE_ARRAY\",\"logical\":\"STRING\","
	    "\"repetition\":null},"
	    "{\"name\":\"m\",\"physical\":\"GROUP\",\"logical\":\"MAP\",\"repetition\":\"OPTIONAL\","
	    "\"fields\":[{\"name\":\"key_value\",\"physical\":\"GROUP\",\"logical\":null,"
	    "\"repetition\":\"REPEATED\",\"fields\":[{\"name\":\"key\",\"physical\":\"BYTE_ARRAY\","
	    "\"logical\":\"STRING\",\"repetition\":\"REQUIRED\"}]}]}]");
	free(s);
	T_CHECK(m.ncols == 11 && m.cols[10].depth == 2, "logical: flat depth");
	parquet_meta_free(&m);
	free(t);
}

/* The schema list must be exactly the tree its num_children describe. */
static void
test_schema_tree(void)
{
	struct tb *t = calloc(1, sizeof *t);

	meta_begin(t, 3);
	element(t, "schema", -1, 0, 5, -1);
	element(t, "a", 2, 0, -1, -1);
	element(t, "b", 2, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema tree inconsistent: num_children 5 at the root exceeds remaining "
	    "2 elements", "root children");

	meta_begin(t, 4);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "x", -1, 1, 5, -1);
	element(t, "a", 2, 0, -1, -1);
	element(t, "b", 2, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema tree inconsistent: num_children 5 at column 'x' exceeds "
	    "remaining 2 elements", "group children");

	/* x claims 2 children and there are 2 elements left, but y takes the last one */
	meta_begin(t, 4);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "x", -1, 1, 2, -1);
	element(t, "y", -1, 1, 1, -1);
	element(t, "a", 2, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema tree inconsistent: num_children 2 at column 'x' exceeds "
	    "remaining 1 elements", "nested children");

	meta_begin(t, 3);
	element(t, "schema", -1, 0, 2, -1);
	element(t, "g", -1, 1, 1, -1);
	element(t, "a", 2, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema tree inconsistent: root has 2 children, the list ends after 1",
	    "root short");

	/* names in messages stay on one line and short */
	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "two\nlines", -1, 1, 3, -1);
	meta_end(t, 0, 0);
	expect_error(t, "num_children 3 at column 'two?lines' exceeds remaining 0", "newline name");
	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	/* 63 ASCII bytes, then "é", whose second byte would be the 65th: cut before it */
	element(t, A63 "\xc3\xa9" "x", -1, 1, 3, -1);
	meta_end(t, 0, 0);
	expect_error(t, "at column '" A63 "...' exceeds",
	    "long name");

	meta_begin(t, 4);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "a", 2, 0, -1, -1);
	element(t, "b", 2, 0, -1, -1);
	element(t, "c", 2, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema tree inconsistent: 2 elements after the last top-level column",
	    "extra elements");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "x", -1, 1, -3, -1);
	meta_end(t, 0, 0);
	expect_error(t, "negative num_children at schema element 1", "negative children");

	meta_begin(t, 0);
	meta_end(t, 0, 0);
	expect_error(t, "empty schema", "empty schema");

	meta_begin(t, 1);
	element(t, "schema", 1, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema root is not a group", "leaf root");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "a", 9, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "unknown physical type 9 at column 'a'", "physical type");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "a", 1, 5, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "unknown repetition type 5 at column 'a'", "repetition");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "f", 7, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "FIXED_LEN_BYTE_ARRAY without a length at column 'f'", "flba length");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "bad\xff", 1, 0, -1, -1);
	meta_end(t, 0, 0);
	expect_error(t, "schema element 1: name is not valid UTF-8", "utf8 name");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	begin(t, 0);
	f_i32(t, 1, 1);
	end(t);
	meta_end(t, 0, 0);
	expect_error(t, "schema element 1 has no name", "no name");
	free(t);
}

/* A group chain: at the depth limit it decodes, one deeper it is refused. */
static void
test_schema_depth(void)
{
	struct parquet_meta m;
	struct tb *t = calloc(1, sizeof *t);
	int depth, i;

	for (depth = PARQUET_MAX_DEPTH; depth <= PARQUET_MAX_DEPTH + 1; depth++) {
		meta_begin(t, depth + 2);
		element(t, "schema", -1, 0, 1, -1);
		for (i = 0; i < depth; i++)
			element(t, "g", -1, 1, 1, -1);
		element(t, "leaf", 1, 1, -1, -1);
		meta_end(t, 0, 0);
		if (depth == PARQUET_MAX_DEPTH) {
			char *s;

			T_CHECK(parse(t, &m) == 0, "depth %d: %s", depth, err);
			s = schema_str(&m);
			T_CHECK(s && strstr(s, "\"leaf\""), "depth %d: leaf in JSON", depth);
			free(s);
			parquet_meta_free(&m);
		} else {
			expect_error(t, "schema nested deeper than 64 at column 'g'", "schema depth");
		}
	}
	free(t);
}

/* Hostile Thrift: nesting bombs, huge counts, bad varints, missing fields. */
static void
test_hostile(void)
{
	struct tb *t = calloc(1, sizeof *t);
	int i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < 10000; i++)
		put(t, 0x1c);		/* field 1, a struct, holding field 1, a struct … */
	expect_error(t, "Thrift nesting deeper than 64", "struct bomb");

	memset(t, 0, sizeof *t);
	put(t, 0x09);			/* field 0+… long form id 50: a list of lists of lists … */
	zigzag(t, 50);
	for (i = 0; i < 10000; i++)
		put(t, 0x19);
	expect_error(t, "Thrift nesting deeper than 64", "list bomb");

	memset(t, 0, sizeof *t);
	put(t, 0x29);			/* schema: 2^40 structs */
	put(t, 0xfc);
	varint(t, (uint64_t)1 << 40);
	put(t, 0);
	expect_error(t, "list of 1099511627776 elements exceeds the 1 bytes left", "huge list");

	memset(t, 0, sizeof *t);
	field(t, 60, MAP);
	varint(t, UINT64_MAX);
	expect_error(t, "map of 18446744073709551615 entries exceeds", "huge map");

	memset(t, 0, sizeof *t);
	f_i32(t, 1, 1);
	field(t, 6, BINARY);		/* created_by of 2^62 bytes */
	varint(t, (uint64_t)1 << 62);
	expect_error(t, "truncated Thrift data at byte 12", "huge string");

	memset(t, 0, sizeof *t);
	field(t, 1, I32);
	for (i = 0; i < 11; i++)
		put(t, 0xff);
	expect_error(t, "malformed varint at byte 1", "long varint");

	memset(t, 0, sizeof *t);
	field(t, 1, I32);
	zigzag(t, (int64_t)1 << 40);
	expect_error(t, "i32 out of range at byte 1", "i32 range");

	memset(t, 0, sizeof *t);
	put(t, 0x1e);			/* type 14 does not exist */
	expect_error(t, "invalid Thrift type 14 at byte 1", "bad type");

	memset(t, 0, sizeof *t);
	put(t, 0x05);			/* long form id 40000 */
	zigzag(t, 40000);
	expect_error(t, "Thrift field id out of range at byte 0", "field id");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	element(t, "a", 1, 0, -1, -1);
	field(t, 4, LIST);
	listh(t, 0, STRUCT);
	end(t);
	expect_error(t, "FileMetaData lacks required field num_rows", "no num_rows");

	meta_begin(t, 1);
	element(t, "schema", -1, 0, 0, -1);
	meta_end(t, -5, 0);
	expect_error(t, "negative num_rows -5", "negative rows");

	/* required fields of structs we otherwise skip */
	meta_begin(t, 1);
	element(t, "schema", -1, 0, 0, -1);
	f_i64(t, 3, 1);
	field(t, 4, LIST);
	listh(t, 2, STRUCT);
	begin(t, 0);
	field(t, 1, LIST);
	listh(t, 0, STRUCT);
	f_i64(t, 2, 0);
	f_i64(t, 3, 0);
	end(t);
	begin(t, 0);
	field(t, 1, LIST);
	listh(t, 0, STRUCT);
	f_i64(t, 2, 0);
	f_i32(t, 3, 0);			/* num_rows as i32: not the required i64 */
	end(t);
	end(t);
	expect_error(t, "RowGroup lacks a required field", "row group fields");

	meta_begin(t, 1);
	element(t, "schema", -1, 0, 0, -1);
	f_i64(t, 3, 1);
	field(t, 4, LIST);
	listh(t, 1, STRUCT);
	begin(t, 0);
	field(t, 1, LIST);
	listh(t, 1, STRUCT);
	column_chunk(t, 0);
	f_i64(t, 2, 0);
	f_i64(t, 3, 0);
	end(t);
	end(t);
	expect_error(t, "ColumnMetaData lacks a required field", "column meta fields");

	meta_begin(t, 1);
	element(t, "schema", -1, 0, 0, -1);
	f_i64(t, 3, 1);
	field(t, 4, LIST);
	listh(t, 0, STRUCT);
	field(t, 5, LIST);
	listh(t, 1, STRUCT);
	begin(t, 0);
	f_str(t, 2, "value without key");
	end(t);
	end(t);
	expect_error(t, "KeyValue lacks a required field", "key value");

	meta_begin(t, 2);
	element(t, "schema", -1, 0, 1, -1);
	begin(t, 0);
	f_i32(t, 1, 1);
	f_str(t, 4, "dec");
	begin(t, 10);
	begin(t, 5);
	f_i32(t, 1, 2);			/* scale without precision */
	end(t);
	end(t);
	end(t);
	meta_end(t, 0, 0);
	expect_error(t, "LogicalType DECIMAL lacks a required field", "decimal fields");

	memset(t, 0, sizeof *t);
	begin(t, 0);
	field(t, 2, LIST);
	listh(t, 2, I32);
	zigzag(t, 1);
	zigzag(t, 2);
	end(t);
	expect_error(t, "schema list holds Thrift type 5, not structs", "schema of ints");
	free(t);
}

/* A schema with no columns is valid; created_by keeps to one printable line. */
static void
test_edges(void)
{
	struct parquet_meta m;
	struct tb *t = calloc(1, sizeof *t);
	json_t *a;

	meta_begin(t, 1);
	element(t, "schema", -1, 0, 0, -1);
	f_i64(t, 3, INT64_MAX);
	field(t, 4, LIST);
	listh(t, 20, STRUCT);		/* more than 14 elements: the long list header */
	for (int i = 0; i < 20; i++) {
		begin(t, 0);
		field(t, 1, LIST);
		listh(t, 0, STRUCT);
		f_i64(t, 2, 0);
		f_i64(t, 3, 0);
		end(t);
	}
	f_bin(t, 6, "w\nx\xff\0", 5);
	end(t);
	T_CHECK(parse(t, &m) == 0, "edges: %s", err);
	T_CHECK(m.num_rows == INT64_MAX && m.row_groups == 20, "edges: rows, groups");
	T_STREQ(m.created_by, "w?x??");
	a = parquet_schema_json(&m);
	T_CHECK(a && json_is_array(a) && json_array_size(a) == 0, "edges: empty schema[]");
	json_decref(a);
	parquet_meta_free(&m);
	T_CHECK(m.cols == NULL && m.ncols == 0, "free clears");
	parquet_meta_free(&m);		/* a second free is harmless */
	free(t);
}

int
main(void)
{
	test_tail();
	test_minimal();
	test_skip_unknown();
	test_logical();
	test_schema_tree();
	test_schema_depth();
	test_hostile();
	test_edges();
	T_DONE();
}
