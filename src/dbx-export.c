/* dbx-export: write one date of a Databricks table as Parquet files under a fresh run= directory
 * in S3, sized for Snowflake's COPY INTO, and print what was done as one JSON object. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "databricks.h"
#include "http.h"
#include "jsonl.h"
#include "util.h"

#define DEFAULT_TARGET	(200LL << 20)	/* 200 MiB: inside Snowflake's 100-250 MB advice */

struct column {
	char *name;
	char *type;
};

struct schema {
	struct column *col;
	size_t n;
	int done;	/* past the column list (DESCRIBE's "# Partition Information" etc.) */
};

struct detail {
	long long size, files;
	int seen;
};

struct counts {
	long long total, slice;
	int seen;
};

static void
usage(void)
{
	fprintf(stderr, "usage: dbx-export [-nv] [-p profile] [-w warehouse] [-s size] [-k dataset] "
	    "[-l col,...] -t table -c date_column -d YYYY-MM-DD -o s3://bucket/prefix\n");
	exit(EX_USAGE);
}

/* 200M, 1G, 52428800: bytes with an optional K, M or G (powers of 1024). */
static long long
parse_size(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	return *end ? -1 : v;
}

static long long
parse_count(const char *s, const char *what)
{
	char *end;
	long long v;

	if (!s)
		die(EX_PROTOCOL, "%s: malformed result: no value", what);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		die(EX_PROTOCOL, "%s: malformed result: %s", what, s);
	return v;
}

/* Sortable by time, unique enough across concurrent runs: 20251125T143009Z-9f3a2c1b. */
static char *
run_id(void)
{
	unsigned char r[4];
	char ts[32];
	time_t now = time(NULL);

	if (RAND_bytes(r, sizeof r) != 1)
		die(EX_SOFTWARE, "no random bytes for the run id");
	strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", gmtime(&now));
	return esprintf("%s-%02x%02x%02x%02x", ts, r[0], r[1], r[2], r[3]);
}

/* Run one statement to SUCCEEDED; the program ends on anything else (a stop: 128 + signal). */
static json_t *
run(struct dbx *d, const char *sql)
{
	json_t *body = dbx_statement_body(d->warehouse, sql, NULL, 0, DBX_INLINE), *resp;
	char err[512];
	int rc;

	progress("running: %s", sql);
	rc = dbx_execute(d, body, &resp, err, sizeof err);
	json_decref(body);
	if (rc)
		die(stop_status(rc), "%s", err);
	return resp;
}

/* Run one statement and hand each result row to fn. */
static void
query(struct dbx *d, const char *sql, dbx_row_fn fn, void *arg)
{
	json_t *resp = run(d, sql);
	char err[512];
	int rc;

	if ((rc = dbx_result_foreach(d, resp, fn, arg, err, sizeof err)))
		die(stop_status(rc), "%s", err);
	json_decref(resp);
}

static void
on_detail(json_t *columns, json_t *row, void *arg)
{
	struct detail *t = arg;

	t->size = parse_count(dbx_row_get(columns, row, "sizeInBytes"), "DESCRIBE DETAIL sizeInBytes");
	t->files = parse_count(dbx_row_get(columns, row, "numFiles"), "DESCRIBE DETAIL numFiles");
	t->seen = 1;
}

static void
on_column(json_t *columns, json_t *row, void *arg)
{
	struct schema *s = arg;
	const char *name = dbx_row_get(columns, row, "col_name");
	const char *type = dbx_row_get(columns, row, "data_type");

	if (s->done || !name || !*name || *name == '#') {
		s->done = 1;
		return;
	}
	s->col = erealloc(s->col, (s->n + 1) * sizeof *s->col);
	s->col[s->n].name = estrdup(name);
	s->col[s->n].type = estrdup(type ? type : "");
	s->n++;
}

static void
on_counts(json_t *columns, json_t *row, void *arg)
{
	struct counts *c = arg;

	c->total = parse_count(dbx_row_get(columns, row, "total_rows"), "row count");
	c->slice = parse_count(dbx_row_get(columns, row, "slice_rows"), "row count");
	c->seen = 1;
}

static struct column *
find_column(struct schema *s, const char *name)
{
	size_t i;

	/* Spark resolves column names case-insensitively. */
	for (i = 0; i < s->n; i++)
		if (strcasecmp(s->col[i].name, name) == 0)
			return &s->col[i];
	return NULL;
}

/* One select-list item; a TIMESTAMP goes out as TIMESTAMP_NTZ, which Spark always writes as
 * Parquet INT64 TIMESTAMP(MICROS) rather than the legacy INT96 (see the man page). */
static void
select_item(struct buf *b, const struct column *c)
{
	char *q = dbx_quote_ident(c->name);

	if (b->len)
		buf_addstr(b, ", ");
	if (strcasecmp(c->type, "timestamp") == 0)
		buf_printf(b, "CAST(%s AS TIMESTAMP_NTZ) AS %s", q, q);
	else
		buf_addstr(b, q);
	free(q);
}

