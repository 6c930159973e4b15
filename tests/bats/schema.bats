#!/usr/bin/env bats
# Schema evolution (dbx2sf(7), SCHEMA EVOLUTION): one Delta table whose schema changes inside a
# backfill range, published twice, under SCHEMA_EVOLUTION = strict (work dir S, table
# EVO.PUBLIC.STRICT) and add (work dir A, table EVO.PUBLIC.ADDED). Each change is made on the
# source as a Databricks user makes it, then the next date is backfilled: strict stops before
# any statement changes its table (the Snowflake stand-in's QUERY_HISTORY shows none), add
# converges with every date matching, the older ones proven again against the table as it is
# now; the incompatible change (STRING to INT) stops both, the tables as they were.

load helpers

SRC=main.default.evo
D1=2025-03-01 D2=2025-03-02 D3=2025-03-03 D4=2025-03-04 D5=2025-03-05 D6=2025-03-06 D7=2025-03-07

setup_file() {
	stack_up moto snowflake databricks
	export BUCKET=$(test_bucket) S="$BATS_FILE_TMPDIR/strict" A="$BATS_FILE_TMPDIR/add"
	seed_trips --table $SRC --start $D1 --dates 2 --rows-per-date 400 --files-per-date 2 --seed 13
	aws-request -s s3 -X PUT "/$BUCKET" >/dev/null
	sf-exec "CREATE DATABASE IF NOT EXISTS EVO" >/dev/null
	local common=(SOURCE_TABLE=$SRC DATE_COLUMN=trip_date LANDING=s3://$BUCKET/landing)
	write_config "$S" "${common[@]}" DATASET=strict TARGET_TABLE=EVO.PUBLIC.STRICT STAGE=EVO.PUBLIC.LAND_S \
		INTEGRATION=EVO_S3_S AWS_ROLE_NAME=evo-strict-read SCHEMA_EVOLUTION=strict
	write_config "$A" "${common[@]}" DATASET=add TARGET_TABLE=EVO.PUBLIC.ADDED STAGE=EVO.PUBLIC.LAND_A \
		INTEGRATION=EVO_S3_A AWS_ROLE_NAME=evo-add-read SCHEMA_EVOLUTION=add
}

pub() { local dir=$1; shift; make -C "$dir" -f "$REPO/Makefile" --no-print-directory "$@"; }
state() { echo "$1/state/$(basename "$1")"; } # a publication's dataset is its directory's name
none() { ! grep "$@"; }

# Date D's rows, made from the first date's with the columns the table has now: add_date D COLUMNS
# SELECT-LIST (the list names the date as DATE'D').
add_date() {
	dbx-exec "INSERT INTO $SRC ($2) SELECT /*+ REPARTITION(2) */ $3 FROM $SRC WHERE trip_date = DATE'$D1'" >/dev/null
}

# What a table is: its columns and types, then its rows per date.
table_state() {
	sf-exec "DESC TABLE $1" | jq -r '"\(.name) \(.type)"'
	sf-exec "SELECT \"trip_date\"::VARCHAR AS \"d\", COUNT(*) AS \"n\" FROM $1 GROUP BY 1 ORDER BY 1" | jq -r '"\(.d) \(.n)"'
}

# The Snowflake stand-in's statement log: mark_history remembers what it holds; since_mark T
# prints the statements run since then whose text names T, one a line.
history() {
	sf-exec "SELECT QUERY_ID AS \"id\", QUERY_TEXT AS \"text\"
		FROM TABLE(EVO.INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000))"
}
mark_history() { history | jq -r .id | sort >"$BATS_FILE_TMPDIR/history.mark"; }
since_mark() {
	history | jq -r --arg t "$1" 'select(.text | ascii_downcase | contains($t | ascii_downcase)) |
		[.id, (.text | gsub("\\s+"; " "))] | @tsv' | sort |
		join -v1 -t $'\t' - "$BATS_FILE_TMPDIR/history.mark" | cut -f2-
}

