/* s3-ls-parquet: list the Parquet data files under an S3 prefix, with what their footers say. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "parquet.h"
#include "s3.h"

/* The first ranged GET: the 8-byte tail and, for most files, the whole footer (a few KiB). A
 * larger footer is completed by one more GET of exactly the bytes still missing. At most
 * 2 x jobs reads are under way, each holding one first read. */
#define FIRST_READ	(16 * 1024)

struct page;

struct file {
	const struct s3_object *obj;
	struct page *pg;
	char *url;		/* the request URL */
	char *what;		/* s3://bucket/key, for diagnostics */
	unsigned char *head;	/* a large footer's bytes from the first read, until the rest comes */
	size_t headlen;
	uint32_t flen;		/* its length */
	size_t want;		/* the first read's length */
	int read;		/* its footer is to be read */
	char *line;		/* the output line, made once the footer is parsed */
	char *err;
	int rc;
	int done;		/* ready to print */
};

/* One listing page and its files; the next page is listed while this one's footers are read. */
struct page {
	struct s3_page list;
	struct file *files;
	size_t left;		/* files whose footer read has not finished */
	size_t printed;		/* files printed (or skipped), in listing order */
	size_t next;		/* the next file whose footer read may start */
	int inflight;		/* footer reads started and not finished */
	int listed, rc;		/* the listing arrived; its outcome */
	char *err;
};

static struct s3 *s3;
static const char *bucket;
static int status;
static size_t nfiles;		/* data files printed or reported */
static int jobs = 16;
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

static void read_range(struct file *, long long from, long long to, int ahead);
static void page_print(struct page *);
static void page_feed(struct page *);
static char *line_dup(const struct file *, const struct parquet_meta *);

static void
footer_parse(struct file *f, const unsigned char *p, size_t len)
{
	struct parquet_meta m;
	char err[256];

	if (parquet_meta_parse(p, len, &m, err, sizeof err) != 0) {
		file_fail(f, EX_DATAERR, err, 0);
		return;
	}
	f->line = line_dup(f, &m);
	parquet_meta_free(&m);
}

/* Takes one ranged GET's answer; 1 when another read of the file was sent. */
static int
range_take(struct file *f, int rc, struct http_resp *r)
{
	char err[512];
	uint32_t flen;
	long long size = f->obj->size;
	const unsigned char *end = (const unsigned char *)r->body.p + r->body.len;

	if (rc) {
		file_fail(f, rc, r->err, 1);
		return 0;
	}
	if (r->status != 206 && r->status != 200) {
		file_fail(f, s3_error(r, f->what, err, sizeof err), err, 1);
		return 0;
	}
	if (!f->head) {		/* the first read, from the end of the object */
		size_t want = f->want, have;

		/* A server that ignores Range sends the whole object (200): use its end. */
		if (r->body.len < want || (r->status == 206 && r->body.len != want)) {
			snprintf(err, sizeof err, "short read: %zu of %zu bytes", r->body.len, want);
			file_fail(f, EX_PROTOCOL, err, 0);
			return 0;
		}
		have = r->status == 200 ? r->body.len : want;
		if (parquet_tail(end - PARQUET_TAIL_LEN, (uint64_t)size, &flen, err, sizeof err)) {
			file_fail(f, EX_DATAERR, err, 0);
			return 0;
		}
		if ((size_t)flen + PARQUET_TAIL_LEN <= have) {
			footer_parse(f, end - PARQUET_TAIL_LEN - flen, flen);
			return 0;
		}
		/* A footer larger than the first read (very wide tables): keep the part we have,
		 * fetch exactly the rest. */
		f->flen = flen;
		f->headlen = want - PARQUET_TAIL_LEN;
		f->head = emalloc(f->headlen);
		memcpy(f->head, end - want, f->headlen);
		read_range(f, size - PARQUET_TAIL_LEN - flen, size - (long long)want - 1, 1);
		return 1;
	}
	/* The rest of a large footer: exactly the bytes before the ones kept, or (a server that
	 * ignores Range) the whole object. */
	if (r->status == 200 && r->body.len == (size_t)size) {
		footer_parse(f, end - PARQUET_TAIL_LEN - f->flen, f->flen);
	} else if (r->body.len + f->headlen != f->flen) {
		snprintf(err, sizeof err, "short read: %zu of %zu bytes", r->body.len,
		    (size_t)f->flen - f->headlen);
		file_fail(f, EX_PROTOCOL, err, 0);
	} else {
		unsigned char *footer = emalloc(f->flen);

		memcpy(footer, r->body.p, r->body.len);
		memcpy(footer + r->body.len, f->head, f->headlen);
		footer_parse(f, footer, f->flen);
		free(footer);
	}
	return 0;
}

