#!/usr/bin/env bats
# sf-copy on the local stack: Parquet files written by pyarrow into moto S3, listed by
# s3-ls-parquet, loaded through the Snowflake stand-in's stage and COPY emulation.

load helpers

DB=SFCOPY_T
TABLE=sfcopy_t.public.trips

setup_file() {
	stack_up moto snowflake
	export BUCKET=$(test_bucket)
	export STAGE=sfcopy_t.public.land
	export STAGE_URL="s3://$BUCKET/trips/"
	local d=$BATS_FILE_TMPDIR gen="$REPO/.venv/bin/python $REPO/tests/gen/sf_copy_files.py"
	# Two dates, a run with a damaged file, a spare file with fewer rows.
	$gen "$d/d15" 2025-11-15 3 100 >"$d/d15.want"
	$gen "$d/d16" 2025-11-16 2 50 >"$d/d16.want"
	$gen "$d/bad" 2025-11-15 2 40 corrupt >/dev/null
	$gen "$d/small" 2025-11-17 1 10 >/dev/null
	$gen "$d/types" types
	aws_cli s3 mb "s3://$BUCKET" >&2
	aws_cli s3 cp --recursive --quiet "$d/d15" "s3://$BUCKET/trips/date=2025-11-15/run=r1/"
	aws_cli s3 cp --recursive --quiet "$d/d16" "s3://$BUCKET/trips/date=2025-11-16/run=r1/"
	aws_cli s3 cp --recursive --quiet "$d/bad" "s3://$BUCKET/trips/date=2025-11-15/run=r2/"
	aws_cli s3 cp --recursive --quiet "$d/d15" "s3://$BUCKET/trips/date=2025-11-17/run=r1/"
	aws_cli s3 cp --recursive --quiet "$d/d15" "s3://$BUCKET/trips/date=2025-11-18/run=r1/"
	aws_cli s3 cp --recursive --quiet "$d/d15" "s3://$BUCKET/other/date=2025-11-15/run=r1/"
	aws_cli s3 cp --recursive --quiet "$d/types" "s3://$BUCKET/trips/types/date=2025-11-15/run=r1/"
	for r in 15/run=r1 16/run=r1 15/run=r2 17/run=r1 18/run=r1; do
		s3-ls-parquet "s3://$BUCKET/trips/date=2025-11-$r/" >"$d/files-${r%%/*}-${r##*=}.jsonl"
	done
	# An evolving table's files, one date a version (tests/gen/sf_evolve_files.py says which).
	for v in 1 2 3 4; do
		"$REPO/.venv/bin/python" "$REPO/tests/gen/sf_evolve_files.py" "$d/evo-v$v" v$v
		aws_cli s3 cp --recursive --quiet "$d/evo-v$v" "s3://$BUCKET/trips/evo/date=2025-12-0$v/run=r1/"
		s3-ls-parquet "s3://$BUCKET/trips/evo/date=2025-12-0$v/" >"$d/evo-v$v.jsonl"
	done
	s3-ls-parquet "s3://$BUCKET/other/" >"$d/other.jsonl"
	s3-ls-parquet "s3://$BUCKET/trips/types/" >"$d/types.jsonl"
	sf-exec "CREATE OR REPLACE DATABASE $DB; CREATE OR REPLACE STAGE $STAGE URL = '$STAGE_URL'" >&2
	sf-copy --ddl -i -p date -t "$TABLE" "$d/files-15-r1.jsonl" | sf-exec -f - >&2
}

teardown_file() {
	sf-exec "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
	aws_cli s3 rb --force "s3://$BUCKET" >/dev/null 2>&1 || true
}

