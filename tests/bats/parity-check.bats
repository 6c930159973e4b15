#!/usr/bin/env bats
# parity-check: the profile SQL it prints for each engine, and the comparison of profiles and
# footer row counts, as the runbook's validate step uses them.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	# Two files of one partition, as s3-ls-parquet prints them (2 + 1 rows).
	schema='[{"name":"trip_id","physical":"INT64","logical":null,"repetition":"OPTIONAL"},'
	schema+='{"name":"fare","physical":"INT64","logical":"DECIMAL","repetition":"OPTIONAL","precision":10,"scale":2},'
	schema+='{"name":"Rider \"Name\"","physical":"BYTE_ARRAY","logical":"STRING","repetition":"OPTIONAL"}]'
	for i in 0 1; do
		printf '{"url":"s3://b/p/trips/date=2025-11-15/run=r1/part-%d.parquet","partition":{"date":"2025-11-15","run":"r1"},"rows":%d,"schema":%s}\n' \
			"$i" $((2 - i)) "$schema"
	done >files.jsonl
	cat >source.jsonl <<-'EOF'
		{"partition":"2025-11-15","rows":"3","checksum":"421574933871862","trip_id.nulls":"0","trip_id.min":"1","trip_id.max":"3","trip_id.sum":"6","fare.nulls":"0","fare.min":"1.50","fare.max":"9.00","fare.sum":"15.50","Rider \"Name\".nulls":"1","Rider \"Name\".min":"Ann","Rider \"Name\".max":"Bo"}
	EOF
	# The same profile as another client might type it: numbers, shorter decimals.
	cat >target.jsonl <<-'EOF'
		{"partition":"2025-11-15","rows":3,"checksum":"421574933871862","trip_id.nulls":0,"trip_id.min":"1","trip_id.max":"3","trip_id.sum":"6","fare.nulls":"0","fare.min":"1.5","fare.max":"9","fare.sum":"15.5","Rider \"Name\".nulls":"1","Rider \"Name\".min":"Ann","Rider \"Name\".max":"Bo"}
	EOF
}

@test "same profiles match, decimals compared by value" {
	run_split parity-check source.jsonl target.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"partition":"2025-11-15","status":"match"}' ]
	[ -z "$stderr" ]
}

@test "the footers' row counts agree: match" {
	run_split parity-check source.jsonl target.jsonl files.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"partition":"2025-11-15","status":"match"}' ]
}

@test "a changed value is a mismatch naming the metric and both values" {
	sed 's/"fare.sum":"15.5"/"fare.sum":"15.51"/; s/"checksum":"421574933871862"/"checksum":"421574933871863"/' \
		target.jsonl >changed.jsonl
	run_split parity-check source.jsonl changed.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -r .status <<<"$output")" = mismatch ]
	[ "$(jq -c '.diff' <<<"$output")" = '[{"metric":"checksum","source":"421574933871862","target":"421574933871863"},{"metric":"fare.sum","source":"15.50","target":"15.51"}]' ]
}

@test "integers past 2^53 are compared exactly" {
	sed 's/"trip_id.sum":"6"/"trip_id.sum":"9007199254740993"/' source.jsonl >big-s.jsonl
	sed 's/"trip_id.sum":"6"/"trip_id.sum":"9007199254740992"/' target.jsonl >big-t.jsonl
	run_split parity-check big-s.jsonl big-t.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c '.diff[0] | [.metric, .source, .target]' <<<"$output")" = '["trip_id.sum","9007199254740993","9007199254740992"]' ]
}

@test "a partition on one side only is missing, saying which side lacks it" {
	sed 's/2025-11-15/2025-11-16/' source.jsonl >s16.jsonl
	cat s16.jsonl >>source.jsonl
	run_split parity-check source.jsonl target.jsonl
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = '{"partition":"2025-11-15","status":"match"}' ]
	[ "${lines[1]}" = '{"partition":"2025-11-16","status":"missing","missing":["target"]}' ]
}

@test "footers counting other rows than both engines: mismatch on rows" {
	sed 's/"rows":1,/"rows":2,/' files.jsonl >files4.jsonl
	run_split parity-check source.jsonl target.jsonl files4.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c .diff <<<"$output")" = '[{"metric":"rows","source":"3","target":"3","files":"4"}]' ]
}

