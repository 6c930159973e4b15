/* row-diff: when parity says mismatch, name the rows. Checksum bisection over hash buckets of
 * the key, computed inside Databricks (source) and Snowflake (target) side by side, then the
 * rows of the few differing buckets fetched and compared by key. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "databricks.h"
#include "http.h"
#include "jsonl.h"
#include "profile.h"
#include "snowflake.h"
#include "sql.h"
#include "util.h"

#define PREFIX "dbx2sf_"
#define KEY_MD5 PREFIX "kmd5"
#define ROW_MD5 PREFIX "md5"
#define KEY_HASH PREFIX "key"
#define ROW_SUM PREFIX "sum"
#define LINE PREFIX "line"
#define HASH_SPACE (1ULL << 48)	/* the key hash: the low 48 bits of its MD5 */

enum side { SOURCE, TARGET };
static const char *side_name[] = { "source", "target" };
static const enum sql_dialect dialect[] = { SQL_SPARK, SQL_SNOWFLAKE };

struct opts {
	const char *table[2], *date_col, *date, *version;
	size_t *key;		/* indexes into prof.cols */
	size_t nkey;
	unsigned long long factor;
	long long threshold, max;
};

static struct profile prof;

/* A worker: one child process per engine, with its own connection cache, so that both engines
 * run their statements at the same time. Requests go as NUL-terminated statements ending with
 * an empty one; each statement's rows come back as JSON lines, as sf-exec and dbx-exec print
 * them, ended by an empty line. A worker that fails says why on stderr and exits with its
 * sysexits code, which the parent then exits with. */
struct worker {
	pid_t pid;
	FILE *to, *from;
	long statements;
};
static struct worker workers[2];

static void
usage(void)
{
	fprintf(stderr, "usage: row-diff [-nv] [-b factor] [-c connection] [-m max] [-p profile] "
	    "[-T rows] [-V version] [-w warehouse] -s source -t target -C column -d date -K key[,key]... "
	    "[files.jsonl]\n");
	exit(EX_USAGE);
}

/* ---- the workers ---- */

struct sink {
	FILE *out;
	struct buf line;
	const char *id;
};

static void
sink_put(const char *line, size_t len, void *arg)
{
	struct sink *s = arg;

	if (fwrite(line, 1, len, s->out) != len)
		exit(EX_IOERR);	/* the parent is gone */
}

static void
dbx_put(json_t *columns, json_t *row, void *arg)
{
	struct sink *s = arg;
	const char *bad = NULL;

	buf_reset(&s->line);
	if (dbx_row_json(columns, row, &s->line, &bad) != 0)
		die(EX_PROTOCOL, "source: statement %s: column %s: malformed value", s->id, bad);
	sink_put(s->line.p, s->line.len, s);
}

/* Reads one request: its statements, NULL-terminated. NULL at the end of input. */
static char **
request_read(FILE *in)
{
	char **stmts = NULL, *line = NULL;
	size_t n = 0, cap = 0;
	ssize_t len;

	for (;;) {
		if ((len = getdelim(&line, &cap, '\0', in)) <= 0) {
			free(line);
			while (n)
				free(stmts[--n]);
			free(stmts);
			return NULL;
		}
		stmts = erealloc(stmts, (n + 1) * sizeof *stmts);
		if (len == 1) {
			stmts[n] = NULL;
			free(line);
			return stmts;
		}
		stmts[n++] = estrndup(line, (size_t)len - 1);
	}
}

static void __attribute__((noreturn))
worker_run(enum side side, struct dbx *d, struct sf_session *s, FILE *in, FILE *out)
{
	struct sink sk = { out, { 0 }, NULL };
	char **stmts, err[1024];
	json_t *body, *resp;
	size_t i;
	int rc;

	verbose = verbose > 1;	/* -vv: the clients' own progress too */
	http_init();
	while ((stmts = request_read(in))) {
		for (i = 0; stmts[i]; i++) {
			if (side == SOURCE) {
				body = dbx_statement_body(d->warehouse, stmts[i], NULL, 0, DBX_INLINE);
				if ((rc = dbx_execute(d, body, &resp, err, sizeof err)) == 0) {
					sk.id = json_string_value(json_object_get(resp, "statement_id"));
					rc = dbx_result_foreach(d, resp, dbx_put, &sk, err, sizeof err);
					json_decref(resp);
				}
				json_decref(body);
			} else {
				rc = sf_execute(s, stmts[i], sink_put, &sk, err, sizeof err);
			}
			if (rc == STOP_INTERRUPTED)
				exit(stop_status(rc));
			if (rc)
				die(rc, "%s %s: %s", side_name[side], side == SOURCE ? "databricks" : "snowflake", err);
			sink_put("\n", 1, &sk);
			free(stmts[i]);
		}
		free(stmts);
		if (fflush(out) == EOF)
			exit(EX_IOERR);
	}
	exit(0);
}