# Rows, id sum and fare sum per date, as the table holds them now.
table_state() {
	sf-exec "SELECT \"date\"::VARCHAR AS \"date\", COUNT(*) AS \"rows\", SUM(\"id\") AS \"sum_id\",
	    SUM(\"Fare Amt\")::VARCHAR AS \"sum_fare\" FROM $TABLE GROUP BY 1 ORDER BY 1" | jq -c .
}

# What the generator says the files of a date hold, in table_state's shape.
want_state() {
	jq -c --arg d "$1" '{date: $d, rows, sum_id, sum_fare}' "$BATS_FILE_TMPDIR/$2.want"
}

load_date() { # listing
	sf-copy -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" "$BATS_FILE_TMPDIR/$1.jsonl"
}

@test "--ddl: CREATE TABLE from the footers, names case-exact, the partition a DATE" {
	run_split sf-copy --ddl -i -p date -t "$TABLE" "$BATS_FILE_TMPDIR/files-15-r1.jsonl"
	[ "$status" -eq 0 ]
	[ "$output" = 'CREATE TABLE IF NOT EXISTS sfcopy_t.public.trips (
  "id" NUMBER(38,0),
  "Fare Amt" NUMBER(12,2),
  "pickup" TIMESTAMP_NTZ(6),
  "zone" VARCHAR,
  "shared" BOOLEAN,
  "mixedCase" NUMBER(38,0),
  "date" DATE
);' ]
	[ -z "$stderr" ]
}

@test "every type of the map: the table from --ddl, the values loaded" {
	sf-copy --ddl -p date -t sfcopy_t.public.types "$BATS_FILE_TMPDIR/types.jsonl" | sf-exec -f -
	run_split sf-copy -p date -s "$STAGE=$STAGE_URL" -t sfcopy_t.public.types "$BATS_FILE_TMPDIR/types.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = LOADED ]
	run sf-exec 'SELECT * FROM sfcopy_t.public.types ORDER BY "i8"'
	[ "$status" -eq 0 ]
	jq -e -s 'length == 2 and (.[0] | .b == true and .i8 == -5 and .u64 == "18446744073709551615"
	    and .f32 == 1.5 and .f64 == 1e300 and .d38 == "1234567890123456789012345678.0123456789"
	    and .s == "h\u00e9llo" and .bin == "00FF" and .fbin == "61626364" and .dt == "2025-11-15"
	    and (.tms | startswith("01:02:03.004")) and (.tus | startswith("01:02:03.004567"))
	    and (.tsns | startswith("2025-11-15T01:02:03.000001"))
	    and (.tsutc | startswith("2025-11-15T12:00:00.123456"))
	    and .lst == [1, 2] and .st == {x: 1, y: "a"} and .mp == {k: 1} and .js == {a: [1, 2]}
	    and .uu == "00000000-0000-0000-0000-000000000001" and .date == "2025-11-15")
	  and (.[1] | .b == null and .u64 == 0 and .d38 == "-1.0000000000" and .s == "" and .bin == "6162"
	    and .dt == "1900-01-01" and .tms == null and .st == null and .lst == [] and .js == null)' <<<"$output"
}

@test "a date loads: every file LOADED with its footer's rows, the table holds exactly the files" {
	run_split load_date files-15-r1
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -s 'length' <<<"$output")" -eq 3 ]
	[ "$(jq -s 'map(select(.status == "LOADED" and .rows_loaded == 100 and .errors_seen == 0)) | length' <<<"$output")" -eq 3 ]
	got=$(jq -r .file <<<"$output" | sort)
	want=$(jq -r .url "$BATS_FILE_TMPDIR/files-15-r1.jsonl" | sort)
	[ "$got" = "$want" ]
	run table_state
	[ "$status" -eq 0 ]
	[ "$output" = "$(want_state 2025-11-15 d15)" ]
}

@test "reloading a date twice replaces it: no duplicates, other dates untouched" {
	load_date files-16-r1 >/dev/null
	load_date files-15-r1 >/dev/null
	run_split load_date files-15-r1
	[ "$status" -eq 0 ]
	[ "$(jq -s 'map(select(.status == "LOADED")) | length' <<<"$output")" -eq 3 ]
	run table_state
	[ "$output" = "$(want_state 2025-11-15 d15; want_state 2025-11-16 d16)" ]
}

