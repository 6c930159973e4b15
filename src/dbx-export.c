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
#include "profile.h"
#include "sql.h"
#include "util.h"

#define DEFAULT_TARGET	(200LL << 20)	/* 200 MiB: inside Snowflake's 100-250 MB advice */

/* What the command line asks for; main has validated it (-l's names: plan_columns, on the table). */
struct job {
	const char *table, *datecol, *date, *url, *dataset, *cols;
	long long target;	/* the file size to aim for */
};

/* What plan_make() read from the warehouse and chose; export() and report() use it as it is. */
struct plan {
	char *qtable, *qdate;		/* the table and the date column, quoted for Spark */
	struct buf select;		/* the select list */
	char *from;			/* what the export reads: the table VERSION AS OF the version */
	char *version, *committed;	/* the Delta version read and its commit time (DESCRIBE
					 * HISTORY); NULL when the source cannot time-travel */
	long long size, files;		/* DESCRIBE DETAIL: the table's bytes and files, -1 unknown */
	long long total, slice;		/* the table's rows, and the date's */
	long long est, nfiles;		/* the date's estimated bytes, and the files to write */
	char *runid, *location;		/* the fresh run= directory the files go to */
};

struct column {
	char *name;
	char *type;
};

struct schema {
	struct column *col;
	size_t n;
	int done;	/* past the column list (DESCRIBE's "# Partition Information" etc.) */
	int detail;	/* in DESCRIBE TABLE EXTENDED's "# Detailed Table Information" */
	char *type;	/* its Type: MANAGED, EXTERNAL, VIEW, MATERIALIZED_VIEW… */
	char *provider;	/* its Provider: delta, parquet…; none for a view */
};

/* DESCRIBE HISTORY's newest row. */
struct history {
	char *version, *committed;
};

/* One row's two counts, read by name. */
struct counts {
	const char *what;	/* for a message: the statement that gave them */
	const char *name[2];
	long long v[2];
	int seen;
};

static void
usage(void)
{
	fprintf(stderr, "usage: dbx-export [-nv] [-p profile] [-w warehouse] [-s size] [-k dataset] "
	    "[-l col,...] -t table -c date_column -d YYYY-MM-DD -o s3://bucket/prefix\n");
	exit(EX_USAGE);
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
on_counts(json_t *columns, json_t *row, void *arg)
{
	struct counts *c = arg;
	char what[128];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof what, "%s %s", c->what, c->name[i]);
		c->v[i] = parse_count(dbx_row_get(columns, row, c->name[i]), what);
	}
	c->seen = 1;
}

/* The two counts named a and b of the one row sql returns; what names the statement in a message. */
static void
query_counts(struct dbx *d, const char *sql, const char *table, const char *what,
    const char *a, const char *b, long long *va, long long *vb)
{
	struct counts c = { what, { a, b }, { 0, 0 }, 0 };

	query(d, sql, on_counts, &c);
	if (!c.seen)
		die(EX_PROTOCOL, "%s: %s returned no row", table, what);
	*va = c.v[0];
	*vb = c.v[1];
}