static void
on_range(int rc, struct http_resp *r, void *arg)
{
	struct file *f = arg;

	if (range_take(f, rc, r))
		return;
	free(f->head);
	f->head = NULL;
	f->done = 1;
	f->pg->left--;
	f->pg->inflight--;
	page_feed(f->pg);
	page_print(f->pg);
}

static struct http_pool *pool;

static void
read_range(struct file *f, long long from, long long to, int ahead)
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
	q.ahead = ahead;
	q.http1 = 1;
	q.headers = s3_sign(s3, "GET", f->url, range, "", 0);
	http_headers_free(range);
	http_pool_add(pool, &q, on_range, f);
}

static const char *
size_band(long long size)
{
	return size < band_min ? "small" : size > band_max ? "large" : "ok";
}

/* The output line of a file: its listing fields and, when m is given, its footer's. */
static char *
line_tree(const struct file *f, const struct parquet_meta *m)
{
	json_t *o = json_object();
	char *line;

	json_object_set_new(o, "url", json_string(f->what));
	json_object_set_new(o, "bucket", json_string(bucket));
	json_object_set_new(o, "key", json_string(f->obj->key));
	json_object_set_new(o, "size", jsonl_int(f->obj->size));
	json_object_set_new(o, "etag", f->obj->etag ? json_string(f->obj->etag) : json_null());
	json_object_set_new(o, "last_modified",
	    f->obj->last_modified ? json_string(f->obj->last_modified) : json_null());
	json_object_set_new(o, "partition", partition_of(f->obj->key));
	if (m) {
		json_object_set_new(o, "rows", jsonl_int(m->num_rows));
		json_object_set_new(o, "row_groups", jsonl_int(m->row_groups));
		json_object_set_new(o, "created_by", m->created_by ? json_string(m->created_by) : json_null());
		json_object_set_new(o, "schema", parquet_schema_json(m));
	}
	json_object_set_new(o, "size_band", json_string(size_band(f->obj->size)));
	if (!(line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		die(EX_OSERR, "out of memory");
	json_decref(o);
	return line;
}

/* The same line written directly, byte for byte what line_tree's json_dumps writes, for the
 * common case: every string printable ASCII (escaped as jansson escapes it: \" and \\) and the
 * partition's names distinct. A file's line costs no JSON tree; anything else (UTF-8, control
 * characters, a repeated name) goes to line_tree. The schema[] of files written alike is one
 * string, made once (schema_text). */
static int
plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int
put_str(struct buf *b, const char *s, size_t n)
{
	size_t i, from = 0;

	if (!plain(s, n))
		return -1;
	buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			buf_add(b, s + from, i - from);
			buf_add(b, "\\", 1);
			from = i;
		}
	}
	buf_add(b, s + from, n - from);
	buf_add(b, "\"", 1);
	return 0;
}

static int
put_field_str(struct buf *b, const char *name, const char *s)
{
	buf_addstr(b, name);
	if (!s) {
		buf_addstr(b, "null");
		return 0;
	}
	return put_str(b, s, strlen(s));
}

static void
put_int(struct buf *b, const char *name, long long v)
{
	buf_printf(b, jsonl_int_exact(v) ? "%s%lld" : "%s\"%lld\"", name, v);
}

/* partition_of, written: -1 where line_tree must decide (a value or name not plain, a name
 * given twice). */