@test "a damaged file aborts the load: exit 65, rolled back, the table as it was" {
	load_date files-15-r1 >/dev/null
	before=$(table_state)
	[ -n "$before" ]
	run_split load_date files-15-r2
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ $stderr == "sf-copy: $TABLE date=2025-11-15: "*"part-00001.parquet"*"rolled back, the table is as it was" ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[ "$(table_state)" = "$before" ]
}

@test "a file replaced after listing with fewer rows: the row check fails inside the transaction" {
	load_date files-15-r1 >/dev/null
	before=$(table_state)
	aws_cli s3 cp --quiet "$BATS_FILE_TMPDIR/small/part-00000.parquet" \
		"s3://$BUCKET/trips/date=2025-11-17/run=r1/part-00001.parquet"
	run_split load_date files-17-r1
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ $stderr == *"the footers count 300 rows, the table holds 210"*"rolled back"* ]]
	[ "$(table_state)" = "$before" ]
}

@test "a listed file deleted before the load: aborted, the table as it was" {
	load_date files-15-r1 >/dev/null
	before=$(table_state)
	aws_cli s3 rm --quiet "s3://$BUCKET/trips/date=2025-11-18/run=r1/part-00002.parquet"
	run_split load_date files-18-r1
	[ "$status" -eq 65 ]
	[[ $stderr == *"part-00002.parquet"*"rolled back"* ]]
	[ "$(table_state)" = "$before" ]
}

@test "rows per file differing from the footers: exit 1, one line naming each file" {
	# The total still matches, so the transaction commits; the per-file check must catch it.
	jq -c 'if .key | endswith("part-00000.parquet") then .rows += 1
	       elif .key | endswith("part-00001.parquet") then .rows -= 1 else . end' \
		"$BATS_FILE_TMPDIR/files-15-r1.jsonl" >"$BATS_FILE_TMPDIR/skewed.jsonl"
	run_split load_date skewed
	[ "$status" -eq 1 ]
	[ "$(jq -s length <<<"$output")" -eq 3 ]
	[ "$(wc -l <<<"$stderr")" -eq 2 ]
	grep -qx "sf-copy: s3://$BUCKET/trips/date=2025-11-15/run=r1/part-00000.parquet: 100 rows loaded, the footer counts 101" <<<"$stderr"
	grep -qx "sf-copy: s3://$BUCKET/trips/date=2025-11-15/run=r1/part-00001.parquet: 100 rows loaded, the footer counts 99" <<<"$stderr"
}

@test "-n prints the SQL without connecting" {
	SNOWFLAKE_HOME=/nonexistent run_split sf-copy -n -p date -s "@$STAGE=$STAGE_URL" -t "$TABLE" \
		"$BATS_FILE_TMPDIR/files-15-r1.jsonl"
	[ "$status" -eq 0 ]
	[ "$output" = "ALTER SESSION SET TRANSACTION_ABORT_ON_ERROR = TRUE;
BEGIN;
DELETE FROM $TABLE WHERE \"date\" = '2025-11-15'::DATE;
COPY INTO $TABLE (\"id\", \"Fare Amt\", \"pickup\", \"zone\", \"shared\", \"mixedCase\", \"date\")
  FROM (SELECT \$1:\"id\"::NUMBER(38,0), \$1:\"Fare Amt\"::NUMBER(12,2), \$1:\"pickup\"::TIMESTAMP_NTZ(6), \$1:\"zone\"::VARCHAR, \$1:\"shared\"::BOOLEAN, \$1:\"mixedCase\"::NUMBER(38,0), '2025-11-15'::DATE
    FROM @$STAGE/date=2025-11-15/run=r1/)
  FILES = ('part-00000.parquet',
    'part-00001.parquet',
    'part-00002.parquet')
  FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE BINARY_AS_TEXT = FALSE)
  ON_ERROR = ABORT_STATEMENT FORCE = TRUE;
SELECT (IFF(COUNT(*) = 300, '', 'sf-copy: the footers count 300 rows, the table holds ') || COUNT(*))::NUMBER(38,0) AS \"rows\"
  FROM $TABLE WHERE \"date\" = '2025-11-15'::DATE;
COMMIT;" ]
}

@test "-n: 2,500 files make three COPY statements of at most 1000 files in one transaction" {
	jq -c --argjson n 2500 'range(0; $n) as $i | .url |= sub("part-00000"; "f\($i)") | .key |= sub("part-00000"; "f\($i)")' \
		<(head -n 1 "$BATS_FILE_TMPDIR/files-15-r1.jsonl") >"$BATS_FILE_TMPDIR/many.jsonl"
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" "$BATS_FILE_TMPDIR/many.jsonl"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^COPY INTO' <<<"$output")" -eq 3 ]
	[ "$(grep -c "'f[0-9]*.parquet'" <<<"$output")" -eq 2500 ]
	[ "$(grep -c '^BEGIN;$' <<<"$output")" -eq 1 ]
	[ "$(tail -n 1 <<<"$output")" = "COMMIT;" ]
	grep -q "COUNT(\*) = 250000," <<<"$output"
}