static void
on_column(json_t *columns, json_t *row, void *arg)
{
	struct schema *s = arg;
	const char *name = dbx_row_get(columns, row, "col_name");
	const char *type = dbx_row_get(columns, row, "data_type");

	if (s->done || !name || !*name || *name == '#') {
		s->done = 1;
		if (name && strcmp(name, "# Detailed Table Information") == 0)
			s->detail = 1;
		else if (s->detail && name && strcmp(name, "Type") == 0 && !s->type)
			s->type = estrdup(type ? type : "");
		else if (s->detail && name && strcmp(name, "Provider") == 0 && !s->provider)
			s->provider = estrdup(type ? type : "");
		return;
	}
	s->col = erealloc(s->col, (s->n + 1) * sizeof *s->col);
	s->col[s->n].name = estrdup(name);
	s->col[s->n].type = estrdup(type ? type : "");
	s->n++;
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

static void
on_history(json_t *columns, json_t *row, void *arg)
{
	struct history *h = arg;
	const char *v = dbx_row_get(columns, row, "version");
	const char *ts = dbx_row_get(columns, row, "timestamp");
	struct buf b = { 0 };

	if (h->version)
		return;
	if (!v || !profile_version_valid(v))
		die(EX_PROTOCOL, "DESCRIBE HISTORY version: malformed result: %s", v ? v : "no value");
	if (!ts || dbx_value_json("TIMESTAMP", ts, &b) < 0 || b.len < 3)
		die(EX_PROTOCOL, "DESCRIBE HISTORY timestamp: malformed result: %s", ts ? ts : "no value");
	h->version = estrdup(v);
	h->committed = estrndup(b.p + 1, b.len - 2);	/* the JSON string's text */
	buf_free(&b);
}

/* The version to read: the table's newest (DESCRIBE HISTORY t LIMIT 1), when it is a Delta
 * table; a view or another format cannot time-travel and is read as it is, with a warning. */
static void
plan_version(struct dbx *d, const struct job *j, struct plan *p, const struct schema *sch)
{
	struct history h = { 0 };
	char *sql;

	if (!sch->type || (strcasecmp(sch->type, "MANAGED") != 0 && strcasecmp(sch->type, "EXTERNAL") != 0)) {
		warnmsg("%s: a %s, not a Delta table: exported as it is, not pinned to a version",
		    j->table, sch->type && strstr(sch->type, "VIEW") ? "view" : "relation");
	} else if (!sch->provider || strcasecmp(sch->provider, "delta") != 0) {
		warnmsg("%s: a %s table, not Delta: exported as it is, not pinned to a version",
		    j->table, sch->provider ? sch->provider : "non-Delta");
	} else {
		sql = esprintf("DESCRIBE HISTORY %s LIMIT 1", p->qtable);
		query(d, sql, on_history, &h);
		free(sql);
		if (!h.version)
			die(EX_PROTOCOL, "%s: DESCRIBE HISTORY returned no row", j->table);
		p->version = h.version;
		p->committed = h.committed;
	}
	p->from = p->version ? esprintf("%s VERSION AS OF %s", p->qtable, p->version) : estrdup(p->qtable);
}

/* The select list from DESCRIBE TABLE EXTENDED: the -l columns, or all of them; the date column
 * must be a DATE. Then the version to read, which the table's Type and Provider decide. */
static void
plan_columns(struct dbx *d, const struct job *j, struct plan *p)
{
	struct schema sch = { 0 };
	struct column *col;
	char *sql = esprintf("DESCRIBE TABLE EXTENDED %s", p->qtable), *list, *tok, *save = NULL;
	size_t i;

	query(d, sql, on_column, &sch);
	free(sql);
	if (!(col = find_column(&sch, j->datecol)))
		die(EX_DATAERR, "%s: no column %s", j->table, j->datecol);
	if (strcasecmp(col->type, "date") != 0)
		die(EX_DATAERR, "%s: column %s is %s, not date", j->table, j->datecol, col->type);
	if (j->cols) {
		list = estrdup(j->cols);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!sql_ident_plain(tok, SQL_SPARK))
				die(EX_USAGE, "-l %s: not a column name", tok);
			if (!(col = find_column(&sch, tok)))
				die(EX_DATAERR, "%s: no column %s", j->table, tok);
			select_item(&p->select, col);
		}
		free(list);
		if (!p->select.len)
			die(EX_USAGE, "-l: no columns");
	} else {
		for (i = 0; i < sch.n; i++)
			select_item(&p->select, &sch.col[i]);
	}
	if (!p->select.len)
		die(EX_PROTOCOL, "%s: DESCRIBE TABLE returned no columns", j->table);
	plan_version(d, j, p, &sch);
	free(sch.type);
	free(sch.provider);
	for (i = 0; i < sch.n; i++) {
		free(sch.col[i].name);
		free(sch.col[i].type);
	}
	free(sch.col);
}

/* The plan of one export: the table's size and schema and the date's share of its rows give
 * the date's bytes, and those the number of files to write, under a fresh run= directory. */
static struct plan
plan_make(struct dbx *d, const struct job *j)
{
	struct plan p = { 0 };
	char *sql, *base;

	p.qtable = dbx_quote_table(j->table);
	p.qdate = dbx_quote_ident(j->datecol);
	plan_columns(d, j, &p);
	/* DESCRIBE DETAIL has no VERSION AS OF: the size is the table's now, scaled by the rows
	 * at the version read. A source without versions has no size here: one file. */
	p.size = p.files = -1;
	if (p.version) {
		sql = esprintf("DESCRIBE DETAIL %s", p.qtable);
		query_counts(d, sql, j->table, "DESCRIBE DETAIL", "sizeInBytes", "numFiles", &p.size, &p.files);
		free(sql);
	}
	sql = esprintf("SELECT count(*) AS total_rows, count_if(%s = DATE'%s') AS slice_rows FROM %s",
	    p.qdate, j->date, p.from);
	query_counts(d, sql, j->table, "row count", "total_rows", "slice_rows", &p.total, &p.slice);
	free(sql);

	p.est = p.size < 0 ? -1 : dbx_slice_bytes(p.size, p.slice, p.total);
	p.nfiles = p.est < 0 ? 1 : dbx_file_count(p.est, j->target);
	p.runid = run_id();
	base = estrndup(j->url, strlen(j->url) - (j->url[strlen(j->url) - 1] == '/'));
	p.location = esprintf("%s/%s/date=%s/run=%s/", base, j->dataset, j->date, p.runid);
	free(base);
	if (p.size < 0)
		progress("%s: size unknown, %lld of %lld rows on %s: %lld file", j->table, p.slice,
		    p.total, j->date, p.nfiles);
	else
		progress("%s v%s: %lld bytes in %lld files, %lld of %lld rows on %s: about %lld bytes, "
		    "%lld files", j->table, p.version, p.size, p.files, p.slice, p.total, j->date, p.est,
		    p.nfiles);
	return p;
}