@test "a partition with files but no rows on either engine is missing from both" {
	sed 's/2025-11-15/2025-11-17/g' files.jsonl >f17.jsonl
	cat f17.jsonl >>files.jsonl
	run_split parity-check source.jsonl target.jsonl files.jsonl
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = '{"partition":"2025-11-17","status":"missing","missing":["source","target"]}' ]
}

@test "a date without rows: rows 0 on both engines and in its one empty file is a match" {
	printf '{"url":"s3://b/p/trips/date=2025-11-16/run=r1/part-0.parquet","partition":{"date":"2025-11-16","run":"r1"},"rows":0,"schema":%s}\n' \
		"$schema" >>files.jsonl
	empty='{"partition":"2025-11-16","rows":"0","checksum":"0","trip_id.nulls":"0","trip_id.min":null,"trip_id.max":null,"trip_id.sum":null,"fare.nulls":"0","fare.min":null,"fare.max":null,"fare.sum.e18":null,"fare.sum.e-2":null}'
	echo "$empty" >>source.jsonl
	echo "$empty" >>target.jsonl
	run_split parity-check source.jsonl target.jsonl files.jsonl
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = '{"partition":"2025-11-16","status":"match"}' ]
}

@test "decimal sums in halves are added up exactly and compared as one sum" {
	# 3 x the largest DECIMAL(38,10) against the same less 1e-10.
	sed 's/"fare.sum":"15.50"/"fare.sum.e10":"2999999999999999997","fare.sum.e-10":"299999999999999999997"/' \
		source.jsonl >halves-s.jsonl
	sed 's/"fare.sum":"15.5"/"fare.sum.e10":"2999999999999999997","fare.sum.e-10":"299999999999999999996"/' \
		target.jsonl >halves-t.jsonl
	run_split parity-check halves-s.jsonl halves-t.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c .diff <<<"$output")" = '[{"metric":"fare.sum","source":"29999999999999999999999999999.9999999997","target":"29999999999999999999999999999.9999999996"}]' ]

	sed 's/"fare.sum.e-10":"299999999999999999997"/"fare.sum.e-10":null/' halves-s.jsonl >partnull.jsonl
	run_split parity-check partnull.jsonl halves-t.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = 'parity-check: partnull.jsonl:1: "fare.sum.e*": some parts null, some not' ]
}

@test "nothing to compare is not a proof: exit 1" {
	: >empty.jsonl
	run_split parity-check empty.jsonl empty.jsonl
	[ "$status" -eq 1 ]
	[ "$stderr" = "parity-check: empty.jsonl, empty.jsonl: no partitions to compare" ]
}

@test "bad input names the file and line" {
	printf '%s\nnot json\n' "$(cat target.jsonl)" >bad.jsonl
	run_split parity-check source.jsonl bad.jsonl
	[ "$status" -eq 65 ]
	[[ $stderr == "parity-check: bad.jsonl:2: not JSON"* ]]

	echo '{"rows":"1"}' >nopart.jsonl
	run_split parity-check nopart.jsonl target.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = 'parity-check: nopart.jsonl:1: no "partition" string' ]

	echo '{"partition":"2025-11-15","rows":"3","fare.sum":15.5}' >real.jsonl
	run_split parity-check source.jsonl real.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = 'parity-check: real.jsonl:1: "fare.sum": not a string, an integer or null (decimals must come as strings)' ]

	cat source.jsonl source.jsonl >twice.jsonl
	run_split parity-check twice.jsonl target.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = "parity-check: twice.jsonl:2: partition 2025-11-15 a second time" ]

	echo '{"url":"s3://b/x.parquet","partition":{"run":"r1"},"rows":1}' >nokey.jsonl
	run_split parity-check source.jsonl target.jsonl nokey.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = "parity-check: nokey.jsonl:1: no partition date= in the file's path" ]
}