@test "input of two partitions is refused, naming the line" {
	cat "$BATS_FILE_TMPDIR/files-15-r1.jsonl" "$BATS_FILE_TMPDIR/files-16-r1.jsonl" >"$BATS_FILE_TMPDIR/mixed.jsonl"
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" "$BATS_FILE_TMPDIR/mixed.jsonl"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$stderr" = "sf-copy: $BATS_FILE_TMPDIR/mixed.jsonl:4: s3://$BUCKET/trips/date=2025-11-16/run=r1/part-00000.parquet: partition date=2025-11-16, but $BATS_FILE_TMPDIR/mixed.jsonl:1 has date=2025-11-15: load one partition at a time" ]
}

@test "files that disagree on a column's type are refused, naming the file and the column" {
	jq -c 'if .key | endswith("part-00002.parquet") then .schema[1].precision = 14 else . end' \
		"$BATS_FILE_TMPDIR/files-15-r1.jsonl" >"$BATS_FILE_TMPDIR/drift.jsonl"
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" <"$BATS_FILE_TMPDIR/drift.jsonl"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$stderr" = "sf-copy: stdin:3: s3://$BUCKET/trips/date=2025-11-15/run=r1/part-00002.parquet: column \"Fare Amt\" is NUMBER(14,2) here, NUMBER(12,2) in s3://$BUCKET/trips/date=2025-11-15/run=r1/part-00000.parquet" ]
	# --ddl prints the union of the files' schemas: a type one file widens is widened ...
	run_split sf-copy --ddl -p date -t "$TABLE" <"$BATS_FILE_TMPDIR/drift.jsonl"
	[ "$status" -eq 0 ]
	grep -qx '  "Fare Amt" NUMBER(14,2),' <<<"$output"
	# ... but two types neither of which holds the other are refused
	jq -c 'if .key | endswith("part-00002.parquet") then .schema[1].scale = 4 else . end' \
		"$BATS_FILE_TMPDIR/files-15-r1.jsonl" >"$BATS_FILE_TMPDIR/drift.jsonl"
	run_split sf-copy --ddl -p date -t "$TABLE" <"$BATS_FILE_TMPDIR/drift.jsonl"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$stderr" = "sf-copy: stdin:3: s3://$BUCKET/trips/date=2025-11-15/run=r1/part-00002.parquet: column \"Fare Amt\" is NUMBER(12,4) here, NUMBER(12,2) in the files before: neither type holds the other (narrowed)" ]
}

@test "files outside the stage URL are refused before anything runs" {
	before=$(table_state)
	run_split load_date other
	[ "$status" -eq 65 ]
	[ "$stderr" = "sf-copy: $BATS_FILE_TMPDIR/other.jsonl:1: s3://$BUCKET/other/date=2025-11-15/run=r1/part-00000.parquet: not under the stage URL $STAGE_URL" ]
	[ "$(table_state)" = "$before" ]
}