static void
workers_start(struct dbx *d, struct sf_session *s)
{
	int down[2], up[2];
	enum side w;

	fflush(stdout), fflush(stderr);
	for (w = SOURCE; w <= TARGET; w++) {
		if (pipe(down) < 0 || pipe(up) < 0)
			die(EX_OSERR, "pipe: %s", strerror(errno));
		if ((workers[w].pid = fork()) < 0)
			die(EX_OSERR, "fork: %s", strerror(errno));
		if (workers[w].pid == 0) {
			FILE *in, *out;

			close(down[1]), close(up[0]);
			if (w == TARGET) {	/* the source worker's ends, inherited */
				fclose(workers[SOURCE].to);
				fclose(workers[SOURCE].from);
			}
			if (!(in = fdopen(down[0], "r")) || !(out = fdopen(up[1], "w")))
				die(EX_OSERR, "fdopen: %s", strerror(errno));
			worker_run(w, d, s, in, out);
		}
		close(down[0]), close(up[1]);
		if (!(workers[w].to = fdopen(down[1], "w")) || !(workers[w].from = fdopen(up[0], "r")))
			die(EX_OSERR, "fdopen: %s", strerror(errno));
	}
}

/* Ends a worker: its pipes closed (an idle worker reads the end of its requests, a busy one
 * can write no more), then SIGTERM, on which a running statement is cancelled. */
static int
worker_end(enum side w)
{
	int st = 0;

	if (workers[w].to)
		fclose(workers[w].to);
	if (workers[w].from)
		fclose(workers[w].from);
	workers[w].to = workers[w].from = NULL;
	kill(workers[w].pid, SIGTERM);
	return waitpid(workers[w].pid, &st, 0) == workers[w].pid ? st : -1;
}

/* A worker stopped: exit as it did (it has said why), or as the signal asked. */
static void __attribute__((noreturn))
workers_fail(enum side w)
{
	int st = 0, code = EX_SOFTWARE;

	if (stop_requested) {
		worker_end(SOURCE), worker_end(TARGET);
		warnmsg("interrupted");
		exit(stop_status(STOP_INTERRUPTED));
	}
	if (waitpid(workers[w].pid, &st, 0) == workers[w].pid) {
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			code = WEXITSTATUS(st);
		else if (WIFSIGNALED(st))
			code = 128 + WTERMSIG(st);
		else
			warnmsg("%s worker: ended without an answer", side_name[w]);
	}
	worker_end(w == SOURCE ? TARGET : SOURCE);
	exit(code);
}

static void
workers_stop(void)
{
	enum side w;

	for (w = SOURCE; w <= TARGET; w++) {
		fclose(workers[w].to);
		fclose(workers[w].from);
		waitpid(workers[w].pid, NULL, 0);
	}
}

/* ---- SQL ---- */

/* The date's rows: the columns asked (every one when cols), the key's MD5 and, with md5, the
 * row's MD5 that the checksum sums. */
static void
date_rows(struct buf *b, const struct opts *o, enum side w, int cols, int md5)
{
	enum sql_dialect d = dialect[w];
	size_t i;

	buf_addstr(b, "(SELECT ");
	if (cols)
		for (i = 0; i < prof.ncols; i++) {
			sql_ident(b, prof.cols[i].name, d);
			buf_addstr(b, ", ");
		}
	profile_md5_sql(b, &prof, o->key, o->nkey, d);
	buf_addstr(b, " AS ");
	sql_ident(b, KEY_MD5, d);
	if (md5) {
		buf_addstr(b, ",\n\t");
		profile_md5_sql(b, &prof, NULL, 0, d);
		buf_addstr(b, " AS ");
		sql_ident(b, ROW_MD5, d);
	}
	buf_addstr(b, "\n\tFROM ");
	sql_quote_name(b, o->table[w], d);
	if (w == SOURCE && o->version)
		buf_printf(b, " VERSION AS OF %s", o->version);
	buf_addstr(b, "\n\tWHERE ");
	sql_ident(b, o->date_col, d);
	buf_printf(b, " = DATE '%s') AS r", o->date);
}