static int
put_partition(struct buf *b, const char *key)
{
	const char *seg = key, *slash, *eq, *c;
	const char *names[64];
	size_t lens[64], n = 0, i;
	char ch;

	buf_add(b, "{", 1);
	for (; (slash = strchr(seg, '/')); seg = slash + 1) {
		if (!(eq = memchr(seg, '=', (size_t)(slash - seg))) || eq == seg)
			continue;
		if (n == sizeof names / sizeof *names)
			return -1;
		for (i = 0; i < n; i++)
			if (lens[i] == (size_t)(eq - seg) && memcmp(names[i], seg, lens[i]) == 0)
				return -1;
		names[n] = seg;
		lens[n] = (size_t)(eq - seg);
		if (n++)
			buf_add(b, ",", 1);
		if (put_str(b, seg, (size_t)(eq - seg)) != 0)
			return -1;
		buf_add(b, ":\"", 2);
		for (c = eq + 1; c < slash; c++) {
			ch = *c;
			if (*c == '%' && c + 2 < slash && isxdigit((unsigned char)c[1]) &&
			    isxdigit((unsigned char)c[2])) {
				ch = (char)(hexval((unsigned char)c[1]) * 16 + hexval((unsigned char)c[2]));
				c += 2;
			}
			if (!plain(&ch, 1))
				return -1;
			if (ch == '"' || ch == '\\')
				buf_add(b, "\\", 1);
			buf_add(b, &ch, 1);
		}
		buf_add(b, "\"", 1);
	}
	buf_add(b, "}", 1);
	return 0;
}

/* The last schema seen and its schema[] text: a table's files share their schema. */
static struct parquet_column *sc_cols;
static size_t sc_ncols, sc_ntop;
static char *sc_text;

static int
col_same(const struct parquet_column *a, const struct parquet_column *b)
{
	return a->physical == b->physical && a->repetition == b->repetition && a->depth == b->depth &&
	    a->nchildren == b->nchildren && a->length == b->length && a->logical == b->logical &&
	    a->precision == b->precision && a->scale == b->scale && a->unit == b->unit &&
	    a->utc == b->utc && a->bits == b->bits && a->is_signed == b->is_signed &&
	    a->field_id == b->field_id && strcmp(a->name, b->name) == 0;
}

static void
schema_forget(void)
{
	size_t i;

	for (i = 0; i < sc_ncols; i++)
		free(sc_cols[i].name);
	free(sc_cols);
	free(sc_text);
	sc_cols = NULL;
	sc_text = NULL;
	sc_ncols = sc_ntop = 0;
}

