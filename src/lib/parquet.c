/*
 * parquet.c: decode a Parquet footer (FileMetaData in the Thrift compact protocol).
 *
 * The footer comes from the network, so it is treated as hostile: every read is bounded by
 * a cursor, every nesting level is counted, every count is checked against the bytes left
 * before anything is allocated for it, and unknown fields are skipped generically so that
 * files written by newer writers still decode.  The first error stops decoding; the message
 * names the byte offset in the footer or the column it is about.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"
#include "util.h"

/* Compact protocol type codes (the low nibble of a field header). */
enum {
	CT_STOP, CT_TRUE, CT_FALSE, CT_BYTE, CT_I16, CT_I32, CT_I64, CT_DOUBLE,
	CT_BINARY, CT_LIST, CT_SET, CT_MAP, CT_STRUCT, CT_UUID
};

/* ConvertedType values from parquet.thrift. */
enum {
	CV_UTF8, CV_MAP, CV_MAP_KEY_VALUE, CV_LIST, CV_ENUM, CV_DECIMAL, CV_DATE,
	CV_TIME_MILLIS, CV_TIME_MICROS, CV_TIMESTAMP_MILLIS, CV_TIMESTAMP_MICROS,
	CV_UINT_8, CV_UINT_16, CV_UINT_32, CV_UINT_64, CV_INT_8, CV_INT_16, CV_INT_32,
	CV_INT_64, CV_JSON, CV_BSON, CV_INTERVAL
};

struct cursor {
	const unsigned char *start, *p, *end;
	char *err;
	size_t errlen;
	int failed;
};

/* One SchemaElement as read, before its logical type is resolved and its place checked. */
struct element {
	int has_type, type;
	int32_t type_length;
	int repetition;
	const unsigned char *name;
	size_t namelen;
	int has_name;
	int32_t num_children;
	int converted;			/* -1 when absent */
	int32_t scale, precision, field_id;
	/* from the LogicalType union */
	int lt;				/* enum parquet_logical; PQL_NONE when absent or unknown */
	int32_t lt_scale, lt_precision;
	int lt_unit, lt_utc, lt_bits, lt_signed;
	unsigned lt_seen;		/* bit i: the member's field i was present */
};

struct metabuild {
	struct parquet_meta *m;
	struct element *el;
	size_t nel;
	int have_version, have_schema, have_rows, have_groups;
};

typedef int fieldfn(struct cursor *, void *, int id, int type, int depth);

static int fail(struct cursor *, const char *, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed && c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	c->failed = 1;
	return -1;
}

static size_t
offset(const struct cursor *c)
{
	return (size_t)(c->p - c->start);
}

