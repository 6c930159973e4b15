/* s3-ls-parquet: list the Parquet data files under an S3 prefix, with what their footers say. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "parquet.h"
#include "s3.h"

#define FIRST_READ (64 * 1024)	/* one ranged GET usually holds the tail and the whole footer */

struct file {
	const struct s3_object *obj;
	char *url;		/* the request URL */
	char *what;		/* s3://bucket/key, for diagnostics */
	unsigned char *tail;	/* the bytes read from the end of the object */
	size_t taillen;
	json_t *footer;		/* rows, row_groups, created_by, schema: set when read */
	char *err;
	int rc;
};

static struct s3 *s3;
static const char *bucket;
static int status;
static long long band_min = 100LL << 20, band_max = 250LL << 20;

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-aFv] [-j jobs] [-s min-max] s3://bucket/prefix\n", argv0);
	exit(EX_USAGE);
}

/* Spark, Hadoop and Databricks leave markers, checksums and logs beside the data files. Hidden
 * as Spark's file index hides them: a path segment (of the key from skip, the prefix's last '/')
 * beginning with '.', or with '_' unless it holds '=' (a k=v partition directory); and Hadoop's
 * .crc checksums and "folder/" placeholders. s3-ls-parquet(1) states this rule: keep them alike. */
static int
is_data_file(const struct s3_object *o, size_t skip)
{
	const char *seg = o->key + skip, *end;
	size_t n = strlen(o->key);

	if (n == 0 || o->key[n - 1] == '/')
		return 0;
	for (; *seg; seg = *end ? end + 1 : end) {
		end = strchr(seg, '/');
		if (!end)
			end = seg + strlen(seg);
		if (seg[0] == '.' || (seg[0] == '_' && !memchr(seg, '=', (size_t)(end - seg))))
			return 0;
	}
	return !(n >= 4 && strcmp(o->key + n - 4, ".crc") == 0);
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Hive-style k=v directory names; Hive escapes special characters in values as %XX. */
static json_t *
partition_of(const char *key)
{
	json_t *p = json_object();
	const char *seg = key, *slash, *eq;

	while ((slash = strchr(seg, '/'))) {
		eq = memchr(seg, '=', (size_t)(slash - seg));
		if (eq && eq > seg) {
			char *k = estrndup(seg, (size_t)(eq - seg));
			struct buf v = {0};
			const char *c;

			buf_add(&v, NULL, 0);
			for (c = eq + 1; c < slash; c++) {
				if (*c == '%' && c + 2 < slash && isxdigit((unsigned char)c[1]) &&
				    isxdigit((unsigned char)c[2])) {
					char ch = (char)(hexval((unsigned char)c[1]) * 16 + hexval((unsigned char)c[2]));

					buf_add(&v, &ch, 1);
					c += 2;
				} else {
					buf_add(&v, c, 1);
				}
			}
			json_object_set_new(p, k, json_stringn(v.p, v.len));
			free(k);
			buf_free(&v);
		}
		seg = slash + 1;
	}
	return p;
}

/* Records why a file could not be read; msg already names the file when named is set. */
static void
file_fail(struct file *f, int rc, const char *msg, int named)
{
	if (f->err)
		return;
	f->rc = rc;
	f->err = named ? estrdup(msg) : esprintf("s3://%s/%s: %s", bucket, f->obj->key, msg);
}

static void read_range(struct file *, long long from, long long to);

static void
footer_parse(struct file *f, const unsigned char *p, size_t len)
{
	struct parquet_meta m;
	char err[256];
	json_t *o;

	if (parquet_meta_parse(p, len, &m, err, sizeof err) != 0) {
		file_fail(f, EX_DATAERR, err, 0);
		return;
	}
	o = json_object();
	json_object_set_new(o, "rows", jsonl_int(m.num_rows));
	json_object_set_new(o, "row_groups", jsonl_int(m.row_groups));
	json_object_set_new(o, "created_by", m.created_by ? json_string(m.created_by) : json_null());
	json_object_set_new(o, "schema", parquet_schema_json(&m));
	parquet_meta_free(&m);
	f->footer = o;
}

static void
on_range(int rc, struct http_resp *r, void *arg)
{
	struct file *f = arg;
	char err[512];
	uint32_t flen;
	long long size = f->obj->size;

	if (rc) {
		file_fail(f, rc, r->err, 1);
		return;
	}
	if (r->status != 206 && r->status != 200) {
		char *what = esprintf("s3://%s/%s", bucket, f->obj->key);

		file_fail(f, s3_error(r, what, err, sizeof err), err, 1);
		free(what);
		return;
	}
	if (!f->tail) {		/* the first read, from the end of the object */
		size_t want = size < FIRST_READ ? (size_t)size : FIRST_READ;

		/* A server that ignores Range sends the whole object (200): use its end. */
		if (r->body.len < want || (r->status == 206 && r->body.len != want)) {
			snprintf(err, sizeof err, "short read: %zu of %zu bytes", r->body.len, want);
			file_fail(f, EX_PROTOCOL, err, 0);
			return;
		}
		f->taillen = want;
		f->tail = emalloc(want);
		memcpy(f->tail, r->body.p + r->body.len - want, want);
		if (parquet_tail(f->tail + want - PARQUET_TAIL_LEN, (uint64_t)size, &flen, err, sizeof err)) {
			file_fail(f, EX_DATAERR, err, 0);
			return;
		}
		if ((size_t)flen + PARQUET_TAIL_LEN <= want) {
			footer_parse(f, f->tail + want - PARQUET_TAIL_LEN - flen, flen);
			return;
		}
		/* A footer larger than the first read (very wide tables): fetch exactly it. */
		read_range(f, size - PARQUET_TAIL_LEN - flen, size - PARQUET_TAIL_LEN - 1);
		return;
	}
	footer_parse(f, (const unsigned char *)r->body.p, r->body.len);
}

static struct http_pool *pool;

static void
read_range(struct file *f, long long from, long long to)
{
	struct http_req q = {0};
	struct curl_slist *range;
	char hdr[96];

	snprintf(hdr, sizeof hdr, "Range: bytes=%lld-%lld", from, to);
	q.what = f->what;
	range = curl_slist_append(NULL, hdr);
	q.method = "GET";
	q.url = f->url;
	q.idempotent = 1;
	q.headers = s3_sign(s3, "GET", f->url, range, "", 0);
	http_headers_free(range);
	http_pool_add(pool, &q, on_range, f);
}

static const char *
size_band(long long size)
{
	return size < band_min ? "small" : size > band_max ? "large" : "ok";
}

static void
emit(const struct file *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "url", json_string(f->what));
	json_object_set_new(o, "bucket", json_string(bucket));
	json_object_set_new(o, "key", json_string(f->obj->key));
	json_object_set_new(o, "size", jsonl_int(f->obj->size));
	json_object_set_new(o, "etag", f->obj->etag ? json_string(f->obj->etag) : json_null());
	json_object_set_new(o, "last_modified",
	    f->obj->last_modified ? json_string(f->obj->last_modified) : json_null());
	json_object_set_new(o, "partition", partition_of(f->obj->key));
	if (f->footer)
		json_object_update(o, f->footer);
	json_object_set_new(o, "size_band", json_string(size_band(f->obj->size)));
	jsonl_print(o);
	json_decref(o);
}

