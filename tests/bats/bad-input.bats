#!/usr/bin/env bats
# The catalogue of bad input: each bad option of a tool and each bad setting of the runbook gets
# its own one-line message naming the input and the rule, a non-zero exit, and leaves nothing
# behind: no request reached the Snowflake or Databricks stand-in (their /_stack/stats), no
# object was written to S3, no state file was made.

load helpers

setup_file() {
	stack_up moto snowflake databricks
	export BUCKET=$(test_bucket)
	aws-request -s s3 -X PUT "/$BUCKET" >/dev/null
}

# Requests that reached the stand-ins so far, and the objects in the bucket.
footprint() {
	local sf db
	sf=$(curl -fsS "http://127.0.0.1:$(cat "$STACK_DIR/snowflake.port")/_stack/stats" |
		jq '[.requests[]] | add // 0')
	db=$(curl -fsS "http://127.0.0.1:$(cat "$STACK_DIR/databricks.port")/_stack/stats" |
		jq '[.requests[]] | add // 0')
	echo "snowflake=$sf databricks=$db objects=$(aws-request -s s3 "/$BUCKET?list-type=2" | grep -o '<Key>' | wc -l)"
}

# check STATUS TEXT CMD: CMD (bash) exits STATUS, says TEXT in one stderr line, and changes nothing.
check() {
	local want=$1 text=$2 cmd=$3 before after
	before=$(footprint)
	run_split bash -c "$cmd"
	after=$(footprint)
	if [[ $status -ne $want || $stderr != *"$text"* || $before != "$after" ]]; then
		printf 'FAILED: %s\n  want exit %s and "%s"\n  got exit %s: %s\n  stand-ins before %s, after %s\n' \
			"$cmd" "$want" "$text" "$status" "$stderr" "$before" "$after" >&2
		return 1
	fi
	# One line: the message (and for usage errors the usage line), nothing more.
	# (make adds its own "make: *** … Error N" line after a failed recipe; make[N] under a make.)
	[[ $(printf '%s\n' "$stderr" | grep -cvE -e '^usage: ' -e '^make(\[[0-9]+\])?: \*\*\* ') -le 1 ]] || {
		printf 'FAILED: %s: more than one line of diagnostics:\n%s\n' "$cmd" "$stderr" >&2
		return 1
	}
}