static size_t
remaining(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

static int
truncated(struct cursor *c)
{
	return fail(c, "truncated Thrift data at byte %zu", offset(c));
}

static int
rd_byte(struct cursor *c, unsigned char *b)
{
	if (c->p >= c->end)
		return truncated(c);
	*b = *c->p++;
	return 0;
}

static int
rd_skipbytes(struct cursor *c, size_t n)
{
	if (n > remaining(c))
		return truncated(c);
	c->p += n;
	return 0;
}

/* ULEB128; a 64-bit value takes at most 10 bytes, the last carrying one bit. */
static int
rd_varint(struct cursor *c, uint64_t *v)
{
	size_t at = offset(c);
	unsigned char b = 0;
	int shift;

	*v = 0;
	for (shift = 0; shift < 70; shift += 7) {
		if (rd_byte(c, &b) < 0)
			return -1;
		if (shift == 63 && b > 1)
			break;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return fail(c, "malformed varint at byte %zu", at);
}

static int
rd_i64(struct cursor *c, int64_t *v)
{
	uint64_t u;

	if (rd_varint(c, &u) < 0)
		return -1;
	/* zigzag: 0,-1,1,-2 … are encoded as 0,1,2,3 … */
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

static int
rd_i32(struct cursor *c, int32_t *v)
{
	size_t at = offset(c);
	int64_t w;

	if (rd_i64(c, &w) < 0)
		return -1;
	if (w < INT32_MIN || w > INT32_MAX)
		return fail(c, "i32 out of range at byte %zu", at);
	*v = (int32_t)w;
	return 0;
}

static int
rd_binary(struct cursor *c, const unsigned char **s, size_t *len)
{
	uint64_t n;

	if (rd_varint(c, &n) < 0)
		return -1;
	if (n > remaining(c))
		return truncated(c);
	*s = c->p;
	*len = (size_t)n;
	c->p += n;
	return 0;
}

/*
 * A field header: the high nibble is the id's delta from the previous field of the same
 * struct, or 0 when a zigzag i16 id follows.  Booleans carry their value in the type.
 */
static int
rd_field(struct cursor *c, int *last, int *id, int *type)
{
	size_t at = offset(c);
	unsigned char b = 0;
	int64_t v;

	if (rd_byte(c, &b) < 0)
		return -1;
	*type = b & 0x0f;
	if (*type == CT_STOP)
		return 0;
	if (b >> 4) {
		v = (int64_t)*last + (b >> 4);
	} else if (rd_i64(c, &v) < 0) {
		return -1;
	}
	if (v < INT16_MIN || v > INT16_MAX)
		return fail(c, "Thrift field id out of range at byte %zu", at);
	*id = *last = (int)v;
	return 0;
}

/* A list or set header; every element takes at least one byte, which bounds the count. */
static int
rd_list(struct cursor *c, int *etype, size_t *n)
{
	size_t at = offset(c);
	unsigned char b = 0;
	uint64_t v;

	if (rd_byte(c, &b) < 0)
		return -1;
	*etype = b & 0x0f;
	v = b >> 4;
	if (v == 15 && rd_varint(c, &v) < 0)
		return -1;
	if (v > remaining(c))
		return fail(c, "list of %llu elements exceeds the %zu bytes left at byte %zu",
		    (unsigned long long)v, remaining(c), at);
	*n = (size_t)v;
	return 0;
}

static int skip_value(struct cursor *, int type, int depth, int inheader);

static int
check_depth(struct cursor *c, int depth)
{
	if (depth > PARQUET_MAX_DEPTH)
		return fail(c, "Thrift nesting deeper than %d at byte %zu",
		    PARQUET_MAX_DEPTH, offset(c));
	return 0;
}

/* Read a struct's fields, handing each to fn; fields fn declines (returns 1) are skipped. */
static int
read_struct(struct cursor *c, int depth, fieldfn *fn, void *arg)
{
	int last = 0, id = 0, type = 0, r;

	if (check_depth(c, depth) < 0)
		return -1;
	for (;;) {
		if (rd_field(c, &last, &id, &type) < 0)
			return -1;
		if (type == CT_STOP)
			return 0;
		r = fn ? fn(c, arg, id, type, depth + 1) : 1;
		if (r < 0)
			return -1;
		if (r > 0 && skip_value(c, type, depth + 1, 1) < 0)
			return -1;
	}
}

/* Skip one value of any type; inheader: a boolean's value was in its field header. */
static int
skip_value(struct cursor *c, int type, int depth, int inheader)
{
	size_t at = offset(c), n, i;
	int etype, ktype, vtype;
	const unsigned char *s;
	unsigned char b = 0;
	uint64_t v;

	switch (type) {
	case CT_TRUE:
	case CT_FALSE:
		return inheader ? 0 : rd_skipbytes(c, 1);
	case CT_BYTE:
		return rd_skipbytes(c, 1);
	case CT_I16:
	case CT_I32:
	case CT_I64:
		return rd_varint(c, &v);
	case CT_DOUBLE:
		return rd_skipbytes(c, 8);
	case CT_UUID:
		return rd_skipbytes(c, 16);
	case CT_BINARY:
		return rd_binary(c, &s, &n);
	case CT_LIST:
	case CT_SET:
		if (check_depth(c, depth) < 0 || rd_list(c, &etype, &n) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (skip_value(c, etype, depth + 1, 0) < 0)
				return -1;
		return 0;
	case CT_MAP:
		if (check_depth(c, depth) < 0 || rd_varint(c, &v) < 0)
			return -1;
		if (v == 0)
			return 0;
		/* each entry takes at least two bytes */
		if (v > remaining(c) / 2)
			return fail(c, "map of %llu entries exceeds the %zu bytes left at byte %zu",
			    (unsigned long long)v, remaining(c), at);
		if (rd_byte(c, &b) < 0)
			return -1;
		ktype = b >> 4;
		vtype = b & 0x0f;
		for (; v > 0; v--)
			if (skip_value(c, ktype, depth + 1, 0) < 0 ||
			    skip_value(c, vtype, depth + 1, 0) < 0)
				return -1;
		return 0;
	case CT_STRUCT:
		return read_struct(c, depth, NULL, NULL);
	default:
		return fail(c, "invalid Thrift type %d at byte %zu", type, at);
	}
}

static int
is_bool(int type)
{
	return type == CT_TRUE || type == CT_FALSE;
}

/* TimeUnit is a union of empty structs; the member's id is the unit. */
static int
timeunit_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	int *unit = arg;

	if (type != CT_STRUCT || id < 1 || id > 3)
		return 1;
	*unit = id == 1 ? PQU_MILLIS : id == 2 ? PQU_MICROS : PQU_NANOS;
	return read_struct(c, depth, NULL, NULL);
}

/* TimeType and TimestampType: 1 isAdjustedToUTC, 2 unit. */
static int
time_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	struct element *e = arg;

	if (id == 1 && is_bool(type)) {
		e->lt_seen |= 1u << 1;
		e->lt_utc = type == CT_TRUE;
		return 0;
	}
	if (id == 2 && type == CT_STRUCT) {
		e->lt_seen |= 1u << 2;
		return read_struct(c, depth, timeunit_field, &e->lt_unit);
	}
	return 1;
}

/* DecimalType: 1 scale, 2 precision. */
static int
decimal_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	struct element *e = arg;

	(void)depth;
	if (type != CT_I32 || (id != 1 && id != 2))
		return 1;
	e->lt_seen |= 1u << id;
	return rd_i32(c, id == 1 ? &e->lt_scale : &e->lt_precision);
}

/* IntType: 1 bitWidth (i8), 2 isSigned. */
static int
int_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	struct element *e = arg;
	unsigned char b = 0;

	(void)depth;
	if (id == 1 && type == CT_BYTE) {
		e->lt_seen |= 1u << 1;
		if (rd_byte(c, &b) < 0)
			return -1;
		e->lt_bits = (signed char)b;
		return 0;
	}
	if (id == 2 && is_bool(type)) {
		e->lt_seen |= 1u << 2;
		e->lt_signed = type == CT_TRUE;
		return 0;
	}
	return 1;
}