static void
bucket_of(struct buf *b, const char *hash, unsigned long long mod)
{
	buf_printf(b, "MOD(%s, %llu)", hash, mod);
}

static void
in_list(struct buf *b, const unsigned long long *ids, size_t n)
{
	size_t i;

	buf_addstr(b, " IN (");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%llu", i ? ", " : "", ids[i]);
	buf_addstr(b, ")");
}

/* Per bucket of level mod of the buckets ids of level pmod (every row when n is 0): its
 * bucket, rows and checksum, as text. */
static char *
sum_sql(const struct opts *o, enum side w, unsigned long long pmod, const unsigned long long *ids,
    size_t n, unsigned long long mod)
{
	enum sql_dialect d = dialect[w];
	struct buf b = { 0 }, h = { 0 }, x = { 0 };

	sql_ident(&h, KEY_HASH, d);
	buf_addstr(&b, "SELECT ");
	bucket_of(&x, h.p, mod);
	profile_text_sql(&b, x.p, d);
	buf_addstr(&b, " AS ");
	sql_ident(&b, "bucket", d);
	buf_addstr(&b, ", ");
	profile_text_sql(&b, "COUNT(*)", d);
	buf_addstr(&b, " AS ");
	sql_ident(&b, "rows", d);
	buf_reset(&x);
	buf_addstr(&x, "SUM(");
	sql_ident(&x, ROW_SUM, d);
	buf_addstr(&x, ")");
	buf_addstr(&b, ", ");
	profile_text_sql(&b, x.p, d);
	buf_addstr(&b, " AS ");
	sql_ident(&b, "checksum", d);
	buf_addstr(&b, "\nFROM (SELECT ");
	profile_low48_sql(&b, KEY_MD5, d);
	buf_addstr(&b, " AS ");
	sql_ident(&b, KEY_HASH, d);
	buf_addstr(&b, ",\n\t");
	profile_low48_sql(&b, ROW_MD5, d);
	buf_addstr(&b, " AS ");
	sql_ident(&b, ROW_SUM, d);
	buf_addstr(&b, "\nFROM ");
	date_rows(&b, o, w, 0, 1);
	buf_addstr(&b, ") AS h\n");
	if (n) {
		buf_addstr(&b, "WHERE ");
		bucket_of(&b, h.p, pmod);
		in_list(&b, ids, n);
		buf_addstr(&b, "\n");
	}
	buf_addstr(&b, "GROUP BY ");
	bucket_of(&b, h.p, mod);
	buf_addstr(&b, ";\n");
	buf_free(&h), buf_free(&x);
	return b.p;
}

/* Every column as the engine's client types it, and its canonical text as dbx2sf_c<i>, of the
 * rows in buckets ids of level mod. */
static char *
rows_sql(const struct opts *o, enum side w, const unsigned long long *ids, size_t n,
    unsigned long long mod)
{
	enum sql_dialect d = dialect[w];
	struct buf b = { 0 }, q = { 0 }, x = { 0 };
	char name[32];
	size_t i;

	buf_addstr(&b, "SELECT ");
	for (i = 0; i < prof.ncols; i++) {
		buf_reset(&q);
		sql_ident(&q, prof.cols[i].name, d);
		buf_printf(&b, "%s%s", i ? ", " : "", q.p);
	}
	for (i = 0; i < prof.ncols; i++) {
		if (prof.cols[i].kind == PROFILE_NULLS_ONLY)
			continue;
		buf_reset(&q);
		sql_ident(&q, prof.cols[i].name, d);
		buf_addstr(&b, ",\n\t");
		profile_canon_sql(&b, &prof.cols[i], q.p, d);
		snprintf(name, sizeof name, PREFIX "c%zu", i);
		buf_addstr(&b, " AS ");
		sql_ident(&b, name, d);
	}
	buf_addstr(&b, "\nFROM ");
	date_rows(&b, o, w, 1, 0);
	buf_addstr(&b, "\nWHERE ");
	profile_low48_sql(&x, KEY_MD5, d);
	bucket_of(&b, x.p, mod);
	in_list(&b, ids, n);
	buf_addstr(&b, ";\n");
	buf_free(&q), buf_free(&x);
	return b.p;
}