@test "usage and input errors" {
	run_split sf-copy -p date -t "$TABLE" </dev/null
	[ "$status" -eq 64 ]
	[ "$stderr" = "sf-copy: a load needs -s stage=url and -p column" ]
	run_split sf-copy -n -p date -s "$STAGE=s3://$BUCKET/trips" -t "$TABLE" </dev/null
	[ "$status" -eq 64 ]
	[[ $stderr == *"ending in /" ]]
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t 'trips; DROP TABLE x' </dev/null
	[ "$status" -eq 64 ]
	[[ $stderr == "sf-copy: -t trips; DROP TABLE x: not a table name"* ]]
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" </dev/null
	[ "$status" -eq 65 ]
	[ "$stderr" = "sf-copy: stdin: no Parquet files" ]
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" "$BATS_FILE_TMPDIR/nonexistent"
	[ "$status" -eq 66 ]
	run_split sf-copy -t "$TABLE" -x
	[ "$status" -eq 64 ]
	[[ $stderr == *"usage: sf-copy "* ]]
	s3-ls-parquet -F "s3://$BUCKET/trips/date=2025-11-15/run=r1/" >"$BATS_FILE_TMPDIR/nofooter.jsonl"
	run_split sf-copy -n -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" "$BATS_FILE_TMPDIR/nofooter.jsonl"
	[ "$status" -eq 65 ]
	[[ $stderr == *"part-00000.parquet: no footer rows or schema"* ]]
}

@test "-n: a write error is not a success: standard output full exits 74; a reader gone, 74 quietly" {
	SNOWFLAKE_HOME=/nonexistent run_full sf-copy -n -p date -s "@$STAGE=$STAGE_URL" -t "$TABLE" \
		"$BATS_FILE_TMPDIR/files-15-r1.jsonl"
	[ "$status" -eq 74 ]
	[ "$stderr" = "sf-copy: <stdout>: No space left on device" ]
	SNOWFLAKE_HOME=/nonexistent run_closed_pipe sf-copy -n -p date -s "@$STAGE=$STAGE_URL" -t "$TABLE" \
		"$BATS_FILE_TMPDIR/files-15-r1.jsonl"
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
}

@test "a killed load runs on in Snowflake: the re-run says it waits for it, then the date holds its rows once" {
	local sf="http://127.0.0.1:$(cat "$STACK_DIR/snowflake.port")" id
	load_date files-16-r1 >/dev/null
	# the next load runs slowly: each of its statements sleeps 3 s first, so it holds the
	# table's lock for many seconds
	curl -fsS -X POST "$sf/_stack/inject" -d '{"method": "POST", "path": "/api/v2/statements",
	    "action": "slow", "seconds": 3, "count": 1, "match": "COPY INTO"}' >/dev/null
	load_date files-16-r1 >/dev/null 2>&1 &
	local pid=$!
	# kill it once its load runs on the service
	running() {
		sf-exec "SELECT COUNT(*) AS \"n\" FROM TABLE(sfcopy_t.INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000))
		    WHERE QUERY_TYPE = 'MULTI_STATEMENT' AND EXECUTION_STATUS = 'RUNNING'
		      AND QUERY_TEXT LIKE '%DELETE FROM sfcopy_t.public.trips WHERE \"date\" = ''2025-11-16''%'" | jq .n
	}
	for _ in $(seq 200); do [ "$(running)" -ge 1 ] && break; sleep 0.1; done
	[ "$(running)" -ge 1 ]
	kill -9 "$pid"
	wait "$pid" || true
	run_split sf-copy -v -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" "$BATS_FILE_TMPDIR/files-16-r1.jsonl"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'is still running; waiting for it$' <<<"$stderr")" -eq 1 ]
	grep -Eq '^sf-copy: sfcopy_t\.public\.trips date=2025-11-16: an earlier load \([0-9a-f-]{36}\) is still running; waiting for it$' <<<"$stderr"
	id=$(sed -n 's/.*an earlier load (\([0-9a-f-]*\)).*/\1/p' <<<"$stderr")
	grep -q "the earlier load ($id) has ended" <<<"$stderr"
	[ "$(jq -r .status <<<"$output" | sort -u)" = LOADED ]
	# the killed load committed, then the re-run replaced it: the date holds its files' rows once
	[ "$(table_state | grep 2025-11-16)" = "$(want_state 2025-11-16 d16)" ]
	run sf-exec "SELECT EXECUTION_STATUS AS \"s\", QUERY_TAG AS \"tag\" FROM TABLE(sfcopy_t.INFORMATION_SCHEMA.QUERY_HISTORY())
	    WHERE QUERY_ID = '$id'"
	[ "$output" = '{"s":"SUCCESS","tag":"sf-copy SFCOPY_T.PUBLIC.TRIPS date=2025-11-16"}' ]
}