/*
 * The LogicalType union.  Members we do not know (ids past GEOGRAPHY, or future ones) are
 * skipped and leave lt at PQL_NONE, so the converted type, which writers keep setting for
 * compatibility, decides instead.
 */
static int
logical_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	static const int byid[] = {
		[1] = PQL_STRING, [2] = PQL_MAP, [3] = PQL_LIST, [4] = PQL_ENUM,
		[5] = PQL_DECIMAL, [6] = PQL_DATE, [7] = PQL_TIME, [8] = PQL_TIMESTAMP,
		[10] = PQL_INTEGER, [11] = PQL_UNKNOWN, [12] = PQL_JSON, [13] = PQL_BSON,
		[14] = PQL_UUID, [15] = PQL_FLOAT16, [16] = PQL_VARIANT, [17] = PQL_GEOMETRY,
		[18] = PQL_GEOGRAPHY,
	};
	struct element *e = arg;
	fieldfn *fn = NULL;
	size_t at = offset(c);

	if (type != CT_STRUCT || id < 1 || id >= (int)(sizeof byid / sizeof byid[0]) ||
	    byid[id] == PQL_NONE)
		return 1;
	e->lt = byid[id];
	if (e->lt == PQL_DECIMAL)
		fn = decimal_field;
	else if (e->lt == PQL_TIME || e->lt == PQL_TIMESTAMP)
		fn = time_field;
	else if (e->lt == PQL_INTEGER)
		fn = int_field;
	e->lt_seen = 0;
	if (read_struct(c, depth, fn, e) < 0)
		return -1;
	/* all three carry two required fields; Thrift readers refuse them without */
	if (fn && e->lt_seen != (1u << 1 | 1u << 2))
		return fail(c, "LogicalType %s lacks a required field at byte %zu",
		    parquet_logical_name(e->lt), at);
	return 0;
}

static int
element_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	struct element *e = arg;
	int32_t v;

	if (id == 4 && type == CT_BINARY) {
		e->has_name = 1;
		return rd_binary(c, &e->name, &e->namelen);
	}
	if (id == 10 && type == CT_STRUCT)
		return read_struct(c, depth, logical_field, e);
	if (id < 1 || id > 9 || id == 4 || type != CT_I32)
		return 1;
	if (rd_i32(c, &v) < 0)
		return -1;
	switch (id) {
	case 1: e->has_type = 1; e->type = v; break;
	case 2: e->type_length = v; break;
	case 3: e->repetition = v; break;
	case 5: e->num_children = v; break;
	case 6: e->converted = v; break;
	case 7: e->scale = v; break;
	case 8: e->precision = v; break;
	case 9: e->field_id = v; break;
	}
	return 0;
}