/* ---- one round: the same statements' shapes to both engines at once ---- */

struct counts {
	long statements, rows_fetched[2], buckets, rounds;
};
static struct counts count;

static void
request_send(enum side w, char **stmts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fwrite(stmts[i], 1, strlen(stmts[i]) + 1, workers[w].to) != strlen(stmts[i]) + 1)
			workers_fail(w);
	if (fputc('\0', workers[w].to) == EOF || fflush(workers[w].to) == EOF)
		workers_fail(w);
}

/* The rows of one statement's answer, each a JSON object, appended to *rows. */
static void
receive(enum side w, json_t *rows)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_error_t e;
	json_t *v;

	for (;;) {
		errno = 0;
		if ((len = getline(&line, &cap, workers[w].from)) <= 0)
			workers_fail(w);
		if (len == 1 && line[0] == '\n')
			break;
		if (!(v = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &e)) || !json_is_object(v))
			die(EX_SOFTWARE, "%s worker: not a JSON object: %s", side_name[w], e.text);
		/* The text as the client wrote it: jansson would print floats with 17 digits. */
		json_object_set_new(v, LINE, json_stringn(line, (size_t)len));
		json_array_append_new(rows, v);
	}
	free(line);
}

/* ---- bucket checksums ---- */

struct bucket {
	unsigned long long id;
	long long rows[2];
	const char *sum[2];
};

static int
bucket_cmp(const void *a, const void *b)
{
	const struct bucket *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static unsigned long long
num(const json_t *row, const char *name, enum side w)
{
	const char *s = json_str(row, name);
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s == '-' || (v = strtoull(s, &end, 10), errno || *end))
		die(EX_PROTOCOL, "%s: \"%s\": not a count: %s", side_name[w], name, s ? s : "null");
	return v;
}

/* Both sides' bucket lines merged by bucket: the differing ones, in *diff. */
static struct bucket *
buckets_merge(json_t *rows[2], size_t *nb, long long total[2])
{
	struct bucket *b = NULL;
	size_t n = 0, i, k;
	enum side w;
	json_t *r;

	for (w = SOURCE; w <= TARGET; w++)
		json_array_foreach(rows[w], i, r) {
			b = erealloc(b, (n + 1) * sizeof *b);
			memset(&b[n], 0, sizeof *b);
			b[n].id = num(r, "bucket", w);
			b[n].rows[w] = (long long)num(r, "rows", w);
			b[n].sum[w] = json_str(r, "checksum");
			total[w] += b[n].rows[w];
			n++;
		}
	qsort(b, n, sizeof *b, bucket_cmp);
	for (i = k = 0; i < n; i++) {
		if (k && b[k - 1].id == b[i].id) {
			for (w = SOURCE; w <= TARGET; w++)
				if (b[i].sum[w]) {
					if (b[k - 1].sum[w])
						die(EX_PROTOCOL, "%s: bucket %llu twice", side_name[w], b[i].id);
					b[k - 1].sum[w] = b[i].sum[w];
					b[k - 1].rows[w] = b[i].rows[w];
				}
			continue;
		}
		b[k++] = b[i];
	}
	*nb = k;
	return b;
}

static int
bucket_differs(const struct bucket *b)
{
	return b->rows[SOURCE] != b->rows[TARGET] || !b->sum[SOURCE] || !b->sum[TARGET] ||
	    !profile_value_equal("checksum", b->sum[SOURCE], b->sum[TARGET]);
}

/* ---- rows compared by key ---- */

struct row {
	enum side side;
	json_t *obj;		/* the columns, parsed */
	char *raw;		/* the columns as the engine's client wrote them: a JSON object */
	size_t *span;		/* column i's "name":value is raw[span[2i], span[2i+1]) */
	char **text;		/* each column's canonical text; NULL for NULL; "" for a column
				 * compared by nullness only */
	char *key;		/* the key's texts, unambiguous */
};

