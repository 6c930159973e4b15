/* sf-exec: run SQL through the Snowflake SQL API v2 and print result rows as JSON lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "snowflake.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-nv] [-c connection] [-D name=value]... [-f file | sql]\n", argv0);
	exit(EX_USAGE);
}

/* What diagnostics call the statement: the file, or the first line of the text. */
static char *
label(const char *file, const char *sql)
{
	size_t n;

	if (file)
		return estrdup(strcmp(file, "-") == 0 ? "stdin" : file);
	sql += strspn(sql, " \t\r\n");
	n = strcspn(sql, "\r\n");
	while (n && (sql[n - 1] == ' ' || sql[n - 1] == '\t'))
		n--;
	if (n > 60)
		return esprintf("%.57s...", sql);
	return n ? estrndup(sql, n) : estrdup("statement");
}

static void
print_row(const char *line, size_t len, void *arg)
{
	(void)arg;
	if (fwrite(line, 1, len, stdout) != len)
		stdout_fail();
}

int
main(int argc, char *argv[])
{
	char **defs = NULL, *file = NULL, *conn_name = NULL, *text, *sql, *body, err[1024];
	size_t ndefs = 0;
	int c, dry = 0, rc;
	struct sf_conn conn;
	struct sf_session s;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "c:D:f:hnv")) != -1) {
		switch (c) {
		case 'c': conn_name = optarg; break;
		case 'D':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				die(EX_USAGE, "-D %s: expected name=value", optarg);
			defs = erealloc(defs, (ndefs + 1) * sizeof *defs);
			defs[ndefs++] = optarg;
			break;
		case 'f': file = optarg; break;
		case 'n': dry = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((file && argc != 0) || (!file && argc != 1))
		usage();
	text = file ? slurp(file, NULL) : estrdup(argv[0]);
	if (!(sql = sf_template(text, defs, ndefs, err, sizeof err))) {
		char *what = label(file, text);

		die(EX_USAGE, "%s: %s", what, err);
	}
	if (strspn(sql, " \t\r\n;") == strlen(sql))
		die(EX_USAGE, "%s: no SQL to run", file ? file : "argument");

	if ((rc = sf_conn_load(&conn, conn_name, err, sizeof err)))
		die(rc, "%s", err);
	if ((rc = sf_session_open(&s, &conn, dry, err, sizeof err)))
		die(rc, "%s", err);
	s.what = label(file, text);
	if (dry) {
		body = sf_request_body(&s, sql);
		printf("%s%s-- POST %s/api/v2/statements?requestId=<uuid>\n-- %s\n", sql,
		    sql[0] && sql[strlen(sql) - 1] == '\n' ? "" : "\n", s.base_url, body);
		free(body);
		rc = 0;
	} else {
		stop_signals_catch();
		http_init();
		rc = sf_execute(&s, sql, print_row, NULL, err, sizeof err);
	}
	stdout_close();
	if (rc == STOP_INTERRUPTED) {
		warnmsg("%s: interrupted", s.what);
		rc = stop_status(rc);
	} else if (rc) {
		warnmsg("%s", err);
	}
	free((char *)s.what);
	sf_session_close(&s);
	sf_conn_free(&conn);
	free(text);
	free(sql);
	free(defs);
	return rc;
}