@test "missing input and usage errors" {
	run_split parity-check source.jsonl nosuch.jsonl
	[ "$status" -eq 66 ]
	[ "$stderr" = "parity-check: nosuch.jsonl: No such file or directory" ]

	run_split parity-check source.jsonl
	[ "$status" -eq 64 ]
	[[ $stderr == "usage: parity-check "* ]]

	run_split parity-check --sql oracle -t t -p d files.jsonl
	[ "$status" -eq 64 ]
	[ "$stderr" = "parity-check: --sql oracle: not spark or snowflake" ]

	run_split parity-check --sql spark -t main.sales.trips -p trip_date -d 2025-02-29 files.jsonl
	[ "$status" -eq 64 ]
	[ "$stderr" = "parity-check: -d 2025-02-29: not a date (YYYY-MM-DD)" ]

	run_split parity-check --sql spark -t 'trips; drop table x' -p trip_date files.jsonl
	[ "$status" -eq 64 ]
}

@test "--sql prints one profile query per engine from the files' schema" {
	run_split parity-check --sql spark -t main.sales.trips -p trip_date -d 2025-11-15 <files.jsonl
	[ "$status" -eq 0 ]
	[[ $output == *'FROM main.sales.trips'* ]]
	[[ $output == *"WHERE \`trip_date\` IN (DATE '2025-11-15')"* ]]
	[[ $output == *'AS `Rider "Name".min`'* ]]
	[[ $output == *"format_number(\`fare\`, 2), ',', ''), '-', ''), '.', ''), 40, '0'), 1, 20) AS DECIMAL(38,0))) AS STRING) AS \`fare.sum.e18\`"* ]]
	[[ $output == *"FROM (SELECT '2025-11-15' AS \`dbx2sf_partition\`) AS d"$'\n'"LEFT JOIN (SELECT"* ]]

	run_split parity-check --sql snowflake -t ANALYTICS.PUBLIC.TRIPS -p trip_date -d 2025-11-15 files.jsonl
	[ "$status" -eq 0 ]
	[[ $output == *'FROM ANALYTICS.PUBLIC.TRIPS'* ]]
	[[ $output == *'AS "Rider ""Name"".min"'* ]]
	[[ $output == *"TO_VARCHAR(\"fare\"), '-', ''), '.', ''), 40, '0'), 21, 20) AS NUMBER(38,0)))) AS \"fare.sum.e-2\""* ]]
	[[ $output == *'MD5(CONCAT_WS('"'|'"','* ]]
}

@test "--sql refuses files that disagree on the schema, naming file and column" {
	sed '2s/"scale":2/"scale":3/' files.jsonl >mixed.jsonl
	run_split parity-check --sql spark -t main.sales.trips -p trip_date mixed.jsonl
	[ "$status" -eq 65 ]
	[[ $stderr == 'parity-check: mixed.jsonl:2: s3://b/p/trips/date=2025-11-15/run=r1/part-1.parquet: column "fare": INT64 DECIMAL(10,3) here, INT64 DECIMAL(10,2) in mixed.jsonl:1'* ]]

	: >none.jsonl
	run_split parity-check --sql spark -t main.sales.trips -p trip_date none.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = "parity-check: none.jsonl: no Parquet files to take the schema from" ]
}

@test "empty dates, sums at the limits, doubles: both engines agree exactly and changes are seen" {
	[ -x "$REPO/.venv/bin/python" ] || { echo "no .venv: run make deps" >&2; return 1; }
	run_split "$REPO/.venv/bin/python" "$REPO/tests/gen/parity_edges.py" "$REPO/bin/parity-check"
	echo "$stderr" | grep -v WARN | tail -5 >&2
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ $output == *"3 partitions"*"identical on both engines: match"* ]]
	[[ $output == *"the empty date: rows 0 on both engines and in the footers: match; without its target line or its files: missing"* ]]
	[[ $output == *"sums exact (big.sum 7489999999999999999999999999999.9999999252)"* ]]
	[[ $output == *"each one's text as Python's m p q on both engines"* ]]
	[[ $output == *'d = -CAST(0.0 AS DOUBLE) where '*'reported: checksum, d.negzeros'* ]]
}

@test "the checksum agrees between local Spark + Delta and the Snowflake stand-in, every type" {
	[ -x "$REPO/.venv/bin/python" ] || { echo "no .venv: run make deps" >&2; return 1; }
	run_split "$REPO/.venv/bin/python" "$REPO/tests/gen/checksum_agree.py" "$REPO/bin/parity-check"
	echo "$stderr" | grep -v WARN | tail -5 >&2
	[ "$status" -eq 0 ]
	[[ $output == *"INT96: 2 partitions"*"identical on both engines"* ]]
	[[ $output == *"TIMESTAMP_MICROS: 2 partitions"*"identical on both engines"* ]]
	[[ $output == *"a changed value is reported: checksum"* ]]
}