static void
element_init(struct element *e)
{
	memset(e, 0, sizeof *e);
	e->type_length = e->scale = e->precision = e->field_id = -1;
	e->repetition = e->converted = -1;
	e->lt_scale = e->lt_precision = -1;
	e->lt_utc = e->lt_bits = e->lt_signed = -1;
}

/* The schema list; the array grows as elements really decode, never from the claimed count. */
static int
read_schema(struct cursor *c, struct metabuild *mb, int depth)
{
	size_t n, i, cap = 0;
	int etype;

	if (rd_list(c, &etype, &n) < 0)
		return -1;
	if (etype != CT_STRUCT)
		return fail(c, "schema list holds Thrift type %d, not structs", etype);
	for (i = 0; i < n; i++) {
		if (mb->nel == cap) {
			cap = cap ? cap * 2 : 16;
			mb->el = erealloc(mb->el, cap * sizeof *mb->el);
		}
		element_init(&mb->el[mb->nel]);
		if (read_struct(c, depth, element_field, &mb->el[mb->nel]) < 0)
			return -1;
		if (!mb->el[mb->nel].has_name)
			return fail(c, "schema element %zu has no name", mb->nel);
		mb->nel++;
	}
	return 0;
}

/*
 * The structs we do not report on are still checked for their required fields, as the
 * Thrift code of parquet-cpp and parquet-mr checks them, so that a footer those readers
 * refuse is refused here too.  A shape lists, by field id, the type of each required field
 * (CT_STOP: not required; CT_TRUE: a bool) and the shape of any struct field (sub) or list of
 * structs field (list) below it; everything else is skipped.
 */
#define SHAPE_IDS 16
struct shape {
	const char *name;
	unsigned char required[SHAPE_IDS];
	const struct shape *sub[SHAPE_IDS];
	const struct shape *list[SHAPE_IDS];
};

static const struct shape key_value_shape = { "KeyValue", { [1] = CT_BINARY }, { 0 }, { 0 } };
static const struct shape page_stats_shape = {
	"PageEncodingStats", { [1] = CT_I32, [2] = CT_I32, [3] = CT_I32 }, { 0 }, { 0 }
};
static const struct shape column_meta_shape = {
	"ColumnMetaData",
	{ [1] = CT_I32, [2] = CT_LIST, [3] = CT_LIST, [4] = CT_I32, [5] = CT_I64, [6] = CT_I64,
	  [7] = CT_I64, [9] = CT_I64 },
	{ 0 }, { [8] = &key_value_shape, [13] = &page_stats_shape }
};
static const struct shape column_chunk_shape = {
	"ColumnChunk", { [2] = CT_I64 }, { [3] = &column_meta_shape }, { 0 }
};
static const struct shape sorting_shape = {
	"SortingColumn", { [1] = CT_I32, [2] = CT_TRUE, [3] = CT_TRUE }, { 0 }, { 0 }
};
static const struct shape row_group_shape = {
	"RowGroup", { [1] = CT_LIST, [2] = CT_I64, [3] = CT_I64 }, { 0 },
	{ [1] = &column_chunk_shape, [4] = &sorting_shape }
};

struct shaped {
	const struct shape *shape;
	unsigned seen;
};

static int read_shaped(struct cursor *, int depth, const struct shape *);

/* A list whose elements must be structs of the given shape; *count gets its length. */
static int
read_shaped_list(struct cursor *c, int depth, const struct shape *shape, size_t *count)
{
	size_t n, i;
	int etype;

	if (check_depth(c, depth) < 0 || rd_list(c, &etype, &n) < 0)
		return -1;
	if (etype != CT_STRUCT)
		return fail(c, "list of %s holds Thrift type %d, not structs", shape->name, etype);
	for (i = 0; i < n; i++)
		if (read_shaped(c, depth + 1, shape) < 0)
			return -1;
	if (count)
		*count = n;
	return 0;
}