# Schema evolution (-e): a table created from v1's files and holding v1's date.
evo_table() { # name
	local t=sfcopy_t.public.$1
	sf-copy --ddl -p date -t "$t" "$BATS_FILE_TMPDIR/evo-v1.jsonl" | sed 's/^CREATE TABLE/CREATE OR REPLACE TABLE/' |
		sf-exec -f - >/dev/null
	sf-copy -p date -s "$STAGE=$STAGE_URL" -t "$t" "$BATS_FILE_TMPDIR/evo-v1.jsonl" >/dev/null
}

evo_load() { # table version [sf-copy options]
	local t=$1 v=$2
	shift 2
	sf-copy "$@" -p date -s "$STAGE=$STAGE_URL" -t "sfcopy_t.public.$t" "$BATS_FILE_TMPDIR/evo-$v.jsonl"
}

# The table's columns and rows, as sf-exec prints them.
evo_state() {
	sf-exec "DESC TABLE sfcopy_t.public.$1" | jq -c '[.name, .type]'
	sf-exec "SELECT * FROM sfcopy_t.public.$1 ORDER BY \"id\"" | jq -c .
}

# The statements the service ran that name the table, but for queries: "TYPE count" lines.
evo_history() {
	sf-exec "SELECT QUERY_TYPE AS \"t\", COUNT(*) AS \"n\"
	    FROM TABLE(sfcopy_t.INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000))
	    WHERE QUERY_TEXT ILIKE '%public.$1%' AND QUERY_TYPE <> 'SELECT' GROUP BY 1 ORDER BY 1" | jq -r '"\(.t) \(.n)"'
}

@test "-e strict (the default): a changed schema stops before any statement changes the table: exit 65" {
	evo_table evo_strict
	before=$(evo_state evo_strict)
	history=$(evo_history evo_strict)
	run_split evo_load evo_strict v2
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$stderr" = 'sf-copy: sfcopy_t.public.evo_strict date=2025-12-02: the files'"'"' schema differs from the table'"'"'s:
  column                  change        file type             table type
  "fare"                  widened       NUMBER(18,2)          NUMBER(10,2)
  "Zone" (table: "zone")  renamed       VARCHAR               VARCHAR(16777216)
  "tip"                   added         NUMBER(8,2)           -
  "note"                  dropped       -                     VARCHAR(16777216)
  -e add would run, before the load:
    ALTER TABLE sfcopy_t.public.evo_strict ALTER COLUMN "fare" SET DATA TYPE NUMBER(18,2);
    ALTER TABLE sfcopy_t.public.evo_strict ADD COLUMN IF NOT EXISTS "tip" NUMBER(8,2);
sf-copy: sfcopy_t.public.evo_strict date=2025-12-02: stopped before the load; no statement changed the table' ]
	# the service's statement log: one DESC TABLE more, nothing else (no ALTER, DELETE or COPY)
	after=$(evo_history evo_strict)
	[ "$(grep -v '^DESCRIBE ' <<<"$after")" = "$(grep -v '^DESCRIBE ' <<<"$history")" ]
	[ "$(sed -n 's/^DESCRIBE //p' <<<"$after")" -eq "$(( $(sed -n 's/^DESCRIBE //p' <<<"$history") + 1 ))" ]
	[ "$(evo_state evo_strict)" = "$before" ]
	# said the same ways
	run_split evo_load evo_strict v2 -e strict
	[ "$status" -eq 65 ]
	[ "$(wc -l <<<"$stderr")" -eq 10 ]
	run_split evo_load evo_strict v2 --schema-evolution=strict
	[ "$status" -eq 65 ]
	[ "$(wc -l <<<"$stderr")" -eq 10 ]
	[ "$(evo_history evo_strict | grep -v '^DESCRIBE ')" = "$(grep -v '^DESCRIBE ' <<<"$history")" ]
	[ "$(evo_state evo_strict)" = "$before" ]
}