# The load of date D under publication DIR stops before any statement changes TABLE: make
# fails at the load, sf-copy said why (exit 65), and the statement log has nothing but reads
# of the table since the mark (at least its DESC TABLE).
stops_unchanged() { # DIR TABLE D
	local dir=$1 table=$2 d=$3 before
	before=$(table_state "$table")
	mark_history
	run_split pub "$dir" backfill DATE="$d"
	[ "$status" -eq 2 ]
	# sf-copy names the partition as its other messages do (trip_date=D); the contract wrote date=D.
	grep -Eq "^sf-copy: ${table//./\\.} (trip_)?date=$d: the files' schema differs from the table's:\$" <<<"$stderr"
	jq -e '.status == 65' "$(state "$dir")/$d/load.failed"
	[ ! -e "$(state "$dir")/$d/load.jsonl" ]
	since_mark "$table" >"$BATS_TEST_TMPDIR/ran"
	grep -Eiq '^ *DESC(RIBE)? TABLE' "$BATS_TEST_TMPDIR/ran"
	none -Eiv '^ *(DESC|DESCRIBE|SELECT|SHOW)\b' "$BATS_TEST_TMPDIR/ran"
	[ "$(table_state "$table")" = "$before" ]
}

# Publication A backfills FROM D1 TO D: the new date loads, then every date is proven again
# against the table as it is now (its target profile taken afresh), and every date matches.
converges() { # D
	local d=$1 x
	mark_history
	run_split pub "$A" backfill FROM=$D1 TO="$d"
	[ "$status" -eq 0 ]
	printf '%s\n' "$stderr" >"$BATS_TEST_TMPDIR/load.err"
	for x in $(share_dates $D1 "$d"); do
		rm -f "$(state "$A")/$x/target.jsonl" "$(state "$A")/$x/parity.jsonl"
	done
	run_split pub "$A" validate FROM=$D1 TO="$d"
	[ "$status" -eq 0 ]
	for x in $(share_dates $D1 "$d"); do
		jq -e -s 'length == 1 and .[0].status == "match"' "$(state "$A")/$x/parity.jsonl"
	done
	# The DDL ran in a request of its own, never inside the load's transaction.
	since_mark EVO.PUBLIC.ADDED >"$BATS_TEST_TMPDIR/ran"
	none -Ei '^ *ALTER TABLE.*(BEGIN|COPY INTO)|(BEGIN|COPY INTO).*ALTER TABLE' "$BATS_TEST_TMPDIR/ran"
}
share_dates() { "$REPO/share/dates" "$1" "$2"; }

# The rows of a differences table on stderr (column, kind, file type, table type), loosely
# spaced: row COLUMN KIND [TYPE…].
row() {
	local re=$1 x
	shift
	for x in "$@"; do re+="[^a-z]+$x"; done
	grep -Eq "(^|[^a-z_])$re" <<<"$stderr"
}

@test "SCHEMA_EVOLUTION: strict or add, else exit 78 naming it; the load passes -e, the target profile DESC TABLE and -T" {
	run_split env GOALS=load "$REPO/share/config-check" SOURCE_TABLE=$SRC DATE_COLUMN=trip_date \
		LANDING=s3://bucket/landing DATASET=d TARGET_FILE_SIZE=32K TARGET_TABLE=E.P.T STAGE=E.P.S INTEGRATION=I \
		AWS_ROLE_NAME=r AWS_ACCOUNT_ID=123456789012 SCHEMA_EVOLUTION=sometimes DATE=$D1
	[ "$status" -eq 78 ]
	[ "$stderr" = "config: SCHEMA_EVOLUTION = 'sometimes': not strict or add (see dbx2sf(7), Schema evolution)" ]
	run_split pub "$S" load DATE=$D1 SCHEMA_EVOLUTION=Add
	[ "$status" -eq 2 ]
	[[ $stderr == *"config: SCHEMA_EVOLUTION = 'Add': not strict or add"* ]]
	[ ! -e "$S/state" ]
	run_split pub "$S" -n load DATE=$D1
	[[ $output == *"sf-copy"*"-e 'strict'"*"-t 'EVO.PUBLIC.STRICT'"* ]]
	run_split pub "$A" -n validate DATE=$D1
	[[ $output == *"sf-copy"*"-e 'add'"*"-t 'EVO.PUBLIC.ADDED'"* ]]
	[[ $output == *"sf-exec"*"-D table='EVO.PUBLIC.ADDED' 'DESC TABLE <% table %>' >"*"parity-check -s snowflake"*"-T "* ]]
	# Without the setting: strict.
	grep -v SCHEMA_EVOLUTION "$S/config.mk" >"$BATS_TEST_TMPDIR/config.mk"
	run_split make -C "$BATS_TEST_TMPDIR" -f "$REPO/Makefile" --no-print-directory -n load DATE=$D1
	[[ $output == *"-e 'strict'"* ]]
	[ ! -e "$S/state" ]
	[ ! -e "$A/state" ]
}