static int
shaped_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	struct shaped *s = arg;
	int want;

	if (id <= 0 || id >= SHAPE_IDS)
		return 1;
	want = s->shape->required[id];
	if (want != CT_STOP && (want == type || (want == CT_TRUE && is_bool(type))))
		s->seen |= 1u << id;
	if (s->shape->sub[id] && type == CT_STRUCT)
		return read_shaped(c, depth, s->shape->sub[id]);
	if (s->shape->list[id] && type == CT_LIST)
		return read_shaped_list(c, depth, s->shape->list[id], NULL);
	return 1;
}

static int
read_shaped(struct cursor *c, int depth, const struct shape *shape)
{
	struct shaped s = { shape, 0 };
	size_t at = offset(c);
	unsigned want = 0;
	int i;

	if (read_struct(c, depth, shaped_field, &s) < 0)
		return -1;
	for (i = 1; i < SHAPE_IDS; i++)
		if (shape->required[i] != CT_STOP)
			want |= 1u << i;
	if (s.seen != want)
		return fail(c, "%s lacks a required field at byte %zu", shape->name, at);
	return 0;
}

/* Valid UTF-8 without NUL: what a column name must be to reach JSON and SQL intact. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2; cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3; cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4; cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* reject overlong forms, surrogates and values past U+10FFFF */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* created_by is informational: keep it printable on one line rather than reject the file. */
static char *
sanitized(const unsigned char *s, size_t n)
{
	char *out = emalloc(n + 1);
	int utf8 = utf8_ok(s, n);
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = s[i] < 0x20 || s[i] == 0x7f || (s[i] >= 0x80 && !utf8) ? '?' : (char)s[i];
	out[n] = '\0';
	return out;
}

static int
filemeta_field(struct cursor *c, void *arg, int id, int type, int depth)
{
	struct metabuild *mb = arg;
	const unsigned char *s;
	int32_t v;
	size_t n;

	switch (id) {
	case 1:
		if (type != CT_I32)
			return 1;
		mb->have_version = 1;
		if (rd_i32(c, &v) < 0)
			return -1;
		mb->m->version = v;
		return 0;
	case 2:
		if (type != CT_LIST)
			return 1;
		if (mb->have_schema)
			return fail(c, "FileMetaData holds two schemas");
		mb->have_schema = 1;
		return read_schema(c, mb, depth);
	case 3:
		if (type != CT_I64)
			return 1;
		mb->have_rows = 1;
		return rd_i64(c, &mb->m->num_rows);
	case 4:
		if (type != CT_LIST)
			return 1;
		mb->have_groups = 1;
		/* row groups are only counted: rows come from num_rows */
		if (read_shaped_list(c, depth, &row_group_shape, &n) < 0)
			return -1;
		mb->m->row_groups = (int64_t)n;
		return 0;
	case 5:
		if (type != CT_LIST)
			return 1;
		return read_shaped_list(c, depth, &key_value_shape, NULL);
	case 6:
		if (type != CT_BINARY)
			return 1;
		if (rd_binary(c, &s, &n) < 0)
			return -1;
		free(mb->m->created_by);
		mb->m->created_by = sanitized(s, n);
		return 0;
	}
	return 1;
}

