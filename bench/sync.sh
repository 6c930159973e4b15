#!/usr/bin/env bash
# bench/sync.sh: make sync over DATES published dates (default 365) of which 3 changed (late
# rows, a restated date, a deleted date), with and without Change Data Feed, beside the naive
# way: forget and backfill all DATES. Reports the statements sent to Databricks and to
# Snowflake (the stand-ins' /_stack/stats) and the wall time of each, on a private local stack.
# Publishing DATES dates first takes a while on the stand-ins (a few seconds of Spark per
# date); DATES=30 bench/sync.sh is a quicker run. -j: JOBS (default 2). Not run by make check.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ndates=${DATES:-365} jobs=${JOBS:-2} rows=${ROWS:-20}
export STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dbx2sf-bench.XXXXXX")
export DBX_STACK_JARS=${DBX_STACK_JARS:-$repo/.stack/jars}
trap '"$repo/tests/stack/stack" stop >/dev/null 2>&1; rm -rf "$STACK_DIR"' EXIT
"$repo/tests/stack/stack" start moto snowflake databricks >&2
eval "$("$repo/tests/stack/stack" env)"
export PATH="$repo/bin:$PATH"
from=2024-01-01
to=$(date -u -d "$from + $((ndates - 1)) days" +%F)
d1=$(date -u -d "$from + $((ndates / 4)) days" +%F)
d2=$(date -u -d "$from + $((ndates / 2)) days" +%F)
d3=$(date -u -d "$from + $((3 * ndates / 4)) days" +%F)

echo "seeding: 2 tables of $ndates dates x $rows rows" >&2
for t in bench_plain bench_cdf; do
	"$repo/.venv/bin/python" "$repo/tests/stack/databricks/seed_trips.py" --print-sql --table main.default.$t \
		--start $from --dates "$ndates" --rows-per-date "$rows" --seed 5 |
		jq -r '.statement | @base64' | while read -r s; do printf '%s' "$s" | base64 -d | dbx-exec -f - >/dev/null; done
done
dbx-exec "ALTER TABLE main.default.bench_cdf SET TBLPROPERTIES (delta.enableChangeDataFeed = true)" >/dev/null
aws-request -s s3 -X PUT /bench >/dev/null
sf-exec "CREATE DATABASE IF NOT EXISTS BENCH" >/dev/null
work=$STACK_DIR/work
mkdir -p "$work"
cat >"$work/config.mk" <<CFG
DATE_COLUMN      = trip_date
LANDING          = s3://bench/landing
TARGET_FILE_SIZE = 64K
INTEGRATION      = BENCH_S3
AWS_ROLE_NAME    = bench-snowflake-read
AWS_ACCOUNT_ID   = 123456789012
CFG
mk() { # table …
	local t=$1; shift
	make -C "$work" -f "$repo/Makefile" --no-print-directory -j"$jobs" SOURCE_TABLE=main.default.$t DATASET=$t \
		TARGET_TABLE=BENCH.PUBLIC.${t^^} STAGE=BENCH.PUBLIC.${t^^}_LAND FROM=$from TO=$to "$@"
}
counts() {
	printf '%s %s' "$(curl -fsS "$STACK_DATABRICKS_URL/_stack/stats" | jq '.statements.submitted // 0')" \
		"$(curl -fsS "$STACK_SNOWFLAKE_URL/_stack/stats" | jq '.statements_executed')"
}
# measure NAME CMD…: Databricks statements, Snowflake statements and wall seconds of CMD.
measure() {
	local name=$1 b a t0 t1; shift
	b=($(counts)); t0=$(date +%s.%N)
	"$@" >"$STACK_DIR/out" 2>"$STACK_DIR/err" || { cat "$STACK_DIR/err" >&2; echo "bench: $name failed" >&2; exit 1; }
	t1=$(date +%s.%N); a=($(counts))
	printf '%s\t%s\t%s\t%.1f\n' "$name" $((a[0] - b[0])) $((a[1] - b[1])) "$(awk "BEGIN{print $t1 - $t0}")"
}
change() {
	dbx-exec "INSERT INTO main.default.$1 SELECT trip_id - 1, pickup_ts, dropoff_ts, fare, distance, passengers,
		vendor, flag, trip_date FROM main.default.$1 WHERE trip_date = DATE'$d1' ORDER BY trip_id LIMIT 3" >/dev/null
	dbx-exec "UPDATE main.default.$1 SET fare = fare + 1 WHERE trip_date = DATE'$d2'" >/dev/null
	dbx-exec "DELETE FROM main.default.$1 WHERE trip_date = DATE'$d3'" >/dev/null
}
naive() { mk "$1" forget && mk "$1" backfill; }

mk bench_plain integration iam APPLY=1 >/dev/null
{
	printf 'what\tdbx_statements\tsf_statements\tseconds\n'
	for t in bench_plain bench_cdf; do
		mk $t stage >/dev/null
		echo "publishing $ndates dates of $t" >&2
		measure "$t: first backfill of $ndates dates" mk $t backfill
		measure "$t: sync, nothing changed" mk $t sync
		change $t
		measure "$t: sync, 3 of $ndates changed" mk $t sync
		[ "$(grep -c '^[0-9-]* changed ' "$STACK_DIR/out")" -eq 3 ] || { echo "bench: $t: sync did not find exactly 3 changed dates" >&2; cat "$STACK_DIR/out" >&2; exit 1; }
		change $t
		measure "$t: naive, forget + backfill $ndates" naive $t
	done
} | tee "$STACK_DIR/result.tsv" | column -t -s $'\t'