@test "the first dates publish under both settings" {
	for w in "$S" "$A"; do
		pub "$w" integration iam APPLY=1 stage >/dev/null
		run_split pub "$w" backfill FROM=$D1 TO=$D2
		[ "$status" -eq 0 ]
		[ "$(printf '%s\n' "$output" | grep -c 'match$')" -eq 2 ]
		# The table's columns were read into a temporary file, gone with the step.
		[ -z "$(ls "$(state "$w")"/*/*.tmp* 2>/dev/null)" ]
	done
}

@test "columns added (ADD COLUMNS) on the third date: strict stops, add adds them, every date matches" {
	dbx-exec "ALTER TABLE $SRC ADD COLUMNS (tip DECIMAL(10,2), code STRING)" >/dev/null
	add_date $D3 "trip_id, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, flag, trip_date, tip, code" \
		"trip_id + 3, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, flag, DATE'$D3',
		 CAST(pmod(trip_id, 2000) / 100 AS DECIMAL(10,2)), CAST(pmod(trip_id, 1000) AS STRING)"
	stops_unchanged "$S" EVO.PUBLIC.STRICT $D3
	row tip added 'NUMBER\(10,2\)'
	row code added VARCHAR
	grep -Fq 'ALTER TABLE EVO.PUBLIC.STRICT ADD COLUMN IF NOT EXISTS "tip" NUMBER(10,2)' <<<"$stderr"
	grep -Fq 'ALTER TABLE EVO.PUBLIC.STRICT ADD COLUMN IF NOT EXISTS "code" VARCHAR' <<<"$stderr"
	converges $D3
	grep -Fq 'ALTER TABLE EVO.PUBLIC.ADDED ADD COLUMN IF NOT EXISTS "tip" NUMBER(10,2)' <<<"$(cat "$BATS_TEST_TMPDIR/ran")"
	# The older dates lack the new columns: all NULL there, and so proven.
	jq -e '.["tip.nulls"] == .rows and .["code.nulls"] == .rows' "$(state "$A")/$D1/target.jsonl"
	[ "$(sf-exec "SELECT COUNT(*) AS \"n\" FROM EVO.PUBLIC.ADDED WHERE \"tip\" IS NOT NULL" | jq .n)" -gt 0 ]
}

@test "DECIMAL(10,2) widened to DECIMAL(18,2) (Delta type widening): strict stops, add widens in place" {
	dbx-exec "ALTER TABLE $SRC SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')" >/dev/null
	dbx-exec "ALTER TABLE $SRC ALTER COLUMN fare TYPE DECIMAL(18,2)" >/dev/null
	add_date $D4 "trip_id, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, flag, trip_date, tip, code" \
		"trip_id + 4, pickup_ts, dropoff_ts, CAST(fare * 1000000 AS DECIMAL(18,2)), distance, passengers, vendor,
		 flag, DATE'$D4', CAST(pmod(trip_id, 2000) / 100 AS DECIMAL(10,2)), CAST(pmod(trip_id, 1000) AS STRING)"
	stops_unchanged "$S" EVO.PUBLIC.STRICT $D4
	row fare widened 'NUMBER\(18,2\)' 'NUMBER\(10,2\)'
	row tip added
	grep -Fq 'ALTER TABLE EVO.PUBLIC.STRICT ALTER COLUMN "fare" SET DATA TYPE NUMBER(18,2)' <<<"$stderr"
	converges $D4
	[ "$(sf-exec "DESC TABLE EVO.PUBLIC.ADDED" | jq -r 'select(.name == "fare") | .type')" = "NUMBER(18,2)" ]
	# Values beyond DECIMAL(10,2) arrived whole.
	[ "$(sf-exec "SELECT COUNT(*) AS \"n\" FROM EVO.PUBLIC.ADDED WHERE ABS(\"fare\") >= 100000000" | jq .n)" -gt 0 ]
}