@test "tools: every bad option or argument is named, refused, and sends nothing" {
	local n=0 failed=0 st text cmd
	while IFS='|' read -r st text cmd; do
		[[ -z $st || $st == \#* ]] && continue
		n=$((n + 1))
		check "$st" "$text" "$cmd" || failed=$((failed + 1))
	done <<-EOF
		64|usage: s3-ls-parquet|s3-ls-parquet
		64|s3-ls-parquet: notaurl: not an s3://bucket/prefix URL|s3-ls-parquet notaurl
		64|s3-ls-parquet: s3://: not an s3://bucket/prefix URL|s3-ls-parquet s3://
		64|s3-ls-parquet: -s 9000000000G: too large|s3-ls-parquet -s 9000000000G s3://$BUCKET/p/
		64|s3-ls-parquet: -s 5-1: not a size band|s3-ls-parquet -s 5-1 s3://$BUCKET/p/
		64|s3-ls-parquet: -j 0: not a number from 1 to 256|s3-ls-parquet -j 0 s3://$BUCKET/p/
		64|s3-ls-parquet: -j abc: not a number from 1 to 256|s3-ls-parquet -j abc s3://$BUCKET/p/
		64|invalid option -- 'x'|s3-ls-parquet -x s3://$BUCKET/p/
		64|usage: sf-exec|sf-exec
		78|sf-exec: connection nosuchconn: no account|sf-exec -c nosuchconn 'SELECT 1'
		66|sf-exec: /nonexistent: No such file or directory|sf-exec -f /nonexistent
		64|sf-exec: -D x: expected name=value|sf-exec -D x 'SELECT 1'
		64|template variable y is not defined|sf-exec -D x=1 'SELECT <% y %>'
		64|-D t: value must be an identifier or a number|sf-exec -D 't=a;b' 'SELECT * FROM <% t %>'
		64|sf-exec: argument: no SQL to run|sf-exec ''
		64|usage: dbx-exec|dbx-exec
		78|no profile [nosuchprofile]|dbx-exec -p nosuchprofile 'SELECT 1'
		66|dbx-exec: /nonexistent: No such file or directory|dbx-exec -f /nonexistent
		64|dbx-exec: -D x: want name=value or name:TYPE=value|dbx-exec -D x 'SELECT 1'
		64|dbx-export: -d 2025-02-30: not a date|dbx-export -t main.default.t -c d -d 2025-02-30 -o s3://$BUCKET/p
		64|dbx-export: -t main.default.t;x: not a table name|dbx-export -t 'main.default.t;x' -c d -d 2025-02-01 -o s3://$BUCKET/p
		64|dbx-export: -c d x: not a column name|dbx-export -t main.default.t -c 'd x' -d 2025-02-01 -o s3://$BUCKET/p
		64|dbx-export: -o notaurl: not an s3://bucket/prefix URL|dbx-export -t main.default.t -c d -d 2025-02-01 -o notaurl
		64|dbx-export: -s 0: not a size|dbx-export -t main.default.t -c d -d 2025-02-01 -o s3://$BUCKET/p -s 0
		64|dbx-export: -s 9000000000G: not a size: too large|dbx-export -t main.default.t -c d -d 2025-02-01 -o s3://$BUCKET/p -s 9000000000G
		64|dbx-export: -k _hidden:|dbx-export -t main.default.t -c d -d 2025-02-01 -o s3://$BUCKET/p -k _hidden
		64|usage: dbx-export|dbx-export -t main.default.t -c d -d 2025-02-01
		64|sf-copy: -t a"b: not a table name|sf-copy -t 'a"b' /dev/null
		64|sf-copy: -s nostage: expected stage=s3://bucket/prefix/|sf-copy -t DB.S.T -s nostage /dev/null
		64|sf-copy: a load needs -s stage=url and -p column|sf-copy -t DB.S.T /dev/null
		66|sf-copy: /nonexistent: No such file or directory|sf-copy -t DB.S.T -p d -k date -s DB.S.ST=s3://$BUCKET/p/ /nonexistent
		65|sf-copy: stdin:1: not JSON|echo 'not json' | sf-copy -t DB.S.T -p d -k date -s DB.S.ST=s3://$BUCKET/p/
		64|usage: parity-check|parity-check
		64|parity-check: --sql oracle: not spark or snowflake|parity-check -s oracle -t a.b -p d
		64|parity-check: -t a;b: not a table name|parity-check -s spark -t 'a;b' -p d -d 2025-01-01 /dev/null
		64|parity-check: -d 2025-13-01: not a date|parity-check -s spark -t a.b -p d -d 2025-13-01 /dev/null
		66|parity-check: /nonexistent: No such file or directory|parity-check /nonexistent /nonexistent
		64|sf-copy: -e sometimes: expected strict or add|echo '{}' | sf-copy -e sometimes -t DB.S.T -p d -k date -s DB.S.ST=s3://$BUCKET/p/
		64|parity-check: -T /dev/null: the target table's columns, for --sql snowflake only|parity-check -s spark -t a.b -p d -T /dev/null -d 2025-01-01 /dev/null
		64|usage: row-diff|row-diff
		64|usage: row-diff|row-diff -s a.b.c -t D.S.T -C d -d 2025-01-01 /dev/null
		64|row-diff: -s a;b: not a table name|row-diff -s 'a;b' -t D.S.T -C d -d 2025-01-01 -K id /dev/null
		64|row-diff: -t D;S: not a table name|row-diff -s a.b.c -t 'D;S' -C d -d 2025-01-01 -K id /dev/null
		64|row-diff: -d 2025-13-01: not a date|row-diff -s a.b.c -t D.S.T -C d -d 2025-13-01 -K id /dev/null
		64|row-diff: -V x: not a Delta table version|row-diff -s a.b.c -t D.S.T -C d -d 2025-01-01 -K id -V x /dev/null
		64|row-diff: -m 0: not a whole number from 1|row-diff -s a.b.c -t D.S.T -C d -d 2025-01-01 -K id -m 0 /dev/null
		66|row-diff: /nonexistent: No such file or directory|row-diff -s a.b.c -t D.S.T -C d -d 2025-01-01 -K id /nonexistent
		65|row-diff: /dev/null: no Parquet files to take the schema from|row-diff -s a.b.c -t D.S.T -C d -d 2025-01-01 -K id /dev/null
		64|usage: aws-request|aws-request
		64|aws-request: -s nosuchservice: not a service|aws-request -s nosuchservice /
		64|aws-request: -X BAD METHOD: not an HTTP method|aws-request -s s3 -X 'BAD METHOD' /
		64|aws-request: -H NoColon: not name: value|aws-request -s s3 -H NoColon /
		66|aws-request: /nonexistent: No such file or directory|aws-request -s s3 -d @/nonexistent /
		64|aws-request: -f noequals: not name=value or name@file|aws-request -s s3 -f noequals /
	EOF
	echo "$n bad tool inputs, $failed failed" >&2
	[ "$n" -ge 40 ]
	[ "$failed" -eq 0 ]
}

@test "runbook: every bad setting is named before the first step, and nothing is made" {
	local work="$BATS_TEST_TMPDIR/work" n=0 failed=0 st text setting goal
	mkdir -p "$work"
	good() {
		cat <<-CFG
			SOURCE_TABLE     = main.default.nosuch
			DATE_COLUMN      = trip_date
			LANDING          = s3://$BUCKET/landing
			DATASET          = trips
			TARGET_FILE_SIZE = 32K
			TARGET_TABLE     = BAD.PUBLIC.TRIPS
			STAGE            = BAD.PUBLIC.LAND
			INTEGRATION      = BAD_S3
			READER_ROLE      = ANALYST
			PIPE             = BAD.PUBLIC.TRIPS_PIPE
			AWS_ROLE_NAME    = bad-snowflake-read
			AWS_ACCOUNT_ID   = 123456789012
		CFG
	}
	# STATUS|TEXT|SETTING (a config.mk line replacing the setting's, or -NAME to drop it)|GOAL
	while IFS='|' read -r st text setting goal; do
		[[ -z $st || $st == \#* ]] && continue
		n=$((n + 1))
		rm -rf "$work" && mkdir -p "$work"
		if [[ $setting == -* ]]; then
			good | grep -v "^${setting#-} " >"$work/config.mk"
		elif [[ -n $setting ]]; then
			good | grep -v "^${setting%%=*} " >"$work/config.mk"
			printf '%s\n' "$setting" >>"$work/config.mk"
		else
			good >"$work/config.mk"
		fi
		check "$st" "$text" "make -C '$work' -f '$REPO/Makefile' --no-print-directory $goal" || failed=$((failed + 1))
		[ ! -e "$work/state" ] || { echo "FAILED: $setting $goal: left $(find "$work/state")" >&2; failed=$((failed + 1)); }
	done <<-'EOF'
		2|config: TARGET_TABLE: not set|-TARGET_TABLE|backfill DATE=2025-10-01
		2|config: STAGE: not set|-STAGE|backfill DATE=2025-10-01
		2|config: SOURCE_TABLE: not set|-SOURCE_TABLE|backfill DATE=2025-10-01
		2|config: DATE_COLUMN: not set|-DATE_COLUMN|export DATE=2025-10-01
		2|config: LANDING: not set|-LANDING|export DATE=2025-10-01
		2|config: DATASET: not set|-DATASET|backfill DATE=2025-10-01
		2|config: TARGET_FILE_SIZE: not set|-TARGET_FILE_SIZE|export DATE=2025-10-01
		2|config: INTEGRATION: not set|-INTEGRATION|integration
		2|config: AWS_ROLE_NAME: not set|-AWS_ROLE_NAME|iam
		2|config: AWS_ACCOUNT_ID: not set|-AWS_ACCOUNT_ID|integration
		2|config: TARGET_TABLE = 'BAD.PUBLIC.T'X': not DATABASE.SCHEMA.NAME|TARGET_TABLE = BAD.PUBLIC.T'X|backfill DATE=2025-10-01
		2|config: TARGET_TABLE = 'BAD.PUBLIC."TRIPS"': not DATABASE.SCHEMA.NAME|TARGET_TABLE = BAD.PUBLIC."TRIPS"|backfill DATE=2025-10-01
		2|config: TARGET_TABLE = 'TRIPS': not DATABASE.SCHEMA.NAME|TARGET_TABLE = TRIPS|table DATE=2025-10-01
		2|config: STAGE = 'BAD.PUBLIC.LAND;DROP': not DATABASE.SCHEMA.NAME|STAGE = BAD.PUBLIC.LAND;DROP|stage
		2|config: SOURCE_TABLE = 'main.default.t x': not a table name|SOURCE_TABLE = main.default.t x|export DATE=2025-10-01
		2|config: SOURCE_TABLE = 'a.b.c.d': not a table name|SOURCE_TABLE = a.b.c.d|export DATE=2025-10-01
		2|config: SOURCE_TABLE = 'main.default.`t`': not a table name|SOURCE_TABLE = main.default.`t`|export DATE=2025-10-01
		2|config: DATE_COLUMN = 'trip-date': not a column name|DATE_COLUMN = trip-date|export DATE=2025-10-01
		2|config: LANDING = 's3://Bad_Bucket/landing': not s3://bucket[/prefix]|LANDING = s3://Bad_Bucket/landing|export DATE=2025-10-01
		2|config: LANDING = 'https://bucket/landing': not s3://bucket[/prefix]|LANDING = https://bucket/landing|integration
		2|config: LANDING = 's3://bucket/landing/': not s3://bucket[/prefix]|LANDING = s3://bucket/landing/|export DATE=2025-10-01
		2|config: LANDING = 's3://bucket/land ing': not s3://bucket[/prefix]|LANDING = s3://bucket/land ing|export DATE=2025-10-01
		2|config: LANDING = 's3://a..b/landing': not a bucket name|LANDING = s3://a..b/landing|export DATE=2025-10-01
		2|config: DATASET = '_trips': not a path segment|DATASET = _trips|export DATE=2025-10-01
		2|config: DATASET = 'a/b': not a path segment|DATASET = a/b|export DATE=2025-10-01
		2|config: TARGET_FILE_SIZE = '0': not a size: must be more than 0|TARGET_FILE_SIZE = 0|export DATE=2025-10-01
		2|config: TARGET_FILE_SIZE = '200X': not a size|TARGET_FILE_SIZE = 200X|export DATE=2025-10-01
		2|config: TARGET_FILE_SIZE = '-5M': not a size|TARGET_FILE_SIZE = -5M|export DATE=2025-10-01
		2|config: AWS_ACCOUNT_ID = '1234': not an AWS account id|AWS_ACCOUNT_ID = 1234|iam
		2|config: AWS_ROLE_NAME = 'role name': not an IAM role name|AWS_ROLE_NAME = role name|iam
		2|config: INTEGRATION = 'BAD S3': not a plain identifier|INTEGRATION = BAD S3|integration
		2|config: DBX_PROFILE = 'a b': not a profile or connection name|DBX_PROFILE = a b|export DATE=2025-10-01
		2|config: SF_CONNECTION = 'a;b': not a profile or connection name|SF_CONNECTION = a;b|integration
		2|config: READER_ROLE: not set|-READER_ROLE|grant
		2|config: PIPE: not set|-PIPE|pipe
		2|config: KEY: not set|-KEY|diff DATE=2025-10-01
		2|config: KEY = 'id;x': not a key|KEY = id;x|diff DATE=2025-10-01
		2|config: SCHEMA_EVOLUTION = 'loose': not strict or add|SCHEMA_EVOLUTION = loose|load DATE=2025-10-01
		2|config: SCHEMA_EVOLUTION = 'ADD': not strict or add|SCHEMA_EVOLUTION = ADD|backfill DATE=2025-10-01
		2|config: DATE = '2025-02-30': not a date|DATE = 2025-02-30|backfill
		2|config: DATE = '20250201': not a date|DATE = 20250201|backfill
		2|dates: FROM=2025-10-03 is after TO=2025-10-01: not a date range|FROM = 2025-10-03|backfill TO=2025-10-01
		2|dates: FROM and TO go together|FROM = 2025-10-01|backfill
		2|dates: TO=2025-11-31: not a date|FROM = 2025-11-01|backfill TO=2025-11-31
		2|config: which dates?||backfill
		2|config: which dates?||export
		2|config: DATE and FROM/TO: give one or the other||backfill DATE=2025-10-01 FROM=2025-10-01 TO=2025-10-02
	EOF
	# Without config.mk at all.
	rm -rf "$work" && mkdir -p "$work"
	n=$((n + 1))
	check 2 "config.mk: missing here; start from" "make -C '$work' -f '$REPO/Makefile' --no-print-directory backfill DATE=2025-10-01" ||
		failed=$((failed + 1))
	echo "$n bad runbook settings, $failed failed" >&2
	[ "$n" -ge 40 ]
	[ "$failed" -eq 0 ]
}