@test "a write error is not a success: standard output full exits 74; a reader gone, 74 quietly" {
	run_full parity-check source.jsonl target.jsonl
	[ "$status" -eq 74 ]
	[ "$stderr" = "parity-check: <stdout>: No space left on device" ]
	run_full parity-check -s spark -t main.sales.trips -p date files.jsonl
	[ "$status" -eq 74 ]
	[ "$stderr" = "parity-check: <stdout>: No space left on device" ]
	run_closed_pipe parity-check source.jsonl target.jsonl
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
	run_closed_pipe parity-check -s snowflake -t db.public.trips -p date files.jsonl
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
}

# ---- a table whose schema evolved (-T), against the Snowflake stand-in ----

# Three tables of the same rows: SRC has exactly the files' columns (its profile stands for the
# source's, which Spark computes alike); ADDED has a column the files lack ("added", NULL on
# 2025-11-15, set on 2025-11-16); RENAMED holds the files' "fare" as "FARE" (a case-only rename).
evolved_tables() {
	stack_up snowflake
	local cols='"trip_id", "trip_date", "fare", "Rider ""Name"""'
	local rows="(1, DATE '2025-11-15', 1.50, 'Ann'), (2, DATE '2025-11-15', 5.00, NULL),
		(3, DATE '2025-11-15', 9.00, 'Bo'), (4, DATE '2025-11-16', 2.00, 'Cy')"
	sf-exec 'CREATE DATABASE IF NOT EXISTS PARITYCHECK' >/dev/null
	sf-exec 'CREATE OR REPLACE TABLE PARITYCHECK.PUBLIC.SRC ("trip_id" NUMBER(38,0), "trip_date" DATE,
		"fare" NUMBER(10,2), "Rider ""Name""" VARCHAR)' >/dev/null
	sf-exec "INSERT INTO PARITYCHECK.PUBLIC.SRC ($cols) VALUES $rows" >/dev/null
	sf-exec 'CREATE OR REPLACE TABLE PARITYCHECK.PUBLIC.ADDED ("trip_id" NUMBER(38,0), "trip_date" DATE,
		"fare" NUMBER(10,2), "Rider ""Name""" VARCHAR, "added" VARCHAR)' >/dev/null
	sf-exec "INSERT INTO PARITYCHECK.PUBLIC.ADDED ($cols) VALUES $rows" >/dev/null
	sf-exec "UPDATE PARITYCHECK.PUBLIC.ADDED SET \"added\" = 'z' WHERE \"trip_date\" = DATE '2025-11-16'" >/dev/null
	sf-exec 'CREATE OR REPLACE TABLE PARITYCHECK.PUBLIC.RENAMED ("trip_id" NUMBER(38,0), "trip_date" DATE,
		"FARE" NUMBER(10,2), "Rider ""Name""" VARCHAR)' >/dev/null
	sf-exec "INSERT INTO PARITYCHECK.PUBLIC.RENAMED (\"trip_id\", \"trip_date\", \"FARE\", \"Rider \"\"Name\"\"\")
		VALUES $rows" >/dev/null
	parity-check -s snowflake -t PARITYCHECK.PUBLIC.SRC -p trip_date -d 2025-11-15 files.jsonl |
		sf-exec -f - >src.jsonl
}

# profile_target TABLE: the target's profile of 2025-11-15 as the runbook takes it, with the
# table's columns from DESC TABLE.
profile_target() {
	sf-exec "DESC TABLE PARITYCHECK.PUBLIC.$1" >"$1.columns.jsonl"
	parity-check -s snowflake -t "PARITYCHECK.PUBLIC.$1" -p trip_date -d 2025-11-15 \
		-T "$1.columns.jsonl" files.jsonl | sf-exec -f - >"$1.jsonl"
}