static void
plan_free(struct plan *p)
{
	free(p->qtable);
	free(p->qdate);
	free(p->from);
	free(p->version);
	free(p->committed);
	buf_free(&p->select);
	free(p->runid);
	free(p->location);
}

/* The export: run INSERT OVERWRITE DIRECTORY (with dry, print it instead and return NULL). */
static json_t *
export(struct dbx *d, const struct job *j, const struct plan *p, int dry)
{
	json_t *resp = NULL;
	/* The path is a literal (parameter markers are not allowed there); it passed
	 * dbx_valid_s3url, so it holds no quote or backslash. */
	char *sql = esprintf("INSERT OVERWRITE DIRECTORY '%s' USING PARQUET OPTIONS ('compression' 'snappy') "
	    "SELECT /*+ REPARTITION(%lld) */ %s FROM %s WHERE %s = DATE'%s'",
	    p->location, p->nfiles, p->select.p, p->from, p->qdate, j->date);

	if (dry)
		puts(sql);
	else
		resp = run(d, sql);
	free(sql);
	return resp;
}

/* The report: one JSON object of what was done. */
static void
report(const struct job *j, const struct plan *p, json_t *resp)
{
	json_t *out = json_object();
	const char *st = json_string_value(json_object_get(json_object_get(resp, "status"), "state"));

	json_object_set_new(out, "statement_id", json_incref(json_object_get(resp, "statement_id")));
	json_object_set_new(out, "state", json_string(st));
	json_object_set_new(out, "location", json_string(p->location));
	json_object_set_new(out, "estimated_bytes", p->est < 0 ? json_null() : jsonl_int(p->est));
	json_object_set_new(out, "files", jsonl_int(p->nfiles));
	json_object_set_new(out, "rows", jsonl_int(p->slice));
	json_object_set_new(out, "run", json_string(p->runid));
	json_object_set_new(out, "date", json_string(j->date));
	json_object_set_new(out, "table", json_string(j->table));
	json_object_set_new(out, "dataset", json_string(j->dataset));
	/* Versions are longs: a number up to 2^53, beyond it a string (jq 1.6). */
	json_object_set_new(out, "version", !p->version ? json_null() :
	    jsonl_text_exact(p->version, strlen(p->version)) ? json_integer(strtoll(p->version, NULL, 10)) :
	    json_string(p->version));
	json_object_set_new(out, "commit_timestamp", p->committed ? json_string(p->committed) : json_null());
	jsonl_print(out);
	json_decref(out);
}

int
main(int argc, char *argv[])
{
	const char *profile = NULL, *warehouse = NULL;
	struct job j = { .target = DEFAULT_TARGET };
	struct plan p;
	struct dbx d;
	json_t *resp;
	char err[512];
	int c, dry = 0, rc;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "c:d:hk:l:no:p:s:t:vw:")) != -1) {
		switch (c) {
		case 'c': j.datecol = optarg; break;
		case 'd': j.date = optarg; break;
		case 'k': j.dataset = optarg; break;
		case 'l': j.cols = optarg; break;
		case 'n': dry = 1; break;
		case 'o': j.url = optarg; break;
		case 'p': profile = optarg; break;
		case 's':
			if ((j.target = esize_parse(optarg, "-s")) == 0)
				die(EX_USAGE, "-s %s: not a size (bytes, or with K, M, G)", optarg);
			break;
		case 't': j.table = optarg; break;
		case 'v': verbose = 1; break;
		case 'w': warehouse = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !j.table || !j.datecol || !j.date || !j.url)
		usage();
	if (!sql_name_valid(j.table, SQL_SPARK))
		die(EX_USAGE, "-t %s: not a table name (catalog.schema.table of letters, digits, _)", j.table);
	if (!sql_ident_plain(j.datecol, SQL_SPARK))
		die(EX_USAGE, "-c %s: not a column name", j.datecol);
	if (!sql_date_valid(j.date))
		die(EX_USAGE, "-d %s: not a date (YYYY-MM-DD)", j.date);
	if (!dbx_valid_s3url(j.url))
		die(EX_USAGE, "-o %s: not an s3://bucket/prefix URL of safe characters", j.url);
	if (j.dataset && !dbx_valid_dataset(j.dataset))
		die(EX_USAGE, "-k %s: not a dataset name (%s)", j.dataset, DBX_DATASET_RULE);
	if (!j.dataset)
		j.dataset = strrchr(j.table, '.') ? strrchr(j.table, '.') + 1 : j.table;
	if (!dbx_valid_dataset(j.dataset))
		die(EX_USAGE, "-t %s: %s is not a dataset name (%s); give -k", j.table, j.dataset, DBX_DATASET_RULE);
	if ((rc = dbx_config(&d, profile, warehouse, err, sizeof err)) != 0)
		die(rc, "%s", err);
	stop_signals_catch();
	http_init();

	p = plan_make(&d, &j);
	if ((resp = export(&d, &j, &p, dry))) {
		report(&j, &p, resp);
		json_decref(resp);
	}
	plan_free(&p);
	dbx_free(&d);
	stdout_close();
	return 0;
}
