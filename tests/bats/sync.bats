#!/usr/bin/env bats
# Snapshot-pinned publishing and make sync, on the full local stack: a date is exported from one
# Delta version and proven at it while the source keeps changing; make sync finds exactly the
# published dates whose source changed since (by version, Change Data Feed, or one profile
# query) and publishes only those again. The Snowflake stand-in's load history (the files each
# COPY loaded, in its objects.json) shows that the unchanged dates were not loaded again.

load helpers

FROM=2025-09-01
TO=2025-09-04

seed() { # table start dates
	seed_trips --table "$1" --start "$2" --dates "$3" --rows-per-date 400 --seed 11
}

setup_file() {
	stack_up moto snowflake databricks
	export BUCKET=$(test_bucket)
	seed main.default.sytrips $FROM 4
	seed main.default.sycdf $FROM 4
	dbx-exec "ALTER TABLE main.default.sycdf SET TBLPROPERTIES (delta.enableChangeDataFeed = true)" >/dev/null
	seed main.default.sypin 2025-08-01 1
	aws-request -s s3 -X PUT "/$BUCKET" >/dev/null
	sf-exec "CREATE DATABASE IF NOT EXISTS SY" >/dev/null
	# One working directory per publication: each its own role, limited to its own prefix.
	publication trips main.default.sytrips TRIPS
	publication cdf main.default.sycdf CDF
	publication pin main.default.sypin PIN
}

publication() { # name source-table TARGET
	mkdir -p "$BATS_FILE_TMPDIR/$1"
	cat >"$BATS_FILE_TMPDIR/$1/config.mk" <<-CFG
		SOURCE_TABLE     = $2
		DATE_COLUMN      = trip_date
		LANDING          = s3://$BUCKET/landing
		DATASET          = $1
		TARGET_FILE_SIZE = 8K
		TARGET_TABLE     = SY.PUBLIC.$3
		STAGE            = SY.PUBLIC.LAND_$3
		INTEGRATION      = SY_S3_$3
		AWS_ROLE_NAME    = sy-$1-read
		AWS_ACCOUNT_ID   = 123456789012
	CFG
	mk "$1" integration iam APPLY=1 stage >/dev/null
}

mk() { local w=$1; shift; make -C "$BATS_FILE_TMPDIR/$w" -f "$REPO/Makefile" --no-print-directory "$@"; }
rb() { mk trips "$@"; }
cdf() { mk cdf "$@"; }
pin() { mk pin "$@"; }
state() { echo "$BATS_FILE_TMPDIR/$1/state/$1/$2"; }

# Distinct run directories the Snowflake stand-in loaded into table $1 for dataset $2 and date $3.
loads() {
	jq -r --arg t "$1" --arg p "/$2/date=$3/run=" '.load_history[$t] // {} | keys[] | select(contains($p))' \
		"$STACK_DIR/snowflake/objects.json" | sed 's|/part-[^/]*$||' | sort -u | wc -l
}

target_rows() { # table date
	sf-exec "SELECT COUNT(*) AS N FROM $1 WHERE \"trip_date\" = '$2'" | jq -r .N
}
dbx_statements() { curl -fsS "$STACK_DATABRICKS_URL/_stack/stats" | jq '.statements.submitted // 0'; }
source_version() { dbx-exec "DESCRIBE HISTORY $1 LIMIT 1" | jq -r .version; }

# The three kinds of change to a published source: late rows for an old date, an UPDATE
# restating one date, a DELETE of a whole date.
change() { # table
	dbx-exec "INSERT INTO $1 SELECT trip_id - 1, pickup_ts, dropoff_ts, fare, distance, passengers,
		vendor, flag, trip_date FROM $1 WHERE trip_date = DATE'2025-09-02' ORDER BY trip_id LIMIT 5" >/dev/null
	dbx-exec "UPDATE $1 SET fare = fare + 1 WHERE trip_date = DATE'2025-09-03' AND passengers = 2" >/dev/null
	dbx-exec "DELETE FROM $1 WHERE trip_date = DATE'2025-09-04'" >/dev/null
}

@test "parity-check -V: the Spark profile reads VERSION AS OF it, the comparison says the version it proved" {
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' '{"url":"s3://b/p/date=2025-09-01/run=r/part-0.parquet","partition":{"date":"2025-09-01"},"rows":1,"schema":[{"name":"id","physical":"INT64","logical":null,"repetition":"OPTIONAL"}]}' >files.jsonl
	run_split parity-check -s spark -t main.default.t -p d -V 431 -d 2025-09-01 files.jsonl
	[ "$status" -eq 0 ]
	[[ $output == *"'431' AS \`version\`"* && $output == *"FROM main.default.t VERSION AS OF 431"* ]]
	run_split parity-check -s snowflake -t DB.PUBLIC.T -p d -V 431 files.jsonl
	[ "$status" -eq 64 ]
	[ "$stderr" = "parity-check: -V 431: a Delta version, for --sql spark only" ]
	run_split parity-check -s spark -t main.default.t -p d -V '1 OR 1' files.jsonl
	[ "$status" -eq 64 ]
	[ "$stderr" = "parity-check: -V 1 OR 1: not a Delta version (0 to 2^63-1)" ]
	echo '{"partition":"2025-09-01","rows":"1","checksum":"7","version":"9007199254740993"}' >source.jsonl
	echo '{"partition":"2025-09-01","rows":"1","checksum":"7"}' >target.jsonl
	run_split parity-check source.jsonl target.jsonl files.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"partition":"2025-09-01","version":"9007199254740993","status":"match"}' ]
	echo '{"partition":"2025-09-01","rows":"1","checksum":"7","version":"v1"}' >source.jsonl
	run_split parity-check source.jsonl target.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = 'parity-check: source.jsonl: partition 2025-09-01: "version": not a Delta version' ]
}