@test "INT promoted to BIGINT: both are NUMBER(38,0) in Snowflake, no difference; add matches" {
	dbx-exec "ALTER TABLE $SRC ALTER COLUMN passengers TYPE BIGINT" >/dev/null
	add_date $D5 "trip_id, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, flag, trip_date, tip, code" \
		"trip_id + 5, pickup_ts, dropoff_ts, fare, distance, passengers + 3000000000, vendor, flag, DATE'$D5',
		 CAST(pmod(trip_id, 2000) / 100 AS DECIMAL(10,2)), CAST(pmod(trip_id, 1000) AS STRING)"
	stops_unchanged "$S" EVO.PUBLIC.STRICT $D5
	row fare widened
	none -q passengers <<<"$stderr"
	converges $D5
	[ "$(sf-exec "SELECT MAX(\"passengers\") AS \"m\" FROM EVO.PUBLIC.ADDED" | jq -r .m)" -gt 3000000000 ]
}

@test "a column dropped (column mapping): strict stops, add loads NULL for the dates that lack it" {
	dbx-exec "ALTER TABLE $SRC SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')" >/dev/null
	dbx-exec "ALTER TABLE $SRC DROP COLUMN flag" >/dev/null
	add_date $D6 "trip_id, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, trip_date, tip, code" \
		"trip_id + 6, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, DATE'$D6',
		 CAST(pmod(trip_id, 2000) / 100 AS DECIMAL(10,2)), CAST(pmod(trip_id, 1000) AS STRING)"
	stops_unchanged "$S" EVO.PUBLIC.STRICT $D6
	row flag dropped
	converges $D6
	# Said once for the date that lacks it.
	[ "$(grep -F "$D6" "$BATS_TEST_TMPDIR/load.err" | grep -c flag)" -eq 1 ]
	[ "$(sf-exec "SELECT COUNT(*) AS \"n\" FROM EVO.PUBLIC.ADDED WHERE \"trip_date\" = '$D6' AND \"flag\" IS NOT NULL" | jq .n)" -eq 0 ]
	[ "$(sf-exec "SELECT COUNT(*) AS \"n\" FROM EVO.PUBLIC.ADDED WHERE \"trip_date\" = '$D5' AND \"flag\" IS NOT NULL" | jq .n)" -gt 0 ]
	jq -e '.["flag.nulls"] == .rows' "$(state "$A")/$D6/target.jsonl"
	# make doctor: under add the differences are what the loads do; under strict the next stops.
	run_split pub "$A" doctor
	grep -Fqx "ok   add: target EVO.PUBLIC.ADDED differs from the source as SCHEMA_EVOLUTION = add allows: extra flag (NULL for dates without them)" <<<"$output"
	run_split pub "$S" doctor
	[ "$status" -ne 0 ]
	grep -Fq "FAIL strict: target EVO.PUBLIC.STRICT differs from the source: missing code,tip extra flag; the next load stops (SCHEMA_EVOLUTION = strict); fix: SCHEMA_EVOLUTION = add" <<<"$output"
}

@test "an incompatible change (STRING to INT, the table rewritten): both settings stop, the tables as they were" {
	dbx-exec "CREATE OR REPLACE TABLE $SRC PARTITIONED BY (trip_date) TBLPROPERTIES ('delta.columnMapping.mode' = 'name',
		'delta.enableTypeWidening' = 'true') AS SELECT trip_id, pickup_ts, dropoff_ts, fare, distance, passengers, vendor,
		trip_date, tip, CAST(code AS INT) AS code FROM $SRC" >/dev/null
	add_date $D7 "trip_id, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, trip_date, tip, code" \
		"trip_id + 7, pickup_ts, dropoff_ts, fare, distance, passengers, vendor, DATE'$D7',
		 CAST(pmod(trip_id, 2000) / 100 AS DECIMAL(10,2)), CAST(pmod(trip_id, 1000) AS INT)"
	# The strict table never gained code (every change before stopped there): to it, code is new.
	stops_unchanged "$S" EVO.PUBLIC.STRICT $D7
	row code added 'NUMBER\(38,0\)'
	stops_unchanged "$A" EVO.PUBLIC.ADDED $D7
	row code incompatible 'NUMBER\(38,0\)' VARCHAR
	# The dates published before still match.
	for x in $(share_dates $D1 $D6); do
		jq -e -s 'length == 1 and .[0].status == "match"' "$(state "$A")/$x/parity.jsonl"
	done
}