static int
text_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b ? 0 : !a ? -1 : 1;
	return strcmp(a, b);
}

static int
row_values_cmp(const struct row *x, const struct row *y)
{
	size_t i;
	int c;

	for (i = 0; i < prof.ncols; i++)
		if ((c = text_cmp(x->text[i], y->text[i])))
			return c;
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if ((c = strcmp(x->key, y->key)))
		return c;
	if (x->side != y->side)
		return x->side < y->side ? -1 : 1;
	return row_values_cmp(x, y);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Past one JSON value (or name) at p; NULL when malformed. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++, p++;
			continue;
		} else if (*p == '}' || *p == ']') {
			if (--depth < 0)
				return NULL;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (!depth)
				return NULL;
			p++;
			continue;
		} else {
			while (p < end && !strchr(",:]} \t\r\n", *p))
				p++;
		}
	} while (depth > 0);
	return p;
}

/* The spans of the first n members of the JSON object text [p, end): 0, or -1. */
static int
members_scan(const char *p, const char *end, size_t n, size_t *span)
{
	const char *b = p;
	size_t i;

	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	for (i = 0; i < n; i++) {
		p = skip_ws(p, end);
		span[2 * i] = (size_t)(p - b);
		if (!(p = skip_value(p, end)) || (p = skip_ws(p, end)) >= end || *p++ != ':' ||
		    !(p = skip_value(p, end)))
			return -1;
		span[2 * i + 1] = (size_t)(p - b);
		p = skip_ws(p, end);
		if (p >= end || (*p != ',' && *p != '}'))
			return -1;
		p++;
	}
	return 0;
}

static void
row_init(struct row *r, enum side w, json_t *obj, const struct opts *o)
{
	struct buf k = { 0 };
	char name[32];
	json_t *v;
	size_t i;

	r->side = w;
	r->text = ecalloc(prof.ncols, sizeof *r->text);
	for (i = 0; i < prof.ncols; i++) {
		if (prof.cols[i].kind == PROFILE_NULLS_ONLY) {
			v = json_object_get(obj, prof.cols[i].name);
			if (!v)
				die(EX_PROTOCOL, "%s: no column \"%s\" in the rows", side_name[w], prof.cols[i].name);
			r->text[i] = json_is_null(v) ? NULL : estrdup("");
			continue;
		}
		snprintf(name, sizeof name, PREFIX "c%zu", i);
		v = json_object_get(obj, name);
		if (!v || (!json_is_null(v) && !json_is_string(v)))
			die(EX_PROTOCOL, "%s: column %s: not text", side_name[w], name);
		r->text[i] = json_is_null(v) ? NULL : estrdup(json_string_value(v));
		json_object_del(obj, name);
	}
	for (i = 0; i < o->nkey; i++) {
		const char *t = r->text[o->key[i]];

		if (t)
			buf_printf(&k, "%zu:%s;", strlen(t), t);
		else
			buf_addstr(&k, "-;");
	}
	r->key = k.p;
	r->obj = json_incref(obj);
	/* The fetch query selects the columns first, in order: their text is the raw row. */
	v = json_object_get(obj, LINE);
	r->span = ecalloc(2 * prof.ncols, sizeof *r->span);
	if (!json_is_string(v) || members_scan(json_string_value(v), json_string_value(v) +
	    json_string_length(v), prof.ncols, r->span) < 0)
		die(EX_PROTOCOL, "%s: a row that is not a JSON object of the columns", side_name[w]);
	r->raw = esprintf("%.*s}", (int)r->span[2 * prof.ncols - 1], json_string_value(v));
	json_object_del(obj, LINE);
}

static void
row_free(struct row *r)
{
	size_t i;

	for (i = 0; i < prof.ncols; i++)
		free(r->text[i]);
	free(r->text);
	free(r->key);
	free(r->raw);
	free(r->span);
	json_decref(r->obj);
}

static void
raw_add(struct buf *b, const char *name, const struct row *g, size_t n, int array)
{
	size_t i;

	buf_printf(b, ",\"%s\":%s", name, array ? "[" : "");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? "," : "", g[i].raw);
	buf_addstr(b, array ? "]" : n ? "" : "null");
}

/* One key's rows, g[0..n) (source first): its line when it differs, in out. 0 when the key
 * does not differ. */