/* Fill a column's logical fields from logicalType, else from the legacy converted_type. */
static void
resolve_logical(const struct element *e, struct parquet_column *col)
{
	col->logical = PQL_NONE;
	col->precision = col->scale = -1;
	col->unit = PQU_NONE;
	col->utc = col->bits = col->is_signed = -1;
	if (e->lt != PQL_NONE) {
		col->logical = e->lt;
		switch (e->lt) {
		case PQL_DECIMAL:
			col->precision = e->lt_precision;
			col->scale = e->lt_scale;
			break;
		case PQL_TIME:
		case PQL_TIMESTAMP:
			col->unit = e->lt_unit;
			col->utc = e->lt_utc;
			break;
		case PQL_INTEGER:
			col->bits = e->lt_bits;
			col->is_signed = e->lt_signed;
			break;
		}
		return;
	}
	switch (e->converted) {
	case CV_UTF8: col->logical = PQL_STRING; break;
	case CV_MAP:
	case CV_MAP_KEY_VALUE: col->logical = PQL_MAP; break;
	case CV_LIST: col->logical = PQL_LIST; break;
	case CV_ENUM: col->logical = PQL_ENUM; break;
	case CV_DECIMAL:
		col->logical = PQL_DECIMAL;
		col->precision = e->precision;
		col->scale = e->scale;
		break;
	case CV_DATE: col->logical = PQL_DATE; break;
	/* the legacy time types are defined as adjusted to UTC */
	case CV_TIME_MILLIS:
	case CV_TIME_MICROS:
		col->logical = PQL_TIME;
		col->unit = e->converted == CV_TIME_MILLIS ? PQU_MILLIS : PQU_MICROS;
		col->utc = 1;
		break;
	case CV_TIMESTAMP_MILLIS:
	case CV_TIMESTAMP_MICROS:
		col->logical = PQL_TIMESTAMP;
		col->unit = e->converted == CV_TIMESTAMP_MILLIS ? PQU_MILLIS : PQU_MICROS;
		col->utc = 1;
		break;
	case CV_UINT_8: case CV_UINT_16: case CV_UINT_32: case CV_UINT_64:
		col->logical = PQL_INTEGER;
		col->bits = 8 << (e->converted - CV_UINT_8);
		col->is_signed = 0;
		break;
	case CV_INT_8: case CV_INT_16: case CV_INT_32: case CV_INT_64:
		col->logical = PQL_INTEGER;
		col->bits = 8 << (e->converted - CV_INT_8);
		col->is_signed = 1;
		break;
	case CV_JSON: col->logical = PQL_JSON; break;
	case CV_BSON: col->logical = PQL_BSON; break;
	case CV_INTERVAL: col->logical = PQL_INTERVAL; break;
	}
}

/* parquet-cpp's rule: a leaf has a type and no children; anything else is a group. */
static int
is_group(const struct element *e)
{
	return !(e->num_children == 0 && e->has_type);
}

/*
 * A column name as a diagnostic shows it: names may hold any character, but a message must
 * stay one short line, so control characters become '?' and long names are cut, at a UTF-8
 * character boundary, with "...".
 */
struct diagname {
	char s[68];
};

