/* parity-check: print the profile SQL for Spark or Snowflake; compare the profiles they return
 * (and the footers' row counts) partition by partition. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonl.h"
#include "profile.h"
#include "sql.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: parity-check [-v] [-p key] source target [files] | "
	    "-s spark|snowflake -t table -p column [-V version] [-T columns] [-d date]... [files]\n");
	exit(EX_USAGE);
}

static FILE *
open_input(const char *path, const char **name)
{
	struct stat st;
	FILE *f;

	if (!path || strcmp(path, "-") == 0) {
		*name = "stdin";
		return stdin;
	}
	if (!(f = fopen(path, "r")))
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
		die(EX_NOINPUT, "%s: %s", path, strerror(EISDIR));
	*name = path;
	return f;
}

static void
close_input(FILE *f, const char *name)
{
	if (f != stdin && fclose(f) == EOF)
		die(EX_IOERR, "%s: %s", name, strerror(errno));
}

/* The target table's columns: the "name" of each line DESC TABLE printed through sf-exec. */
static char **
read_table_columns(const char *path, size_t *n)
{
	json_t *line;
	const char *name, *col;
	size_t lineno = 0;
	char **names = NULL;
	FILE *f = open_input(path, &name);

	*n = 0;
	while ((line = jsonl_read(f, name, &lineno))) {
		if (!(col = json_string_value(json_object_get(line, "name"))))
			die(EX_DATAERR, "%s:%zu: no \"name\" string; not a column of DESC TABLE", name, lineno);
		names = erealloc(names, (*n + 1) * sizeof *names);
		names[(*n)++] = estrdup(col);
		json_decref(line);
	}
	close_input(f, name);
	if (!*n)
		die(EX_DATAERR, "%s: no columns; DESC TABLE of the target expected", name);
	return names;
}

static int
print_sql(enum sql_dialect d, const char *table, const char *version, const char *part_col,
    char **dates, size_t ndates, const char *tpath, const char *path)
{
	struct profile p = { .version = version };
	const char *name;
	char err[1024], *where, *sql, **tcols = NULL;
	size_t lineno = 0, nfiles = 0, ntcols = 0, i, nabsent = 0;
	json_t *line;
	FILE *f = open_input(path, &name);

	while ((line = jsonl_read(f, name, &lineno))) {
		where = esprintf("%s:%zu", name, lineno);
		if (profile_add_schema(&p, line, where, err, sizeof err) < 0)
			die(EX_DATAERR, "%s", err);
		free(where);
		json_decref(line);
		nfiles++;
	}
	close_input(f, name);
	if (!nfiles)
		die(EX_DATAERR, "%s: no Parquet files to take the schema from", name);
	if (tpath) {
		tcols = read_table_columns(tpath, &ntcols);
		if (profile_table_columns(&p, tcols, ntcols, part_col, err, sizeof err) < 0)
			die(EX_DATAERR, "%s: %s", tpath, err);
		for (i = 0; i < p.ncols; i++) {
			if (p.cols[i].from)
				progress("column \"%s\": read from the table's \"%s\" (case only)",
				    p.cols[i].name, p.cols[i].from);
			if (p.cols[i].absent) {
				progress("column \"%s\": the table's only: checked to be all NULL", p.cols[i].name);
				nabsent++;
			}
		}
		for (i = 0; i < ntcols; i++)
			free(tcols[i]);
		free(tcols);
	}
	if (!(sql = profile_sql(&p, d, table, part_col, dates, ndates, err, sizeof err)))
		die(EX_USAGE, "%s", err);
	progress("%zu files, %zu columns", nfiles, p.ncols - nabsent);
	if (fputs(sql, stdout) == EOF || fflush(stdout) == EOF)
		stdout_fail();
	free(sql);
	profile_free(&p);
	return 0;
}

