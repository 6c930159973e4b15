/* dbx-exec: run one SQL statement on a Databricks SQL warehouse and print the result rows as
 * JSON lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "databricks.h"
#include "http.h"
#include "util.h"

struct out {
	struct buf line;
	const char *id;
};

static void
usage(void)
{
	fprintf(stderr, "usage: dbx-exec [-env] [-p profile] [-w warehouse] [-D name[:type]=value]... "
	    "[-f file | sql]\n");
	exit(EX_USAGE);
}

static void
print_row(json_t *columns, json_t *row, void *arg)
{
	struct out *o = arg;
	const char *bad = NULL;

	buf_reset(&o->line);
	if (dbx_row_json(columns, row, &o->line, &bad) != 0)
		die(EX_PROTOCOL, "statement %s: column %s: malformed value", o->id, bad);
	if (fwrite(o->line.p, 1, o->line.len, stdout) != o->line.len)
		die(EX_IOERR, "stdout: %s", strerror(errno));
}

int
main(int argc, char *argv[])
{
	struct dbx_param *params = NULL;
	size_t nparams = 0;
	const char *profile = NULL, *warehouse = NULL, *file = NULL;
	char *sql, err[512], *url, *s;
	int c, dry = 0, disposition = DBX_INLINE, rc;
	struct dbx d;
	struct out o = { { 0 }, NULL };
	json_t *body, *resp, *req;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "D:ef:hnp:vw:")) != -1) {
		switch (c) {
		case 'D':
			params = erealloc(params, (nparams + 1) * sizeof *params);
			s = estrdup(optarg);
			if (dbx_param_parse(s, &params[nparams]) != 0)
				die(EX_USAGE, "-D %s: want name=value or name:TYPE=value", optarg);
			nparams++;
			break;
		case 'e': disposition = DBX_EXTERNAL_LINKS; break;
		case 'f': file = optarg; break;
		case 'n': dry = 1; break;
		case 'p': profile = optarg; break;
		case 'v': verbose = 1; break;
		case 'w': warehouse = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((file && argc != 0) || (!file && argc != 1))
		usage();
	sql = file ? slurp(file, NULL) : estrdup(argv[0]);
	if (strspn(sql, " \t\r\n;") == strlen(sql))
		die(EX_DATAERR, "%s: no statement", file ? file : "sql");

	if ((rc = dbx_config(&d, profile, warehouse, err, sizeof err)) != 0)
		die(rc, "%s", err);
	body = dbx_statement_body(d.warehouse, sql, params, nparams, disposition);
	if (dry) {
		/* The request as it would go out, minus the Authorization header. */
		url = esprintf("%s/api/2.0/sql/statements", d.host);
		req = json_pack("{s:s, s:s, s:s, s:O}", "method", "POST", "url", url, "auth", d.auth,
		    "body", body);
		s = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		free(url);
		json_decref(req);
		return fflush(stdout) == 0 ? 0 : EX_IOERR;
	}

	stop_signals_catch();
	http_init();
	if ((rc = dbx_execute(&d, body, &resp, err, sizeof err)) != 0)
		die(stop_status(rc), "%s", err);
	o.id = json_string_value(json_object_get(resp, "statement_id"));
	if ((rc = dbx_result_foreach(&d, resp, print_row, &o, err, sizeof err)) != 0)
		die(stop_status(rc), "%s", err);
	if (fflush(stdout) != 0)
		die(EX_IOERR, "stdout: %s", strerror(errno));
	json_decref(resp);
	json_decref(body);
	buf_free(&o.line);
	dbx_free(&d);
	free(sql);
	return 0;
}