@test "a date is exported from one Delta version and proven at it while the source changes" {
	pin export DATE=2025-08-01 >/dev/null
	v=$(jq -r .version "$(state pin 2025-08-01)/export.json")
	[ "$v" = "$(source_version main.default.sypin)" ]
	jq -e '.commit_timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$(state pin 2025-08-01)/export.json"
	# Insert, update, delete on the date between export and validate.
	dbx-exec "INSERT INTO main.default.sypin SELECT trip_id - 1, pickup_ts, dropoff_ts, fare, distance,
		passengers, vendor, flag, trip_date FROM main.default.sypin ORDER BY trip_id LIMIT 3" >/dev/null
	dbx-exec "UPDATE main.default.sypin SET fare = fare + 1 WHERE passengers = 1" >/dev/null
	dbx-exec "DELETE FROM main.default.sypin WHERE passengers = 3" >/dev/null
	[ "$(source_version main.default.sypin)" -eq $((v + 3)) ]
	run_split pin backfill DATE=2025-08-01
	[ "$status" -eq 0 ]
	jq -e --argjson v "$v" '.status == "match" and .version == $v' "$(state pin 2025-08-01)/parity.jsonl"
	# What was proven is what was published: the snapshot's 400 rows, not today's.
	[ "$(target_rows SY.PUBLIC.PIN 2025-08-01)" -eq 400 ]
	[ "$(dbx-exec "SELECT count(*) AS n FROM main.default.sypin" | jq -r .n)" -ne 400 ]
}

@test "make sync on published dates nobody touched: every one unchanged by version, no load" {
	rb -j2 backfill FROM=$FROM TO=$TO >/dev/null
	run_split rb sync FROM=$FROM TO=2025-09-05
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s unchanged\n' 2025-09-01 2025-09-02 2025-09-03 2025-09-04)
2025-09-05 never published: left to make backfill" ]
	for d in 2025-09-01 2025-09-02 2025-09-03 2025-09-04; do
		[ "$(loads SY.PUBLIC.TRIPS trips $d)" -eq 1 ]
	done
	[ ! -e "$(state trips 2025-09-05)" ]
}