static int
key_diff(struct buf *out, struct row *g, size_t n, const struct opts *o)
{
	size_t ns = 0, nt, i, c;

	while (ns < n && g[ns].side == SOURCE)
		ns++;
	nt = n - ns;
	if (ns == nt) {
		for (i = 0; i < ns; i++)
			if (row_values_cmp(&g[i], &g[ns + i]))
				break;
		if (i == ns)
			return 0;	/* the same rows, duplicates too */
	}
	buf_reset(out);
	buf_addstr(out, "{\"key\":{");
	for (i = 0; i < o->nkey; i++) {
		c = o->key[i];
		buf_printf(out, "%s%.*s", i ? "," : "", (int)(g[0].span[2 * c + 1] - g[0].span[2 * c]),
		    g[0].raw + g[0].span[2 * c]);
	}
	buf_addstr(out, "},\"change\":");
	if (ns > 1 || nt > 1) {
		buf_addstr(out, "\"duplicate\"");
		raw_add(out, "source", g, ns, 1);
		raw_add(out, "target", g + ns, nt, 1);
	} else if (!nt || !ns) {
		buf_addstr(out, ns ? "\"missing\"" : "\"extra\"");
		raw_add(out, "source", g, ns, 0);
		raw_add(out, "target", g + ns, nt, 0);
	} else {
		buf_addstr(out, "\"changed\",\"columns\":[");
		for (i = c = 0; i < prof.ncols; i++)
			if (text_cmp(g[0].text[i], g[1].text[i])) {
				buf_addstr(out, c++ ? "," : "");
				jsonl_str_append(out, prof.cols[i].name, strlen(prof.cols[i].name));
			}
		buf_addstr(out, "]");
		raw_add(out, "source", g, 1, 0);
		raw_add(out, "target", g + 1, 1, 0);
	}
	buf_addstr(out, "}\n");
	return 1;
}

/* Compares the fetched rows of both sides by key and prints the differing keys, at most
 * *left of them. The keys printed. */
static long long
rows_compare(json_t *rows[2], const struct opts *o, long long *left)
{
	struct row *r = NULL;
	size_t n = 0, i, j;
	long long found = 0;
	enum side w;
	json_t *v;
	struct buf out = { 0 };

	for (w = SOURCE; w <= TARGET; w++) {
		r = erealloc(r, (n + json_array_size(rows[w]) + 1) * sizeof *r);
		json_array_foreach(rows[w], i, v)
			row_init(&r[n++], w, v, o);
	}
	qsort(r, n, sizeof *r, row_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(r[j].key, r[i].key) == 0; j++)
			;
		if (*left == 0)
			continue;
		if (key_diff(&out, &r[i], j - i, o)) {
			if (fwrite(out.p, 1, out.len, stdout) != out.len)
				stdout_fail();
			found++;
			if (*left > 0)
				(*left)--;
		}
	}
	for (i = 0; i < n; i++)
		row_free(&r[i]);
	free(r);
	buf_free(&out);
	return found;
}

/* ---- the bisection ---- */

