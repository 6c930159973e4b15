/* sf-copy: load the Parquet files of one partition into a Snowflake table, atomically. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "evolve.h"
#include "http.h"
#include "jsonl.h"
#include "schema.h"
#include "snowflake.h"
#include "sql.h"
#include "util.h"

struct result {
	const struct load *l;
	char *seen;		/* per file: its COPY result row was seen */
	long long loaded;	/* rows_loaded, all files */
	int bad;		/* a file not loaded or not matching its footer */
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-dinv] [-c connection] [-e strict|add] [-p column] [-k key] [-s stage=url] [-P pipe] "
	    "-t table [file]\n",
	    argv0);
	exit(EX_USAGE);
}

static int
count_of(const json_t *v, long long *n)
{
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*n = json_integer_value(v);
		return 0;
	}
	if (!(s = json_string_value(v)) || !*s)
		return -1;
	errno = 0;
	*n = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* The listed file a COPY result names: the full s3:// URL, or a path that ends the URL. */
static long
file_index(const struct load *l, const char *name)
{
	size_t i, n = strlen(name), u;

	for (i = 0; i < l->nfiles; i++) {
		if (strcmp(l->files[i].url, name) == 0)
			return (long)i;
		u = strlen(l->files[i].url);
		if (n < u && l->files[i].url[u - n - 1] == '/' && strcmp(l->files[i].url + u - n, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Each result row of the request: the COPY rows (they have a file column) are checked and
 * printed; BEGIN, DELETE, the row count check and COMMIT have nothing to say. */
static void
on_row(const char *line, size_t len, void *arg)
{
	struct result *res = arg;
	const struct load *l = res->l;
	json_t *o = json_loadb(line, len, 0, NULL), *file;
	const char *name, *status, *why;
	long long loaded;
	long i;

	if (!o)
		die(EX_PROTOCOL, "%s: a result row is not JSON", l->table);
	if (!(file = json_object_get(o, "file"))) {
		status = json_string_value(json_object_get(o, "status"));
		if (status && strstr(status, "0 files processed")) {
			warnmsg("%s: COPY processed no files", l->table);
			res->bad = 1;
		}
		json_decref(o);
		return;
	}
	if (fwrite(line, 1, len, stdout) != len)
		die(EX_IOERR, "standard output: %s", strerror(errno));
	name = json_string_value(file);
	status = json_string_value(json_object_get(o, "status"));
	why = json_string_value(json_object_get(o, "first_error"));
	if (!name || (i = file_index(l, name)) < 0) {
		warnmsg("%s: in the COPY result but not in the input", name ? name : "(null)");
		res->bad = 1;
	} else if (res->seen[i]++) {
		warnmsg("%s: twice in the COPY result", l->files[i].url);
		res->bad = 1;
	} else if (count_of(json_object_get(o, "rows_loaded"), &loaded) < 0) {
		warnmsg("%s: %s%s%s", l->files[i].url, status ? status : "no status", why ? ": " : "",
		    why ? why : "");
		res->bad = 1;
	} else {
		res->loaded += loaded;
		if (!status || strcmp(status, "LOADED") != 0) {
			warnmsg("%s: %s%s%s", l->files[i].url, status ? status : "no status", why ? ": " : "",
			    why ? why : "");
			res->bad = 1;
		} else if (loaded != l->files[i].rows) {
			warnmsg("%s: %lld rows loaded, the footer counts %lld", l->files[i].url, loaded,
			    l->files[i].rows);
			res->bad = 1;
		}
	}
	json_decref(o);
}

/* The QUERY_TAG of a load: "sf-copy TABLE COLUMN=VALUE", the table upper-cased as Snowflake
 * folds its plain identifiers, so every spelling of one partition's load carries one tag. */
static char *
load_tag(const struct load *l)
{
	char *t = esprintf("sf-copy %s %s=%s", l->table, l->part_col, l->part_value), *p;

	for (p = t + strlen("sf-copy "); *p && *p != ' '; p++)
		*p = toupper((unsigned char)*p);
	return t;
}

/* A row of the QUERY_HISTORY look-up: keep the first query ID. */
static void
on_earlier(const char *line, size_t len, void *arg)
{
	char **id = arg;
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *q = json_string_value(json_object_get(o, "QUERY_ID"));

	if (q && !*id)
		*id = estrdup(q);
	json_decref(o);
}

/* Wait while an earlier load of this partition still runs on the service. A killed sf-copy's
 * request is not stopped by its client going away: it runs on to its COMMIT, and holds the
 * table's lock until then. Each load carries the QUERY_TAG "sf-copy TABLE COLUMN=VALUE"; the
 * QUERY_HISTORY_BY_USER table function lists the user's running statements too (no
 * END_TIME_RANGE_END), the newest 10000 (its limit applies before WHERE). Returns 0
 * when none runs (or none can be seen), STOP_INTERRUPTED on a signal. */
static int
wait_earlier(struct sf_session *s, const struct load *l, const char *tag)
{
	struct buf q = {0};
	const char *dot = strchr(l->table, '.');
	char err[1024], *id = NULL, *seen = NULL;
	time_t t0 = time(NULL);
	unsigned pause = 1;
	int rc;

	buf_addstr(&q, "SELECT QUERY_ID FROM TABLE(");
	if (dot && strchr(dot + 1, '.'))	/* db.schema.table: that database's information schema */
		buf_printf(&q, "%.*s.", (int)(dot - l->table), l->table);
	buf_addstr(&q, "INFORMATION_SCHEMA.QUERY_HISTORY_BY_USER(RESULT_LIMIT => 10000))\n  WHERE QUERY_TAG = ");
	sql_quote_string(&q, tag);
	buf_addstr(&q, " AND EXECUTION_STATUS IN ('RUNNING', 'QUEUED', 'BLOCKED', 'RESUMING_WAREHOUSE')\n"
	    "  ORDER BY START_TIME");
	for (;;) {
		if ((rc = sf_execute(s, q.p, on_earlier, &id, err, sizeof err))) {
			if (rc != STOP_INTERRUPTED) {
				/* the table's lock still keeps two loads apart: load, and say why no wait */
				warnmsg("%s: cannot look for an earlier load (%s); loading", s->what, err);
				rc = 0;
			}
			break;
		}
		if (!id)
			break;
		if (!seen || strcmp(seen, id) != 0) {
			warnmsg("%s: an earlier load (%s) is still running; waiting for it", s->what, id);
			free(seen);
			seen = id;
		} else {
			progress("%s: the earlier load (%s) still runs after %lld s", s->what, id,
			    (long long)(time(NULL) - t0));
			free(id);
		}
		id = NULL;
		sleep(pause);	/* a signal ends it early */
		if (stop_requested) {
			rc = STOP_INTERRUPTED;
			break;
		}
		if (pause < 8)
			pause *= 2;
	}
	if (seen && !rc)
		progress("%s: the earlier load (%s) has ended", s->what, seen);
	free(seen);
	buf_free(&q);
	return rc;
}

/* A DESC TABLE row: kept whole (name, type, kind, …). */
static void
on_column(const char *line, size_t len, void *arg)
{
	json_t *o = json_loadb(line, len, 0, NULL);

	if (!o)
		die(EX_PROTOCOL, "DESC TABLE: a result row is not JSON");
	json_array_append_new(arg, o);
}

static void
on_nothing(const char *line, size_t len, void *arg)
{
	(void)line, (void)len, (void)arg;
}

/* A column name as the report shows it: quoted as SQL quotes it. */
static const char *
col_shown(struct buf *b, const char *name)
{
	buf_reset(b);
	buf_add(b, NULL, 0);
	if (sql_quote_ident(b, name, SQL_SNOWFLAKE) < 0)
		buf_addstr(b, "(a name with control characters)");
	return b->p;
}

/* A differing column as the stop's table names it: "Fare" (table: "fare") for a rename. */
static const char *
diff_shown(struct buf *t, struct buf *b, const struct evolve_diff *d)
{
	buf_reset(t);
	buf_add(t, NULL, 0);
	buf_addstr(t, col_shown(b, d->column));
	if (d->table_column && strcmp(d->table_column, d->column) != 0)
		buf_printf(t, " (table: %s)", col_shown(b, d->table_column));
	return t->p;
}

/* The stop: one line naming the load, a table of the differing columns, and what -e add
 * would run; nothing has been run. */
static void __attribute__((noreturn))
evolve_stop(const struct sf_session *s, const struct evolve *e, const char *alter)
{
	struct buf b = {0}, t = {0};
	size_t i, w = strlen("column");
	const char *p, *nl;

	for (i = 0; i < e->ndiff; i++) {
		diff_shown(&t, &b, &e->diff[i]);
		if (t.len > w)
			w = t.len;
	}
	warnmsg("%s: the files' schema differs from the table's:", s->what);
	fprintf(stderr, "  %-*s  %-12s  %-20s  %s\n", (int)w, "column", "change", "file type", "table type");
	for (i = 0; i < e->ndiff; i++) {
		const struct evolve_diff *d = &e->diff[i];

		fprintf(stderr, "  %-*s  %-12s  %-20s  %s\n", (int)w, diff_shown(&t, &b, d), evolve_change_name(d->change),
		    d->file_type ? d->file_type : "-", d->table_type ? d->table_type : "-");
	}
	if (e->stops)
		fputs("  narrowed and incompatible changes stop the load under every -e setting\n", stderr);
	else if (*alter)
		fprintf(stderr, "  -e add would run, before the load:\n");
	else
		fputs("  -e add would run no statement\n", stderr);
	for (p = alter; !e->stops && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		fprintf(stderr, "    %.*s\n", (int)(nl - p), p);
	}
	buf_free(&b);
	buf_free(&t);
	die(EX_DATAERR, "%s: stopped before the load; no statement changed the table", s->what);
}

/* The files' schema against the table's (DESC TABLE): a difference stops under strict; under
 * add the table gets the added and widened columns (one request, before the load's: DDL would
 * commit the load's transaction) and *sql is rebuilt when a column is loaded under the table's
 * spelling of its name. A table DESC cannot describe is left to the load to report. */
static void
evolve(struct sf_session *s, struct load *l, int add, char **sql)
{
	struct evolve e = {0};
	struct buf q = {0}, b = {0};
	json_t *cols = json_array();
	char err[1024], *alter, *p, *nl;
	size_t i;
	int rc;

	buf_addstr(&q, "DESC TABLE ");
	sql_quote_name(&q, l->table, SQL_SNOWFLAKE);
	rc = sf_execute(s, q.p, on_column, cols, err, sizeof err);
	if (rc == STOP_INTERRUPTED)
		die(stop_status(rc), "%s: interrupted", s->what);
	if (rc == EX_DATAERR) {
		progress("%s: cannot describe the table (%s); loading", s->what, err);
		goto out;
	}
	if (rc)
		die(rc, "%s", err);
	if (evolve_compare(&e, l->schema, cols, l->part_col, err, sizeof err) < 0)
		die(EX_PROTOCOL, "%s: DESC TABLE: %s", s->what, err);
	if (e.ndiff == 0)
		goto out;
	if (!(alter = evolve_sql(&e, l->table, err, sizeof err)))
		die(EX_DATAERR, "%s: %s", s->what, err);
	if (!add || e.stops)
		evolve_stop(s, &e, alter);
	for (p = alter; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		warnmsg("%s: before the load, outside its transaction: %.*s", s->what, (int)(nl - p), p);
	}
	if (*alter && (rc = sf_execute(s, alter, on_nothing, NULL, err, sizeof err)))
		die(stop_status(rc), "%s", err);
	buf_add(&b, NULL, 0);
	for (i = 0; i < e.ndiff; i++) {
		if (e.diff[i].change != EVOLVE_DROPPED)
			continue;
		buf_addstr(&b, b.len ? ", " : "");
		buf_addstr(&b, col_shown(&q, e.diff[i].column));
	}
	if (b.len)
		warnmsg("%s: not in the files, loaded as NULL: %s", s->what, b.p);
	if ((l->rename = evolve_renames(&e))) {
		const char *from;
		json_t *to;

		json_object_foreach(l->rename, from, to) {
			col_shown(&b, from);
			warnmsg("%s: the files' %s loads into the table's %s", s->what, b.p,
			    col_shown(&q, json_string_value(to)));
		}
		free(*sql);
		if (!(*sql = load_sql(l, err, sizeof err)))
			die(EX_DATAERR, "%s", err);
	}
	free(alter);
out:
	evolve_free(&e);
	json_decref(cols);
	buf_free(&q);
	buf_free(&b);
}

static int
load(struct load *l, const char *conn_name, int add, char *sql)
{
	struct result res = { l, ecalloc(l->nfiles, 1), 0, 0 };
	struct sf_conn conn;
	struct sf_session s;
	char err[1024], *tag;
	size_t i;
	int rc;

	if ((rc = sf_conn_load(&conn, conn_name, err, sizeof err)))
		die(rc, "%s", err);
	if ((rc = sf_session_open(&s, &conn, 0, err, sizeof err)))
		die(rc, "%s", err);
	s.what = esprintf("%s %s=%s", l->table, l->part_col, l->part_value);
	stop_signals_catch();
	http_init();
	tag = load_tag(l);
	if ((rc = wait_earlier(&s, l, tag)))
		die(stop_status(rc), "%s: interrupted", s.what);
	s.query_tag = tag;	/* the ALTER statements of -e add are the load's too */
	evolve(&s, l, add, &sql);
	progress("%s: loading %zu files, %lld rows", s.what, l->nfiles, l->rows);
	rc = sf_execute(&s, sql, on_row, &res, err, sizeof err);
	if (fflush(stdout) != 0)
		stdout_fail();
	if (rc == STOP_INTERRUPTED)
		die(stop_status(rc), "%s: interrupted", s.what);
	/* A statement that fails ends the request before COMMIT, and the session's
	 * TRANSACTION_ABORT_ON_ERROR has already rolled the transaction back. */
	if (rc == EX_DATAERR)
		die(rc, "%s; rolled back, the table is as it was", err);
	if (rc)
		die(rc, "%s", err);
	for (i = 0; i < l->nfiles; i++) {
		if (!res.seen[i]) {
			warnmsg("%s: not in the COPY result", l->files[i].url);
			res.bad = 1;
		}
	}
	if (res.loaded != l->rows) {
		warnmsg("%s: %lld rows loaded, the footers count %lld", s.what, res.loaded, l->rows);
		res.bad = 1;
	}
	progress("%s: %lld rows loaded", s.what, res.loaded);
	free(res.seen);
	free(tag);
	free(sql);
	json_decref(l->rename);
	l->rename = NULL;
	free((char *)s.what);
	sf_session_close(&s);
	sf_conn_free(&conn);
	return res.bad ? EX_CHECK : 0;
}

/* -s stage=url: the stage as SQL names it and the URL it was created with. */
static void
stage_parse(struct load *l, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq)
		die(EX_USAGE, "-s %s: expected stage=s3://bucket/prefix/", arg);
	*eq = '\0';
	l->stage = arg[0] == '@' ? arg + 1 : arg;
	l->stage_url = eq + 1;
	if (!sql_name_valid(l->stage, SQL_SNOWFLAKE))
		die(EX_USAGE, "-s %s: not a stage name (db.schema.stage, plain identifiers)", arg);
	if (strncmp(l->stage_url, "s3://", 5) != 0 || l->stage_url[5] == '/' || l->stage_url[5] == '\0' ||
	    l->stage_url[strlen(l->stage_url) - 1] != '/')
		die(EX_USAGE, "-s %s: the stage URL must be s3://bucket/[prefix/], ending in /", l->stage_url);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "ddl", no_argument, NULL, 'd' },
		{ "schema-evolution", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct load l = {0};
	char *conn_name = NULL, *pipe = NULL, *sql, err[1024];
	const char *name = "stdin";
	int c, ddl = 0, dry = 0, if_not_exists = 0, add = 0, rc;
	size_t lineno = 0;
	FILE *in = stdin;
	json_t *line;

	setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, "P:c:de:hik:np:s:t:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conn_name = optarg; break;
		case 'd': ddl = 1; break;
		case 'e':
			if (strcmp(optarg, "strict") != 0 && strcmp(optarg, "add") != 0)
				die(EX_USAGE, "-e %s: expected strict or add", optarg);
			add = strcmp(optarg, "add") == 0;
			break;
		case 'i': if_not_exists = 1; break;
		case 'n': dry = 1; break;
		case 'k': l.part_key = optarg; break;
		case 'p': l.part_col = optarg; break;
		case 'P': pipe = optarg; break;
		case 's': stage_parse(&l, optarg); break;
		case 't': l.table = optarg; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || !l.table)
		usage();
	if (!sql_name_valid(l.table, SQL_SNOWFLAKE))
		die(EX_USAGE, "-t %s: not a table name (db.schema.table, plain identifiers)", l.table);
	if (l.part_col && (!*l.part_col || strpbrk(l.part_col, "/=")))
		die(EX_USAGE, "-p %s: not a partition key", l.part_col);
	if (l.part_key && (!l.part_col || !*l.part_key || strpbrk(l.part_key, "/=")))
		die(EX_USAGE, "-k %s: not a path key, or no -p column", l.part_key);
	if (!ddl && (!l.stage || !l.part_col))
		die(EX_USAGE, "%s needs -s stage=url and -p column", pipe ? "a pipe" : "a load");
	if (pipe && ddl)
		die(EX_USAGE, "-P and --ddl print different statements; use one");
	if (if_not_exists && !ddl)
		die(EX_USAGE, "-i goes with --ddl");
	if (argc == 1 && strcmp(argv[0], "-") != 0) {
		name = argv[0];
		if (!(in = fopen(name, "r")))
			die(EX_NOINPUT, "%s: %s", name, strerror(errno));
	}
	l.ddl = ddl || pipe;
	l.merge = ddl;
	while ((line = jsonl_read(in, name, &lineno))) {
		char where[256];

		snprintf(where, sizeof where, "%s:%zu", name, lineno);
		rc = load_add(&l, line, where, err, sizeof err);
		json_decref(line);
		if (rc < 0)
			die(EX_DATAERR, "%s", err);
	}
	if (l.nfiles == 0)
		die(EX_DATAERR, "%s: no Parquet files", name);
	sql = ddl ? load_ddl(&l, if_not_exists, err, sizeof err) :
	    pipe ? load_pipe_sql(&l, pipe, err, sizeof err) : load_sql(&l, err, sizeof err);
	if (!sql)
		die(EX_DATAERR, "%s", err);
	if (ddl || pipe || dry) {
		fputs(sql, stdout);
		free(sql);
		rc = 0;
	} else {
		rc = load(&l, conn_name, add, sql);
	}
	load_free(&l);
	if (in != stdin)
		fclose(in);
	stdout_close();
	return rc;
}