static const char *
schema_text(const struct parquet_meta *m)
{
	json_t *a;
	size_t i;

	if (sc_text && m->ncols == sc_ncols && m->ntop == sc_ntop) {
		for (i = 0; i < m->ncols && col_same(&m->cols[i], &sc_cols[i]); i++)
			;
		if (i == m->ncols)
			return sc_text;
	}
	schema_forget();
	if (!(a = parquet_schema_json(m)) ||
	    !(sc_text = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		die(EX_OSERR, "out of memory");
	json_decref(a);
	sc_cols = ecalloc(m->ncols ? m->ncols : 1, sizeof *sc_cols);
	for (i = 0; i < m->ncols; i++) {
		sc_cols[i] = m->cols[i];
		sc_cols[i].name = estrdup(m->cols[i].name);
	}
	sc_ncols = m->ncols;
	sc_ntop = m->ntop;
	return sc_text;
}

static char *
line_dup(const struct file *f, const struct parquet_meta *m)
{
	struct buf b = {0};

	buf_add(&b, NULL, 0);
	if (put_field_str(&b, "{\"url\":", f->what) != 0 ||
	    put_field_str(&b, ",\"bucket\":", bucket) != 0 ||
	    put_field_str(&b, ",\"key\":", f->obj->key) != 0)
		goto tree;
	put_int(&b, ",\"size\":", f->obj->size);
	if (put_field_str(&b, ",\"etag\":", f->obj->etag) != 0 ||
	    put_field_str(&b, ",\"last_modified\":", f->obj->last_modified) != 0)
		goto tree;
	buf_addstr(&b, ",\"partition\":");
	if (put_partition(&b, f->obj->key) != 0)
		goto tree;
	if (m) {
		put_int(&b, ",\"rows\":", m->num_rows);
		put_int(&b, ",\"row_groups\":", m->row_groups);
		if (put_field_str(&b, ",\"created_by\":", m->created_by) != 0)
			goto tree;
		buf_addstr(&b, ",\"schema\":");
		buf_addstr(&b, schema_text(m));
	}
	buf_addstr(&b, ",\"size_band\":\"");
	buf_addstr(&b, size_band(f->obj->size));
	buf_addstr(&b, "\"}");
	return b.p;
tree:
	buf_free(&b);
	return line_tree(f, m);
}

static void
on_list(int rc, struct s3_page *list, const char *err, void *arg)
{
	struct page *pg = arg;

	pg->listed = 1;
	pg->rc = rc;
	if (rc)
		pg->err = estrdup(err);
	else
		pg->list = *list;
}

static struct page *
page_list(const char *prefix, const char *token)
{
	struct page *pg = ecalloc(1, sizeof *pg);

	s3_list_page_add(s3, pool, bucket, prefix, token, on_list, pg);
	return pg;
}

/* Sets up a page's files and starts their footer reads. */
static void
page_read(struct page *pg, size_t hidden_from, int all, int footers)
{
	char err[128];
	size_t i;

	pg->files = ecalloc(pg->list.n, sizeof *pg->files);
	for (i = 0; i < pg->list.n; i++) {
		struct file *f = &pg->files[i];

		f->obj = &pg->list.obj[i];
		f->pg = pg;
		if (!all && !is_data_file(f->obj, hidden_from)) {
			f->obj = NULL;
			f->done = 1;
			continue;
		}
		f->what = esprintf("s3://%s/%s", bucket, f->obj->key);
		if (!footers) {
			f->done = 1;
			continue;
		}
		if (f->obj->size < 12) {
			snprintf(err, sizeof err, "not a Parquet file: only %lld bytes", f->obj->size);
			file_fail(f, EX_DATAERR, err, 0);
			f->done = 1;
			continue;
		}
		f->read = 1;
		pg->left++;
	}
	page_feed(pg);
}

/* Starts footer reads in listing order while fewer than 2 x jobs are under way. */
static void
page_feed(struct page *pg)
{
	while (pg->inflight < 2 * jobs && pg->next < pg->list.n) {
		struct file *f = &pg->files[pg->next++];
		long long size;

		if (!f->read)
			continue;
		size = f->obj->size;
		f->want = size < FIRST_READ ? (size_t)size : FIRST_READ;
		f->url = s3_request_url(s3, bucket, f->obj->key, NULL);
		pg->inflight++;
		read_range(f, size - (long long)f->want, size - 1, 0);
	}
}

/* Prints the page's files that are ready, in listing order, up to the first one that is not:
 * a line is held only until the lines before it are out. */
static void
page_print(struct page *pg)
{
	struct file *f;

	for (; pg->printed < pg->list.n && (f = &pg->files[pg->printed])->done; pg->printed++) {
		if (!f->obj)
			continue;
		nfiles++;
		if (f->err) {
			warnmsg("%s", f->err);
			if (!status)
				status = f->rc;
		} else {
			if (!f->line)
				f->line = line_dup(f, NULL);
			if (fputs(f->line, stdout) == EOF || putchar('\n') == EOF)
				stdout_fail();
		}
		free(f->line);
		free(f->url);
		free(f->what);
		free(f->err);
		f->line = f->url = f->what = f->err = NULL;
	}
}

static void
page_free(struct page *pg)
{
	free(pg->files);
	s3_page_free(&pg->list);
	free(pg->err);
	free(pg);
}

int
main(int argc, char *argv[])
{
	struct s3 conn;
	struct page *cur, *next;
	char *prefix, err[512], *end;
	const char *rest, *why = NULL;
	int footers = 1, all = 0, c, rc;
	size_t pages = 0, hidden_from;

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
	/* Page n+1 is listed (ahead of the footer reads waiting) while page n's footers are read;
	 * lines come out in listing order, one page at a time. */
	for (cur = page_list(prefix, NULL); cur; cur = next) {
		while (!cur->listed)
			http_pool_step(pool);
		if (cur->rc)
			die(cur->rc, "%s", cur->err);
		pages++;
		next = cur->list.next_token ? page_list(prefix, cur->list.next_token) : NULL;
		page_read(cur, hidden_from, all, footers);
		while (cur->left)
			http_pool_step(pool);
		page_print(cur);
		if (fflush(stdout) == EOF)
			stdout_fail();
		page_free(cur);
		progress("s3://%s/%s: %zu data files in %zu pages", bucket, prefix, nfiles, pages);
	}
	http_pool_free(pool);
	schema_forget();
	s3_close(&conn);
	if (!nfiles)
		die(EX_NOINPUT, "s3://%s/%s: no %s", bucket, prefix, all ? "objects" : "Parquet data files");
	free(prefix);
	stdout_close();
	return status;
}