/* One side's profile: partition -> line, every value checked. */
static json_t *
read_profile(const char *path)
{
	json_t *all = json_object(), *line, *v;
	const char *name, *k, *part;
	size_t lineno = 0;
	char *t, err[512];
	FILE *f = open_input(path, &name);

	while ((line = jsonl_read(f, name, &lineno))) {
		if (!(part = json_string_value(json_object_get(line, "partition"))))
			die(EX_DATAERR, "%s:%zu: no \"partition\" string", name, lineno);
		if (json_object_get(all, part))
			die(EX_DATAERR, "%s:%zu: partition %s a second time", name, lineno, part);
		json_object_foreach(line, k, v) {
			if (profile_value(v, &t) < 0)
				die(EX_DATAERR, "%s:%zu: \"%s\": not a string, an integer or null%s", name,
				    lineno, k, json_is_real(v) ? " (decimals must come as strings)" : "");
			free(t);
		}
		if (profile_sums_combine(line, err, sizeof err) < 0)
			die(EX_DATAERR, "%s:%zu: %s", name, lineno, err);
		if (!json_object_get(line, "rows"))
			die(EX_DATAERR, "%s:%zu: no \"rows\"; not a parity-check profile", name, lineno);
		json_object_set_new(all, part, line);
	}
	close_input(f, name);
	return all;
}

/* The footers' rows of each partition: partition -> decimal text of the sum. */
static json_t *
read_files(const char *path, const char *key)
{
	json_t *sums = json_object(), *line, *rows, *sum;
	const char *name, *part, *s;
	long long n, have;
	size_t lineno = 0;
	char *end;
	FILE *f = open_input(path, &name);

	while ((line = jsonl_read(f, name, &lineno))) {
		part = json_string_value(json_object_get(json_object_get(line, "partition"), key));
		if (!part)
			die(EX_DATAERR, "%s:%zu: no partition %s= in the file's path", name, lineno, key);
		rows = json_object_get(line, "rows");
		if (json_is_integer(rows)) {
			n = json_integer_value(rows);
		} else if ((s = json_string_value(rows))) {
			errno = 0;
			n = strtoll(s, &end, 10);
			if (errno || end == s || *end)
				n = -1;
		} else {
			n = -1;
		}
		if (n < 0)
			die(EX_DATAERR, "%s:%zu: no footer row count (\"rows\")", name, lineno);
		sum = json_object_get(sums, part);
		have = sum ? json_integer_value(sum) : 0;
		if (have > LLONG_MAX - n)
			die(EX_DATAERR, "%s:%zu: row count overflows", name, lineno);
		json_object_set_new(sums, part, json_integer(have + n));
		json_decref(line);
	}
	close_input(f, name);
	return sums;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
add_keys(const char ***keys, size_t *n, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		*keys = erealloc(*keys, (*n + 1) * sizeof **keys);
		(*keys)[(*n)++] = k;
	}
}

/* The Delta version a source profile read (parity-check -V): taken out of the metrics and
 * said in the output line, as a number (a string beyond 2^53). */
static void
source_version(json_t *s, json_t *out, const char *spath, const char *part)
{
	json_t *v = json_object_get(s, "version");
	const char *text = json_string_value(v);

	if (!v)
		return;
	if (!text || !profile_version_valid(text))
		die(EX_DATAERR, "%s: partition %s: \"version\": not a Delta version", spath, part);
	json_object_set_new(out, "version", jsonl_int(strtoll(text, NULL, 10)));
	json_object_del(s, "version");
}