@test "-T: a table column the date's files lack, NULL for that date, is checked and matches" {
	evolved_tables
	profile_target ADDED
	[ "$(jq -c '[.rows, .["added.nulls"], .["added.min"]]' ADDED.jsonl)" = '["3","3",null]' ]
	run_split parity-check src.jsonl ADDED.jsonl files.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"partition":"2025-11-15","status":"match"}' ]
	[ -z "$stderr" ]
}

@test "-T: one value in that column for the date is a mismatch naming <column>.nulls" {
	evolved_tables
	sf-exec "UPDATE PARITYCHECK.PUBLIC.ADDED SET \"added\" = 'x' WHERE \"trip_id\" = 2" >/dev/null
	profile_target ADDED
	run_split parity-check src.jsonl ADDED.jsonl files.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c .diff <<<"$output")" = '[{"metric":"added.nulls","source":"3","target":"2"}]' ]
}

@test "-T: a column renamed in case only is read from the table's column under the file's name" {
	evolved_tables
	# Without the table's columns the files' "fare" is not there: Snowflake keeps quoted case.
	run_split sh -c 'parity-check -s snowflake -t PARITYCHECK.PUBLIC.RENAMED -p trip_date -d 2025-11-15 files.jsonl |
		sf-exec -f -'
	[ "$status" -eq 65 ]
	[[ $stderr == *"invalid identifier '\"fare\"'"* ]]
	profile_target RENAMED
	[ "$(jq -c '[.["fare.sum.e18"], .["fare.sum.e-2"], .["fare.min"]]' RENAMED.jsonl)" = '["0","1550","1.50"]' ]
	run_split parity-check src.jsonl RENAMED.jsonl files.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"partition":"2025-11-15","status":"match"}' ]
	# The checksum covers the renamed column: a changed fare is seen.
	sf-exec "UPDATE PARITYCHECK.PUBLIC.RENAMED SET \"FARE\" = 1.51 WHERE \"trip_id\" = 1" >/dev/null
	profile_target RENAMED
	run_split parity-check src.jsonl RENAMED.jsonl files.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.diff[].metric]' <<<"$output")" = '["checksum","fare.min","fare.sum"]' ]
}

@test "-T: a missing, unreadable or bad columns file is one line and the exit status of bad input" {
	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T nosuch.jsonl files.jsonl
	[ "$status" -eq 66 ]
	[ "$stderr" = "parity-check: nosuch.jsonl: No such file or directory" ]

	mkdir cols.d
	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T cols.d files.jsonl
	[ "$status" -eq 66 ]
	[ "$stderr" = "parity-check: cols.d: Is a directory" ]

	printf '{"name":"trip_id"}\nnot json\n' >bad.jsonl
	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T bad.jsonl files.jsonl
	[ "$status" -eq 65 ]
	[[ $stderr == "parity-check: bad.jsonl:2: not JSON: "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]

	printf '{"name":"trip_id"}\n{"column":"fare"}\n' >noname.jsonl
	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T noname.jsonl files.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = 'parity-check: noname.jsonl:2: no "name" string; not a column of DESC TABLE' ]

	: >none.jsonl
	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T none.jsonl files.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = "parity-check: none.jsonl: no columns; DESC TABLE of the target expected" ]

	printf '{"name":"trip_id"}\n{"name":"Rider \\"Name\\""}\n' >nofare.jsonl
	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T nofare.jsonl files.jsonl
	[ "$status" -eq 65 ]
	[ "$stderr" = 'parity-check: nofare.jsonl: column "fare" of the files: not in the table' ]
	[ -z "$output" ]
}

@test "-T is for the Snowflake query only, and not for comparing" {
	printf '{"name":"trip_id"}\n' >cols.jsonl
	run_split parity-check -s spark -t main.sales.trips -p trip_date -T cols.jsonl files.jsonl
	[ "$status" -eq 64 ]
	[ "$stderr" = "parity-check: -T cols.jsonl: the target table's columns, for --sql snowflake only" ]

	run_split parity-check -T cols.jsonl source.jsonl target.jsonl
	[ "$status" -eq 64 ]
	[[ $stderr == "usage: parity-check "*"[-T columns]"* ]]

	run_split parity-check -s snowflake -t db.public.trips -p trip_date -T - <files.jsonl
	[ "$status" -eq 64 ]
	[ "$stderr" = "parity-check: -T and the files cannot both be standard input" ]
}