int
main(int argc, char *argv[])
{
	struct s3 conn;
	struct s3_page pg;
	char *prefix, *token = NULL, err[512], *end;
	const char *rest, *why = NULL;
	int footers = 1, all = 0, jobs = 16, c, rc;
	size_t i, nfiles = 0, pages = 0, hidden_from;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "Fahj:s:v")) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			footers = 0;
			break;
		case 'F':
			footers = 0;
			break;
		case 'j':
			jobs = (int)strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 256)
				die(EX_USAGE, "-j %s: not a number from 1 to 256", optarg);
			break;
		case 's':
			if (size_parse(optarg, &band_min, &rest, &why) != 0 || *rest != '-' ||
			    size_parse(rest + 1, &band_max, NULL, &why) != 0 || band_min > band_max)
				die(EX_USAGE, "-s %s: %s%snot a size band such as 100M-250M", optarg,
				    why ? why : "", why ? ": " : "");
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	{
		char *b;

		if (s3_url_parse(argv[optind], &b, &prefix) != 0)
			die(EX_USAGE, "%s: not an s3://bucket/prefix URL", argv[optind]);
		bucket = b;
	}
	/* The prefix names a directory or a name's beginning; hiding applies below its last '/'. */
	hidden_from = strrchr(prefix, '/') ? (size_t)(strrchr(prefix, '/') - prefix) + 1 : 0;
	http_init();
	if ((rc = s3_open(&conn, err, sizeof err)) != 0)
		die(rc, "%s", err);
	s3 = &conn;
	pool = http_pool_new(jobs);
	do {
		struct file *files;

		if ((rc = s3_list_page(s3, bucket, prefix, token, &pg, err, sizeof err)) != 0)
			die(rc, "%s", err);
		free(token);
		token = pg.next_token ? estrdup(pg.next_token) : NULL;
		pages++;
		files = ecalloc(pg.n, sizeof *files);
		for (i = 0; i < pg.n; i++) {
			struct file *f = &files[i];

			f->obj = &pg.obj[i];
			if (!all && !is_data_file(f->obj, hidden_from))
				continue;
			f->what = esprintf("s3://%s/%s", bucket, f->obj->key);
			if (!footers)
				continue;
			f->url = s3_request_url(s3, bucket, f->obj->key, NULL);
			if (f->obj->size < 12) {
				snprintf(err, sizeof err, "not a Parquet file: only %lld bytes", f->obj->size);
				file_fail(f, EX_DATAERR, err, 0);
				continue;
			}
			read_range(f, f->obj->size - (f->obj->size < FIRST_READ ? f->obj->size : FIRST_READ),
			    f->obj->size - 1);
		}
		http_pool_run(pool);
		for (i = 0; i < pg.n; i++) {
			struct file *f = &files[i];

			if (!all && !is_data_file(f->obj, hidden_from))
				continue;
			nfiles++;
			if (f->err) {
				warnmsg("%s", f->err);
				if (!status)
					status = f->rc;
			} else {
				emit(f);
			}
			json_decref(f->footer);
			free(f->tail);
			free(f->url);
			free(f->what);
			free(f->err);
		}
		if (fflush(stdout) == EOF)
			stdout_fail();
		free(files);
		progress("s3://%s/%s: %zu data files in %zu pages", bucket, prefix, nfiles, pages);
		s3_page_free(&pg);
	} while (token);
	http_pool_free(pool);
	s3_close(&conn);
	if (!nfiles)
		die(EX_NOINPUT, "s3://%s/%s: no %s", bucket, prefix, all ? "objects" : "Parquet data files");
	free(prefix);
	stdout_close();
	return status;
}