static int
compare(const char *spath, const char *tpath, const char *fpath, const char *key)
{
	json_t *src = read_profile(spath), *tgt = read_profile(tpath);
	json_t *files = fpath ? read_files(fpath, key) : NULL;
	json_t *s, *t, *fr, *out, *diff, *missing;
	const char **keys = NULL;
	size_t nkeys = 0, i, bad = 0;
	char *rows;

	add_keys(&keys, &nkeys, src);
	add_keys(&keys, &nkeys, tgt);
	if (files)
		add_keys(&keys, &nkeys, files);
	if (!nkeys) {
		warnmsg("%s, %s: no partitions to compare", spath, tpath);
		return EX_CHECK;
	}
	qsort(keys, nkeys, sizeof *keys, cmp_str);
	for (i = 0; i < nkeys; i++) {
		if (i && strcmp(keys[i], keys[i - 1]) == 0)
			continue;
		s = json_object_get(src, keys[i]);
		t = json_object_get(tgt, keys[i]);
		fr = files ? json_object_get(files, keys[i]) : NULL;
		out = json_pack("{s:s}", "partition", keys[i]);
		if (s)
			source_version(s, out, spath, keys[i]);
		if (!s || !t || (files && !fr)) {
			missing = json_array();
			if (!s)
				json_array_append_new(missing, json_string("source"));
			if (!t)
				json_array_append_new(missing, json_string("target"));
			if (files && !fr)
				json_array_append_new(missing, json_string("files"));
			json_object_set_new(out, "status", json_string("missing"));
			json_object_set_new(out, "missing", missing);
		} else {
			rows = fr ? esprintf("%lld", (long long)json_integer_value(fr)) : NULL;
			diff = profile_diff(s, t, rows);
			free(rows);
			if (json_array_size(diff) == 0) {
				json_object_set_new(out, "status", json_string("match"));
				json_decref(diff);
			} else {
				json_object_set_new(out, "status", json_string("mismatch"));
				json_object_set_new(out, "diff", diff);
			}
		}
		if (strcmp(json_string_value(json_object_get(out, "status")), "match") != 0)
			bad++;
		progress("%s: %s", keys[i], json_string_value(json_object_get(out, "status")));
		jsonl_print(out);
		json_decref(out);
	}
	if (fflush(stdout) == EOF)
		stdout_fail();
	free(keys);
	json_decref(src), json_decref(tgt), json_decref(files);
	return bad ? EX_CHECK : 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "sql", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dialect = NULL, *table = NULL, *part = NULL, *version = NULL, *tcols = NULL;
	char **dates = NULL;
	size_t ndates = 0;
	enum sql_dialect d = SQL_SPARK;
	int c, rc;

	setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, "d:hp:s:t:T:vV:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!sql_date_valid(optarg))
				die(EX_USAGE, "-d %s: not a date (YYYY-MM-DD)", optarg);
			dates = erealloc(dates, (ndates + 1) * sizeof *dates);
			dates[ndates++] = optarg;
			break;
		case 'p':
			part = optarg;
			break;
		case 's':
			dialect = optarg;
			break;
		case 't':
			table = optarg;
			break;
		case 'T':
			tcols = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			if (!profile_version_valid(optarg))
				die(EX_USAGE, "-V %s: not a Delta version (0 to 2^63-1)", optarg);
			version = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (dialect) {
		if (strcmp(dialect, "spark") == 0 || strcmp(dialect, "databricks") == 0)
			d = SQL_SPARK;
		else if (strcmp(dialect, "snowflake") == 0)
			d = SQL_SNOWFLAKE;
		else
			die(EX_USAGE, "--sql %s: not spark or snowflake", dialect);
		if (!table || !part || argc > 1)
			usage();
		if (!sql_name_valid(table, d))
			die(EX_USAGE, "-t %s: not a table name (db.schema.table, plain identifiers)", table);
		if (version && d != SQL_SPARK)
			die(EX_USAGE, "-V %s: a Delta version, for --sql spark only", version);
		/* The source is read at the version the files were exported from: it holds exactly
		 * the files' columns, whatever the target table holds since. */
		if (tcols && d != SQL_SNOWFLAKE)
			die(EX_USAGE, "-T %s: the target table's columns, for --sql snowflake only", tcols);
		if (tcols && strcmp(tcols, "-") == 0 && (!argc || strcmp(argv[0], "-") == 0))
			die(EX_USAGE, "-T and the files cannot both be standard input");
		rc = print_sql(d, table, version, part, dates, ndates, tcols, argc ? argv[0] : NULL);
		stdout_close();
		return rc;
	}
	if (table || version || tcols || ndates || argc < 2 || argc > 3)
		usage();
	if (strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0)
		die(EX_USAGE, "source and target cannot both be standard input");
	rc = compare(argv[0], argv[1], argc > 2 ? argv[2] : NULL, part ? part : "date");
	stdout_close();
	return rc;
}