@test "-e add: added, widened, dropped and renamed columns converge; older files load after the widening" {
	local t=sfcopy_t.public.evo_add
	evo_table evo_add
	run_split evo_load evo_add v2 -e add
	[ "$status" -eq 0 ]
	[ "$(jq -r '"\(.status) \(.rows_loaded)"' <<<"$output")" = "LOADED 10" ]
	[ "$stderr" = "sf-copy: $t date=2025-12-02: before the load, outside its transaction: ALTER TABLE $t ALTER COLUMN \"fare\" SET DATA TYPE NUMBER(18,2);
sf-copy: $t date=2025-12-02: before the load, outside its transaction: ALTER TABLE $t ADD COLUMN IF NOT EXISTS \"tip\" NUMBER(8,2);
sf-copy: $t date=2025-12-02: not in the files, loaded as NULL: \"note\"
sf-copy: $t date=2025-12-02: the files' \"Zone\" loads into the table's \"zone\"" ]
	run sf-exec "DESC TABLE $t"
	[ "$(jq -r '"\(.name) \(.type)"' <<<"$output")" = 'id NUMBER(38,0)
fare NUMBER(18,2)
zone VARCHAR(16777216)
note VARCHAR(16777216)
date DATE
tip NUMBER(8,2)' ]
	# the new date: the widened fare whole, the renamed zone in the table's column, note NULL
	run sf-exec "SELECT COUNT(*) AS \"n\", SUM(\"fare\")::VARCHAR AS \"fare\", SUM(\"tip\")::VARCHAR AS \"tip\",
	    COUNT(\"note\") AS \"notes\", MIN(\"zone\") AS \"zone\" FROM $t WHERE \"date\" = '2025-12-02'"
	[ "$output" = '{"n":10,"fare":"100000000193.75","tip":"38.75","notes":0,"zone":"z11"}' ]
	# the date before: as it was, tip NULL
	run sf-exec "SELECT COUNT(*) AS \"n\", SUM(\"fare\")::VARCHAR AS \"fare\", COUNT(\"tip\") AS \"tips\",
	    COUNT(\"note\") AS \"notes\" FROM $t WHERE \"date\" = '2025-12-01'"
	[ "$output" = '{"n":10,"fare":"68.75","tips":0,"notes":10}' ]
	# converged: a re-run alters nothing and replaces the date
	state=$(evo_state evo_add)
	run_split evo_load evo_add v2 -e add
	[ "$status" -eq 0 ]
	[ "$stderr" = "sf-copy: $t date=2025-12-02: not in the files, loaded as NULL: \"note\"
sf-copy: $t date=2025-12-02: the files' \"Zone\" loads into the table's \"zone\"" ]
	[ "$(evo_state evo_add)" = "$state" ]
	# an older, narrower date (fare DECIMAL(10,2), no tip) loads into the widened table
	run_split evo_load evo_add v1 -e add
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = LOADED ]
	[ "$stderr" = "sf-copy: $t date=2025-12-01: not in the files, loaded as NULL: \"tip\"" ]
	[ "$(evo_state evo_add)" = "$state" ]
}

@test "-e add: incompatible (STRING to INT) and narrowed (a scale change) stop, the table as it was" {
	local t=sfcopy_t.public.evo_bad
	evo_table evo_bad
	before=$(evo_state evo_bad)
	history=$(evo_history evo_bad)
	run_split evo_load evo_bad v3 -e add
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$stderr" = "sf-copy: $t date=2025-12-03: the files' schema differs from the table's:
  column  change        file type             table type
  \"zone\"  incompatible  NUMBER(38,0)          VARCHAR(16777216)
  narrowed and incompatible changes stop the load under every -e setting
sf-copy: $t date=2025-12-03: stopped before the load; no statement changed the table" ]
	run_split evo_load evo_bad v4 -e add
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	grep -qx '  "fare"  narrowed      NUMBER(10,4)          NUMBER(10,2)' <<<"$stderr"
	grep -qx '  narrowed and incompatible changes stop the load under every -e setting' <<<"$stderr"
	[ "$(evo_history evo_bad | grep -v '^DESCRIBE ')" = "$(grep -v '^DESCRIBE ' <<<"$history")" ]
	[ "$(evo_state evo_bad)" = "$before" ]
}

@test "--ddl over several dates' files: CREATE TABLE for the union of their schemas" {
	cat "$BATS_FILE_TMPDIR/evo-v1.jsonl" "$BATS_FILE_TMPDIR/evo-v2.jsonl" >"$BATS_FILE_TMPDIR/evo-v12.jsonl"
	run_split sf-copy --ddl -p date -t sfcopy_t.public.evo_union "$BATS_FILE_TMPDIR/evo-v12.jsonl"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = 'CREATE TABLE sfcopy_t.public.evo_union (
  "id" NUMBER(38,0),
  "fare" NUMBER(18,2),
  "zone" VARCHAR,
  "note" VARCHAR,
  "tip" NUMBER(8,2),
  "date" DATE
);' ]
	# the union's table: the older date loads, its files lacking only tip
	sf-exec -f - <<<"$output" >/dev/null
	run_split evo_load evo_union v1 -e add
	[ "$status" -eq 0 ]
	[ "$stderr" = "sf-copy: sfcopy_t.public.evo_union date=2025-12-01: not in the files, loaded as NULL: \"tip\"" ]
	cat "$BATS_FILE_TMPDIR/evo-v2.jsonl" "$BATS_FILE_TMPDIR/evo-v3.jsonl" >"$BATS_FILE_TMPDIR/evo-v23.jsonl"
	run_split sf-copy --ddl -p date -t sfcopy_t.public.evo_union "$BATS_FILE_TMPDIR/evo-v23.jsonl"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$stderr" = "sf-copy: $BATS_FILE_TMPDIR/evo-v23.jsonl:2: s3://$BUCKET/trips/evo/date=2025-12-03/run=r1/part-00000.parquet: column \"zone\" is NUMBER(38,0) here, VARCHAR in the files before: neither type holds the other (incompatible)" ]
}

@test "-e: usage; -n stays offline; a table that does not exist fails the load as before" {
	run_split sf-copy -e lax -p date -s "$STAGE=$STAGE_URL" -t "$TABLE" </dev/null
	[ "$status" -eq 64 ]
	[ "$stderr" = "sf-copy: -e lax: expected strict or add" ]
	SNOWFLAKE_HOME=/nonexistent run_split evo_load evo_strict v2 -n -e add
	[ "$status" -eq 0 ]
	[[ $output == *'COPY INTO sfcopy_t.public.evo_strict ("id", "fare", "Zone", "tip", "date")'* ]]
	run_split evo_load evo_none v1 -e add
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "sf-copy: sfcopy_t.public.evo_none date=2025-12-01: "*"does not exist"*"rolled back, the table is as it was" ]]
}