static int
row_diff(const struct opts *o)
{
	unsigned long long pmod = 1, mod = o->factor, *split = NULL, *fetch = NULL, *nsplit, *nfetch;
	size_t nsp = 0, nfe = 0, nns, nnf, nb, i, nst;
	long long total[2] = { 0, 0 }, found = 0, left = o->max ? o->max : -1, differ = 0;
	struct bucket *b;
	json_t *res[2][2];
	char *stmts[2][2];
	enum side w;
	int first = 1;

	for (;;) {
		count.rounds++;
		nst = 0;
		if (first || nsp) {
			for (w = SOURCE; w <= TARGET; w++)
				stmts[w][nst] = sum_sql(o, w, pmod, split, nsp, mod);
			nst++;
		}
		if (nfe) {
			for (w = SOURCE; w <= TARGET; w++)
				stmts[w][nst] = rows_sql(o, w, fetch, nfe, pmod);
			nst++;
		}
		for (w = SOURCE; w <= TARGET; w++)
			request_send(w, stmts[w], nst);
		count.statements += (long)nst;
		for (w = SOURCE; w <= TARGET; w++)
			for (i = 0; i < nst; i++) {
				res[w][i] = json_array();
				receive(w, res[w][i]);
				free(stmts[w][i]);
			}
		nns = nnf = 0;
		nsplit = nfetch = NULL;
		if (first || nsp) {
			json_t *s[2] = { res[SOURCE][0], res[TARGET][0] };

			b = buckets_merge(s, &nb, first ? total : (long long[2]){ 0, 0 });
			count.buckets += (long)nb;
			for (i = 0; i < nb; i++) {
				if (!bucket_differs(&b[i]))
					continue;
				/* Split while a bucket is too big and the hash still has bits to split. */
				if ((b[i].rows[SOURCE] > o->threshold || b[i].rows[TARGET] > o->threshold) &&
				    mod < HASH_SPACE) {
					nsplit = erealloc(nsplit, (nns + 1) * sizeof *nsplit);
					nsplit[nns++] = b[i].id;
				} else {
					nfetch = erealloc(nfetch, (nnf + 1) * sizeof *nfetch);
					nfetch[nnf++] = b[i].id;
				}
			}
			progress("round %ld: %zu buckets of 1/%llu checked, %zu to split, %zu to fetch",
			    count.rounds, nb, mod, nns, nnf);
			free(b);
		}
		if (nfe) {
			json_t **f = nst == 2 ? (json_t *[2]){ res[SOURCE][1], res[TARGET][1] } :
			    (json_t *[2]){ res[SOURCE][0], res[TARGET][0] };

			for (w = SOURCE; w <= TARGET; w++)
				count.rows_fetched[w] += (long)json_array_size(f[w]);
			found += rows_compare(f, o, &left);
			differ += (long long)nfe;
		}
		for (w = SOURCE; w <= TARGET; w++)
			for (i = 0; i < nst; i++)
				json_decref(res[w][i]);
		free(split), free(fetch);
		split = nsplit, nsp = nns;
		fetch = nfetch, nfe = nnf;
		first = 0;
		if (left == 0 || (!nsp && !nfe))
			break;
		pmod = mod;
		if (nsp)
			mod = mod > HASH_SPACE / o->factor ? HASH_SPACE : mod * o->factor;
	}
	free(split), free(fetch);
	if (fflush(stdout) == EOF)
		stdout_fail();
	warnmsg("%s: rows compared %lld source, %lld target; %ld buckets checked; %ld rounds; "
	    "%ld statements per engine; rows fetched %ld source, %ld target; %lld keys differ%s",
	    o->date, total[SOURCE], total[TARGET], count.buckets, count.rounds, count.statements,
	    count.rows_fetched[SOURCE], count.rows_fetched[TARGET], found,
	    left == 0 ? " (stopped at -m; more may)" : "");
	if (!found && differ)
		warnmsg("%s: %lld buckets had other checksums but no row differs by its canonical text",
		    o->date, differ);
	return found || differ ? EX_CHECK : 0;
}

/* ---- setup ---- */

static void
schema_read(const char *path)
{
	const char *name = path && strcmp(path, "-") != 0 ? path : "stdin";
	FILE *f = strcmp(name, "stdin") == 0 ? stdin : fopen(path, "r");
	size_t lineno = 0, nfiles = 0, i;
	char err[1024], *where;
	json_t *line;

	if (!f)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	while ((line = jsonl_read(f, name, &lineno))) {
		where = esprintf("%s:%zu", name, lineno);
		if (profile_add_schema(&prof, line, where, err, sizeof err) < 0)
			die(EX_DATAERR, "%s", err);
		free(where);
		json_decref(line);
		nfiles++;
	}
	if (f != stdin)
		fclose(f);
	if (!nfiles)
		die(EX_DATAERR, "%s: no Parquet files to take the schema from", name);
	for (i = 0; i < prof.ncols; i++)
		if (strncmp(prof.cols[i].name, PREFIX, strlen(PREFIX)) == 0)
			die(EX_DATAERR, "%s: column \"%s\": names beginning " PREFIX " are row-diff's own",
			    name, prof.cols[i].name);
}