int
main(int argc, char *argv[])
{
	const char *profile = NULL, *warehouse = NULL, *table = NULL, *datecol = NULL, *date = NULL;
	const char *url = NULL, *dataset = NULL, *cols = NULL, *st;
	char err[512], *qt, *qc, *sql, *runid, *location, *base, *list, *tok, *save = NULL;
	long long target = DEFAULT_TARGET, est, nfiles;
	int c, dry = 0, rc;
	struct dbx d;
	struct schema sch = { 0 };
	struct detail det = { 0 };
	struct counts cnt = { 0 };
	struct buf sel = { 0 };
	struct column *col;
	json_t *resp, *out;
	size_t i;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "c:d:hk:l:no:p:s:t:vw:")) != -1) {
		switch (c) {
		case 'c': datecol = optarg; break;
		case 'd': date = optarg; break;
		case 'k': dataset = optarg; break;
		case 'l': cols = optarg; break;
		case 'n': dry = 1; break;
		case 'o': url = optarg; break;
		case 'p': profile = optarg; break;
		case 's':
			if ((target = parse_size(optarg)) <= 0)
				die(EX_USAGE, "-s %s: not a size (bytes, or with K, M, G)", optarg);
			break;
		case 't': table = optarg; break;
		case 'v': verbose = 1; break;
		case 'w': warehouse = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !table || !datecol || !date || !url)
		usage();
	if (!dbx_valid_table(table))
		die(EX_USAGE, "-t %s: not a table name (catalog.schema.table of letters, digits, _)", table);
	if (!dbx_valid_identifier(datecol))
		die(EX_USAGE, "-c %s: not a column name", datecol);
	if (!dbx_valid_date(date))
		die(EX_USAGE, "-d %s: not a date (YYYY-MM-DD)", date);
	if (!dbx_valid_s3url(url))
		die(EX_USAGE, "-o %s: not an s3://bucket/prefix URL of safe characters", url);
	if (!dataset)
		dataset = strrchr(table, '.') ? strrchr(table, '.') + 1 : table;
	if (!dbx_valid_dataset(dataset))
		die(EX_USAGE, "-k %s: not a dataset name", dataset);
	if ((rc = dbx_config(&d, profile, warehouse, err, sizeof err)) != 0)
		die(rc, "%s", err);
	stop_signals_catch();
	http_init();

	qt = dbx_quote_table(table);
	qc = dbx_quote_ident(datecol);

	/* The plan: the table's size and schema, and the slice's share of its rows. */
	sql = esprintf("DESCRIBE DETAIL %s", qt);
	query(&d, sql, on_detail, &det);
	if (!det.seen)
		die(EX_PROTOCOL, "%s: DESCRIBE DETAIL returned no row", table);
	free(sql);

	sql = esprintf("DESCRIBE TABLE %s", qt);
	query(&d, sql, on_column, &sch);
	free(sql);
	if (!(col = find_column(&sch, datecol)))
		die(EX_DATAERR, "%s: no column %s", table, datecol);
	if (strcasecmp(col->type, "date") != 0)
		die(EX_DATAERR, "%s: column %s is %s, not date", table, datecol, col->type);
	if (cols) {
		list = estrdup(cols);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!dbx_valid_identifier(tok))
				die(EX_USAGE, "-l %s: not a column name", tok);
			if (!(col = find_column(&sch, tok)))
				die(EX_DATAERR, "%s: no column %s", table, tok);
			select_item(&sel, col);
		}
		free(list);
		if (!sel.len)
			die(EX_USAGE, "-l: no columns");
	} else {
		for (i = 0; i < sch.n; i++)
			select_item(&sel, &sch.col[i]);
	}
	if (!sel.len)
		die(EX_PROTOCOL, "%s: DESCRIBE TABLE returned no columns", table);

	sql = esprintf("SELECT count(*) AS total_rows, count_if(%s = DATE'%s') AS slice_rows FROM %s",
	    qc, date, qt);
	query(&d, sql, on_counts, &cnt);
	if (!cnt.seen)
		die(EX_PROTOCOL, "%s: row count returned no row", table);
	free(sql);

	est = dbx_slice_bytes(det.size, cnt.slice, cnt.total);
	nfiles = dbx_file_count(est, target);
	runid = run_id();
	base = estrndup(url, strlen(url) - (url[strlen(url) - 1] == '/'));
	location = esprintf("%s/%s/date=%s/run=%s/", base, dataset, date, runid);
	progress("%s: %lld bytes in %lld files, %lld of %lld rows on %s: about %lld bytes, %lld files",
	    table, det.size, det.files, cnt.slice, cnt.total, date, est, nfiles);

	/* The path is a literal (parameter markers are not allowed there); it passed
	 * dbx_valid_s3url, so it holds no quote or backslash. */
	sql = esprintf("INSERT OVERWRITE DIRECTORY '%s' USING PARQUET OPTIONS ('compression' 'snappy') "
	    "SELECT /*+ REPARTITION(%lld) */ %s FROM %s WHERE %s = DATE'%s'",
	    location, nfiles, sel.p, qt, qc, date);
	if (dry) {
		puts(sql);
	} else {
		resp = run(&d, sql);
		st = json_string_value(json_object_get(json_object_get(resp, "status"), "state"));
		out = json_object();
		json_object_set_new(out, "statement_id", json_incref(json_object_get(resp, "statement_id")));
		json_object_set_new(out, "state", json_string(st));
		json_object_set_new(out, "location", json_string(location));
		json_object_set_new(out, "estimated_bytes", jsonl_int(est));
		json_object_set_new(out, "files", jsonl_int(nfiles));
		json_object_set_new(out, "rows", jsonl_int(cnt.slice));
		json_object_set_new(out, "run", json_string(runid));
		json_object_set_new(out, "date", json_string(date));
		json_object_set_new(out, "table", json_string(table));
		json_object_set_new(out, "dataset", json_string(dataset));
		jsonl_print(out);
		json_decref(out);
		json_decref(resp);
	}
	if (fflush(stdout) != 0)
		die(EX_IOERR, "stdout: %s", strerror(errno));
	free(sql);
	free(location);
	free(base);
	free(runid);
	free(qt);
	free(qc);
	buf_free(&sel);
	for (i = 0; i < sch.n; i++) {
		free(sch.col[i].name);
		free(sch.col[i].type);
	}
	free(sch.col);
	dbx_free(&d);
	return 0;
}