@test "make -n sync: the plan, and nothing written or loaded" {
	v=$(source_version main.default.sytrips)
	change main.default.sytrips
	before=$(find "$BATS_FILE_TMPDIR/trips/state" -type f -printf '%p %i %T@\n' | sort)
	sf_before=$(curl -fsS "$STACK_SNOWFLAKE_URL/_stack/stats" | jq .statements_executed)
	run_split rb -n sync FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	# After make's own echo of the commands, the plan.
	[ "$(grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' <<<"$output")" = "2025-09-01 unchanged
2025-09-02 changed v$v -> v$((v + 3)) (profile)
2025-09-03 changed v$v -> v$((v + 3)) (profile)
2025-09-04 changed v$v -> v$((v + 3)) (profile)" ]
	[[ $stderr == *"would publish again: 2025-09-02 2025-09-03 2025-09-04"* ]]
	[ "$(find "$BATS_FILE_TMPDIR/trips/state" -type f -printf '%p %i %T@\n' | sort)" = "$before" ]
	[ "$(curl -fsS "$STACK_SNOWFLAKE_URL/_stack/stats" | jq .statements_executed)" -eq "$sf_before" ]
}

@test "without Change Data Feed: late rows, a restated date and a deleted date are published again, only they" {
	v=$(jq -r .version "$(state trips 2025-09-01)/export.json")
	one=$(stat -c '%i %Y' "$(state trips 2025-09-01)/parity.jsonl")
	run_split rb -j2 sync FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[ "$output" = "2025-09-01 unchanged
2025-09-02 changed v$v -> v$((v + 3)) (profile)
2025-09-03 changed v$v -> v$((v + 3)) (profile)
2025-09-04 changed v$v -> v$((v + 3)) (profile)
2025-09-02 match v$((v + 3))
2025-09-03 match v$((v + 3))
2025-09-04 match v$((v + 3))" ]
	[ "$(stat -c '%i %Y' "$(state trips 2025-09-01)/parity.jsonl")" = "$one" ]
	[ "$(loads SY.PUBLIC.TRIPS trips 2025-09-01)" -eq 1 ]
	for d in 2025-09-02 2025-09-03 2025-09-04; do
		[ "$(loads SY.PUBLIC.TRIPS trips $d)" -eq 2 ]
		jq -e '.status == "match"' "$(state trips $d)/parity.jsonl"
	done
	[ "$(target_rows SY.PUBLIC.TRIPS 2025-09-02)" -eq 405 ]
	# The deleted date: emptied in the target, and proven 0 = 0 = 0.
	[ "$(target_rows SY.PUBLIC.TRIPS 2025-09-04)" -eq 0 ]
	jq -e '.rows == "0"' "$(state trips 2025-09-04)/source.jsonl"
	# The next sync finds nothing to do, by version alone.
	run_split rb sync FROM=$FROM TO=$TO
	[ "$output" = "$(printf '%s unchanged\n' 2025-09-01 2025-09-02 2025-09-03 2025-09-04)" ]
}

@test "with Change Data Feed: the changed dates come from table_changes, one query for the range" {
	cdf -j2 backfill FROM=$FROM TO=$TO >/dev/null
	v=$(source_version main.default.sycdf)
	change main.default.sycdf
	before=$(dbx_statements)
	run_split cdf -n sync FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[ "$(grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' <<<"$output")" = "2025-09-01 unchanged
2025-09-02 changed v$v -> v$((v + 3)) (cdf)
2025-09-03 changed v$v -> v$((v + 3)) (cdf)
2025-09-04 changed v$v -> v$((v + 3)) (cdf)" ]
	# DESCRIBE HISTORY, SHOW TBLPROPERTIES, one table_changes query: no scan of the dates.
	[ "$(dbx_statements)" -eq $((before + 3)) ]
	run_split cdf sync FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[[ $output == *"2025-09-03 changed v$v -> v$((v + 3)) (cdf)"*"2025-09-04 match v$((v + 3))" ]]
	[ "$(loads SY.PUBLIC.CDF cdf 2025-09-01)" -eq 1 ]
	for d in 2025-09-02 2025-09-03 2025-09-04; do
		[ "$(loads SY.PUBLIC.CDF cdf $d)" -eq 2 ]
	done
	[ "$(target_rows SY.PUBLIC.CDF 2025-09-04)" -eq 0 ]
	# The unchanged date is now known to hold at the new version: a later write to another
	# date is found by CDF from there.
	[ "$(cat "$(state cdf 2025-09-01)/checked")" = $((v + 3)) ]
	dbx-exec "UPDATE main.default.sycdf SET fare = fare + 1 WHERE trip_date = DATE'2025-09-02' AND passengers = 4" >/dev/null
	run_split cdf -n sync FROM=$FROM TO=$TO
	[ "$(grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' <<<"$output")" = "2025-09-01 unchanged
2025-09-02 changed v$((v + 3)) -> v$((v + 4)) (cdf)
2025-09-03 unchanged
2025-09-04 unchanged" ]
}

@test "a sync killed after it began: run again, it finishes the re-publish and converges" {
	"$STACK" stop snowflake
	run_split cdf sync FROM=$FROM TO=$TO
	[ "$status" -ne 0 ]
	[ -e "$(state cdf 2025-09-02)/republish" ]
	[ ! -e "$(state cdf 2025-09-02)/parity.jsonl" ]
	stack_up snowflake
	v=$(source_version main.default.sycdf)
	run_split cdf sync FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[ "$output" = "2025-09-01 unchanged
2025-09-02 changed (a re-publish not finished)
2025-09-03 unchanged
2025-09-04 unchanged
2025-09-02 match v$v" ]
	[ ! -e "$(state cdf 2025-09-02)/republish" ]
	run_split cdf sync FROM=$FROM TO=$TO
	[ "$output" = "$(printf '%s unchanged\n' 2025-09-01 2025-09-02 2025-09-03 2025-09-04)" ]
}

@test "a source that cannot time-travel (a view): exported and proven unpinned, with a warning; sync compares profiles" {
	dbx-exec "CREATE VIEW main.default.syview AS SELECT * FROM main.default.sypin" >/dev/null
	publication view main.default.syview VIEWED
	view() { mk view "$@"; }
	run_split view backfill DATE=2025-08-01
	[ "$status" -eq 0 ]
	[[ $stderr == *"dbx-export: main.default.syview: a view"*"not pinned"* ]]
	jq -e '.version == null' "$(state view 2025-08-01)/export.json"
	jq -e '.status == "match" and (has("version") | not)' "$(state view 2025-08-01)/parity.jsonl"
	run_split view sync DATE=2025-08-01
	[ "$output" = "2025-08-01 unchanged" ]
	dbx-exec "DELETE FROM main.default.sypin WHERE passengers = 1" >/dev/null
	run_split view sync DATE=2025-08-01
	[ "$status" -eq 0 ]
	[ "$output" = "2025-08-01 changed (profile)
2025-08-01 match" ]
}