static void
key_parse(struct opts *o, const char *spec)
{
	char *s = estrdup(spec), *p, *save = NULL;
	size_t i;

	for (p = strtok_r(s, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < prof.ncols && strcmp(prof.cols[i].name, p) != 0; i++)
			;
		if (i == prof.ncols)
			die(EX_USAGE, "-K %s: no column \"%s\" in the files' schema", spec, p);
		if (prof.cols[i].kind == PROFILE_NULLS_ONLY)
			die(EX_USAGE, "-K %s: column \"%s\" cannot be a key: %s", spec, p, prof.cols[i].why);
		o->key = erealloc(o->key, (o->nkey + 1) * sizeof *o->key);
		o->key[o->nkey++] = i;
	}
	free(s);
	if (!o->nkey)
		die(EX_USAGE, "-K %s: no key column", spec);
}

static long long
count_arg(const char *s, const char *flag, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die(EX_USAGE, "%s %s: not a whole number from %lld to %lld", flag, s, min, max);
	return v;
}

static void
dry_run(const struct opts *o)
{
	enum side w;
	char *sql;

	for (w = SOURCE; w <= TARGET; w++) {
		sql = sum_sql(o, w, 1, NULL, 0, o->factor);
		printf("-- %s (%s): round 1, the checksum of each bucket\n%s", side_name[w],
		    w == SOURCE ? "databricks" : "snowflake", sql);
		free(sql);
	}
}

int
main(int argc, char *argv[])
{
	struct opts o = { { NULL, NULL }, NULL, NULL, NULL, NULL, 0, 32, 1000, 0 };
	const char *profile = NULL, *warehouse = NULL, *conn_name = NULL, *keyspec = NULL, *p;
	struct sf_conn conn;
	struct sf_session s;
	struct dbx d;
	char err[1024];
	int c, dry = 0, rc;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "C:K:T:V:b:c:d:hm:np:s:t:vw:")) != -1) {
		switch (c) {
		case 'C': o.date_col = optarg; break;
		case 'K': keyspec = optarg; break;
		case 'T': o.threshold = count_arg(optarg, "-T", 1, 100000000); break;
		case 'V':
			for (p = optarg; *p >= '0' && *p <= '9'; p++)
				;
			if (!*optarg || *p || strlen(optarg) > 18)
				die(EX_USAGE, "-V %s: not a Delta table version (digits)", optarg);
			o.version = optarg;
			break;
		case 'b': o.factor = (unsigned long long)count_arg(optarg, "-b", 2, 65536); break;
		case 'c': conn_name = optarg; break;
		case 'd':
			if (!sql_date_valid(optarg))
				die(EX_USAGE, "-d %s: not a date (YYYY-MM-DD)", optarg);
			o.date = optarg;
			break;
		case 'm': o.max = count_arg(optarg, "-m", 1, 1000000000); break;
		case 'n': dry = 1; break;
		case 'p': profile = optarg; break;
		case 's': o.table[SOURCE] = optarg; break;
		case 't': o.table[TARGET] = optarg; break;
		case 'v': verbose++; break;
		case 'w': warehouse = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || !o.table[SOURCE] || !o.table[TARGET] || !o.date_col || !o.date || !keyspec)
		usage();
	if (!sql_name_valid(o.table[SOURCE], SQL_SPARK))
		die(EX_USAGE, "-s %s: not a table name (catalog.schema.table, plain identifiers)", o.table[SOURCE]);
	if (!sql_name_valid(o.table[TARGET], SQL_SNOWFLAKE))
		die(EX_USAGE, "-t %s: not a table name (database.schema.table, plain identifiers)", o.table[TARGET]);
	if (!*o.date_col || sql_has_control(o.date_col))
		die(EX_USAGE, "-C: a column name without control characters");
	schema_read(argc ? argv[0] : NULL);
	key_parse(&o, keyspec);

	if (dry) {
		dry_run(&o);
		stdout_close();
		return 0;
	}
	if ((rc = dbx_config(&d, profile, warehouse, err, sizeof err)) != 0)
		die(rc, "%s", err);
	if ((rc = sf_conn_load(&conn, conn_name, err, sizeof err)))
		die(rc, "%s", err);
	if ((rc = sf_session_open(&s, &conn, 0, err, sizeof err)))
		die(rc, "%s", err);
	s.what = o.table[TARGET];
	stop_signals_catch();
	workers_start(&d, &s);
	rc = row_diff(&o);
	workers_stop();
	sf_session_close(&s);
	sf_conn_free(&conn);
	dbx_free(&d);
	profile_free(&prof);
	free(o.key);
	stdout_close();
	return rc;
}