static const char *
diagname(struct diagname *d, const char *name)
{
	size_t i, n = strlen(name), max = sizeof d->s - 4;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		d->s[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	strcpy(d->s + n, n < strlen(name) ? "..." : "");
	return d->s;
}

/* Turn one element into a column; the name is checked here because JSON and SQL need it. */
static int
build_column(struct cursor *c, const struct element *e, size_t idx, int depth,
    struct parquet_column *col)
{
	struct diagname d;

	if (!utf8_ok(e->name, e->namelen))
		return fail(c, "schema element %zu: name is not valid UTF-8", idx);
	col->name = estrndup((const char *)e->name, e->namelen);
	col->depth = depth;
	col->field_id = e->field_id;
	col->length = -1;
	if (e->repetition < -1 || e->repetition > 2)
		return fail(c, "unknown repetition type %d at column '%s'", e->repetition,
		    diagname(&d, col->name));
	col->repetition = e->repetition;
	resolve_logical(e, col);
	if (is_group(e)) {
		col->physical = PQ_GROUP;
		col->nchildren = e->num_children;
		return 0;
	}
	if (e->type < PQ_BOOLEAN || e->type > PQ_FIXED_LEN_BYTE_ARRAY)
		return fail(c, "unknown physical type %d at column '%s'", e->type,
		    diagname(&d, col->name));
	col->physical = e->type;
	if (col->physical == PQ_FIXED_LEN_BYTE_ARRAY) {
		if (e->type_length < 0)
			return fail(c, "FIXED_LEN_BYTE_ARRAY without a length at column '%s'",
			    diagname(&d, col->name));
		col->length = e->type_length;
	}
	return 0;
}

/*
 * The schema is the tree flattened depth first, each group followed by its num_children
 * subtrees; check that the counts describe exactly the list, no more, no less, and no deeper
 * than PARQUET_MAX_DEPTH, so that later walks over cols[] need no checks of their own.
 */
static int
build_schema(struct cursor *c, struct metabuild *mb)
{
	struct { size_t idx; int32_t left; } stack[PARQUET_MAX_DEPTH + 1];
	const struct element *root, *e;
	struct parquet_meta *m = mb->m;
	struct diagname d;
	size_t i, sp;

	if (mb->nel == 0)
		return fail(c, "empty schema");
	root = &mb->el[0];
	if (root->num_children < 0 || !is_group(root))
		return fail(c, "schema root is not a group");
	if ((size_t)root->num_children > mb->nel - 1)
		return fail(c, "schema tree inconsistent: num_children %d at the root exceeds "
		    "remaining %zu elements", (int)root->num_children, mb->nel - 1);
	m->ntop = (size_t)root->num_children;
	m->cols = ecalloc(mb->nel - 1 ? mb->nel - 1 : 1, sizeof *m->cols);
	stack[0].idx = 0;
	stack[0].left = root->num_children;
	sp = 1;
	for (i = 1; i < mb->nel; i++) {
		e = &mb->el[i];
		while (sp > 0 && stack[sp - 1].left == 0)
			sp--;
		if (sp == 0)
			return fail(c, "schema tree inconsistent: %zu elements after the last "
			    "top-level column", mb->nel - i);
		stack[sp - 1].left--;
		if (e->num_children < 0)
			return fail(c, "negative num_children at schema element %zu", i);
		if (build_column(c, e, i, (int)sp - 1, &m->cols[m->ncols++]) < 0)
			return -1;
		if (!is_group(e))
			continue;
		if ((size_t)e->num_children > mb->nel - 1 - i)
			return fail(c, "schema tree inconsistent: num_children %d at column '%s' "
			    "exceeds remaining %zu elements", (int)e->num_children,
			    diagname(&d, m->cols[m->ncols - 1].name), mb->nel - 1 - i);
		if (sp > PARQUET_MAX_DEPTH)
			return fail(c, "schema nested deeper than %d at column '%s'",
			    PARQUET_MAX_DEPTH, diagname(&d, m->cols[m->ncols - 1].name));
		stack[sp].idx = i;
		stack[sp].left = e->num_children;
		sp++;
	}
	while (sp > 0 && stack[sp - 1].left == 0)
		sp--;
	if (sp > 0) {
		if (stack[sp - 1].idx == 0)
			return fail(c, "schema tree inconsistent: root has %d children, the list "
			    "ends after %d", (int)root->num_children,
			    (int)(root->num_children - stack[sp - 1].left));
		e = &mb->el[stack[sp - 1].idx];
		return fail(c, "schema tree inconsistent: num_children %d at column '%s' "
		    "exceeds remaining %d elements", (int)e->num_children,
		    diagname(&d, m->cols[stack[sp - 1].idx - 1].name),
		    (int)(e->num_children - stack[sp - 1].left));
	}
	return 0;
}

int
parquet_meta_parse(const unsigned char *footer, size_t len, struct parquet_meta *m,
    char *err, size_t errlen)
{
	struct cursor c = { footer, footer, footer + len, err, errlen, 0 };
	struct metabuild mb = { 0 };
	int r = -1;

	memset(m, 0, sizeof *m);
	mb.m = m;
	if (read_struct(&c, 0, filemeta_field, &mb) < 0)
		goto out;
	/*
	 * Bytes after FileMetaData are not an error: a plaintext footer of an encrypted file
	 * carries its signature there, and parquet-cpp ignores them too.
	 */
	if (!mb.have_version || !mb.have_schema || !mb.have_rows || !mb.have_groups) {
		fail(&c, "FileMetaData lacks required field %s", !mb.have_version ? "version" :
		    !mb.have_schema ? "schema" : !mb.have_rows ? "num_rows" : "row_groups");
		goto out;
	}
	if (m->num_rows < 0) {
		fail(&c, "negative num_rows %lld", (long long)m->num_rows);
		goto out;
	}
	r = build_schema(&c, &mb);
out:
	free(mb.el);
	if (r < 0)
		parquet_meta_free(m);
	return r;
}

void
parquet_meta_free(struct parquet_meta *m)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		free(m->cols[i].name);
	free(m->cols);
	free(m->created_by);
	memset(m, 0, sizeof *m);
}

int
parquet_tail(const unsigned char tail[PARQUET_TAIL_LEN], uint64_t filesize,
    uint32_t *footer_len, char *err, size_t errlen)
{
	struct cursor c = { tail, tail, tail, err, errlen, 0 };
	uint32_t n;

	/* header magic, footer, length and trailing magic: 4 + 0 + 4 + 4 at the least */
	if (filesize < 12)
		return fail(&c, "too short for a Parquet file (%llu bytes)",
		    (unsigned long long)filesize);
	if (memcmp(tail + 4, "PARE", 4) == 0)
		return fail(&c, "encrypted footer not supported");
	if (memcmp(tail + 4, "PAR1", 4) != 0)
		return fail(&c, "not a Parquet file (no PAR1 magic at the end)");
	n = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
	    (uint32_t)tail[3] << 24;
	if (n == 0)
		return fail(&c, "footer length is 0");
	if ((uint64_t)n > filesize - 12)
		return fail(&c, "footer length %lu exceeds the file's %llu bytes",
		    (unsigned long)n, (unsigned long long)filesize);
	*footer_len = n;
	return 0;
}

const char *
parquet_physical_name(int t)
{
	static const char *names[] = {
		"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
		"FIXED_LEN_BYTE_ARRAY"
	};

	if (t == PQ_GROUP)
		return "GROUP";
	return t >= 0 && t < (int)(sizeof names / sizeof names[0]) ? names[t] : NULL;
}

const char *
parquet_logical_name(int t)
{
	static const char *names[] = {
		[PQL_STRING] = "STRING", [PQL_MAP] = "MAP", [PQL_LIST] = "LIST",
		[PQL_ENUM] = "ENUM", [PQL_DECIMAL] = "DECIMAL", [PQL_DATE] = "DATE",
		[PQL_TIME] = "TIME", [PQL_TIMESTAMP] = "TIMESTAMP", [PQL_INTEGER] = "INTEGER",
		[PQL_UNKNOWN] = "UNKNOWN", [PQL_JSON] = "JSON", [PQL_BSON] = "BSON",
		[PQL_UUID] = "UUID", [PQL_FLOAT16] = "FLOAT16", [PQL_VARIANT] = "VARIANT",
		[PQL_GEOMETRY] = "GEOMETRY", [PQL_GEOGRAPHY] = "GEOGRAPHY",
		[PQL_INTERVAL] = "INTERVAL",
	};

	return t > 0 && t < (int)(sizeof names / sizeof names[0]) ? names[t] : NULL;
}

const char *
parquet_unit_name(int u)
{
	return u == PQU_MILLIS ? "MILLIS" : u == PQU_MICROS ? "MICROS" :
	    u == PQU_NANOS ? "NANOS" : NULL;
}

const char *
parquet_repetition_name(int r)
{
	return r == 0 ? "REQUIRED" : r == 1 ? "OPTIONAL" : r == 2 ? "REPEATED" : NULL;
}

/* json_string(NULL) is NULL, which json_object_set_new turns into an error: use null. */
static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
set(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

/* One column and, for a group, its subtree; *i moves past everything consumed. */
static json_t *
column_json(const struct parquet_meta *m, size_t *i)
{
	const struct parquet_column *col = &m->cols[(*i)++];
	json_t *o = json_object(), *fields, *f;
	int k, bad = !o;

	if (bad)
		return NULL;
	bad |= set(o, "name", json_string(col->name));
	bad |= set(o, "physical", str_or_null(parquet_physical_name(col->physical)));
	bad |= set(o, "logical", str_or_null(parquet_logical_name(col->logical)));
	bad |= set(o, "repetition", str_or_null(parquet_repetition_name(col->repetition)));
	if (col->logical == PQL_DECIMAL) {
		bad |= set(o, "precision", json_integer(col->precision));
		bad |= set(o, "scale", json_integer(col->scale));
	}
	if (col->logical == PQL_TIME || col->logical == PQL_TIMESTAMP) {
		bad |= set(o, "unit", str_or_null(parquet_unit_name(col->unit)));
		bad |= set(o, "utc", col->utc < 0 ? json_null() : json_boolean(col->utc));
	}
	if (col->logical == PQL_INTEGER) {
		bad |= set(o, "bits", json_integer(col->bits));
		bad |= set(o, "signed", col->is_signed < 0 ? json_null() :
		    json_boolean(col->is_signed));
	}
	if (col->physical == PQ_FIXED_LEN_BYTE_ARRAY)
		bad |= set(o, "length", json_integer(col->length));
	if (col->physical == PQ_GROUP) {
		bad |= set(o, "fields", fields = json_array());
		for (k = 0; !bad && k < col->nchildren && *i < m->ncols; k++) {
			f = column_json(m, i);
			bad |= !f || json_array_append_new(fields, f) < 0;
		}
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
parquet_schema_json(const struct parquet_meta *m)
{
	json_t *a = json_array(), *o;
	size_t i = 0, k;

	for (k = 0; a && k < m->ntop && i < m->ncols; k++) {
		if (!(o = column_json(m, &i)) || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
