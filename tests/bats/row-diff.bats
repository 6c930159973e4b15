#!/usr/bin/env bats
# row-diff on the local stack: a Delta table (the Databricks stand-in) and a Snowflake table (the
# Snowflake stand-in) of the same rows, but for changes planted in the target; each is found
# exactly, and nothing else is reported.

load helpers

D=2025-11-15		# the date with the planted changes
SAME=2025-11-16		# a date equal on both sides
ALL=2025-11-17		# a date where every row differs

setup_file() {
	stack_up snowflake databricks
	export T="$BATS_FILE_TMPDIR"
	# gen.py SIDE DIALECT TABLE: the INSERT of one side's rows.
	cat >"$T/gen.py" <<-'PY'
		import sys
		side, dialect, table = sys.argv[1:4]
		def q(s): return "NULL" if s is None else "'" + s.replace("'", "''") + "'"
		def clock(us): return "%02d:%02d:%02d.%06d" % (us // 3600000000, us // 60000000 % 60, us // 1000000 % 60, us % 1000000)
		rows = []
		for i in range(1, 2001):
		    us = i * 1000003 % 86400000000
		    r = dict(id=i, date="2025-11-15", fare="%d.%02d" % (i % 500, i * 7 % 100),
		             name=None if i % 44 == 0 else "n%d" % i, ts=clock(us), region="r%d" % (i % 7), k=i // 7)
		    if i == 88: r["name"] = "caf\u00e9"                     # NFC
		    if side == "target":
		        if i == 11: r["fare"] = "99.99"                     # an updated value
		        if i == 22: continue                                # a deleted row
		        if i == 44: r["name"] = ""                          # NULL turned into ''
		        if i == 55: r["name"] += " "                        # a trailing space
		        if i == 66: r["ts"] = clock(us + 1)                 # one microsecond later
		        if i == 77: r["fare"] = r["fare"][:-1] + str((int(r["fare"][-1]) + 1) % 10)  # last digit
		        if i == 88: r["name"] = "cafe\u0301"                # NFD
		    rows.append(r)
		    if side == "target" and i == 33: rows.append(dict(r))   # a duplicated key
		if side == "target":                                        # an inserted row
		    rows.append(dict(id=100001, date="2025-11-15", fare="1.00", name="new", ts=clock(0), region="rx", k=0))
		for i in range(1, 51):
		    rows.append(dict(id=i, date="2025-11-16", fare="5.00", name="same", ts=clock(i), region="r", k=i))
		for i in range(1, 301):
		    rows.append(dict(id=i, date="2025-11-17", fare="%d.00" % (i + (side == "target")), name="all",
		                     ts=clock(i), region="r", k=i))
		ts = (lambda d, t: "TIMESTAMP '%s %s'" % (d, t)) if dialect == "spark" else \
		     (lambda d, t: "'%s %s'::TIMESTAMP_LTZ" % (d, t))
		print("INSERT INTO %s VALUES\n%s" % (table, ",\n".join(
		    "(%d, DATE '%s', CAST(%s AS DECIMAL(10,2)), %s, %s, %s, %d, CAST(%r AS DOUBLE))" % (
		        r["id"], r["date"], r["fare"], q(r["name"]), ts(r["date"], r["ts"]), q(r["region"]), r["k"], r["k"] * 0.1)
		    for r in rows)))
	PY
	dbx-exec 'DROP TABLE IF EXISTS main.default.rowdiff' >/dev/null
	dbx-exec 'CREATE TABLE main.default.rowdiff (id BIGINT, trip_date DATE, fare DECIMAL(10,2), name STRING,
		ts TIMESTAMP, region STRING, k INT, tip DOUBLE) USING DELTA' >/dev/null
	python3 "$T/gen.py" source spark main.default.rowdiff | dbx-exec -f - >/dev/null
	sf-exec 'CREATE DATABASE IF NOT EXISTS ROWDIFF' >/dev/null
	sf-exec 'CREATE OR REPLACE TABLE ROWDIFF.PUBLIC.T ("id" NUMBER(38,0), "trip_date" DATE, "fare" NUMBER(10,2),
		"name" VARCHAR, "ts" TIMESTAMP_LTZ(6), "region" VARCHAR, "k" NUMBER(38,0), "tip" FLOAT)' >/dev/null
	python3 "$T/gen.py" target snowflake ROWDIFF.PUBLIC.T | sf-exec -f - >/dev/null
	# The files' schema, as s3-ls-parquet lists it for the export of such a table.
	cat >"$T/files.jsonl" <<-'EOF'
		{"url":"s3://b/p/trips/date=2025-11-15/run=r1/part-0.parquet","partition":{"date":"2025-11-15","run":"r1"},"rows":2000,"schema":[{"name":"id","physical":"INT64","logical":null},{"name":"trip_date","physical":"INT32","logical":"DATE"},{"name":"fare","physical":"INT64","logical":"DECIMAL","precision":10,"scale":2},{"name":"name","physical":"BYTE_ARRAY","logical":"STRING"},{"name":"ts","physical":"INT64","logical":"TIMESTAMP","unit":"MICROS","utc":true},{"name":"region","physical":"BYTE_ARRAY","logical":"STRING"},{"name":"k","physical":"INT32","logical":null},{"name":"tip","physical":"DOUBLE","logical":null}]}
	EOF
}

rd() { row-diff -s main.default.rowdiff -t ROWDIFF.PUBLIC.T -C trip_date "$@" "$T/files.jsonl"; }

# The planted changes of $D as "key change columns" lines, sorted.
EXPECTED='100001 extra -
11 changed fare
22 missing -
33 duplicate -
44 changed name
55 changed name
66 changed ts
77 changed fare
88 changed name'

# The same, naming each row by its id whatever the key.
by_id() {
	jq -r '[(if (.source | type) == "array" then .target[0].id else (.source.id // .target.id) end | tostring),
		.change, (.columns // ["-"] | join(","))] | join(" ")' | sort
}

# The line of key id $1.
of_key() { jq -c --argjson id "$1" 'select(.key.id == $id)' <<<"$output"; }

summary() { jq -r '[(.key | [.[]] | map(tostring) | join(",")), .change, (.columns // ["-"] | join(","))] | join(" ")' | sort; }

@test "every planted change is found exactly: the right key, change and columns, and nothing else" {
	run_split rd -d $D -K id
	[ "$status" -eq 1 ]
	[ "$(summary <<<"$output")" = "$(sort <<<"$EXPECTED")" ]
	# The rows as each client types them.
	of_key 11 | jq -e '.source.fare == "11.77" and .target.fare == "99.99" and .source.id == 11'
	of_key 44 | jq -e '.source.name == null and .target.name == ""'
	of_key 55 | jq -e '.target.name == "n55 "'
	of_key 88 | jq -e '(.source.name | explode) == [99,97,102,233] and (.target.name | explode) == [99,97,102,101,769]'
	of_key 33 | jq -e '(.source | length) == 1 and (.target | length) == 2'
	of_key 22 | jq -e '.target == null and .source.k == 3'
	of_key 100001 | jq -e '.source == null and .target.name == "new"'
	# Floats as the clients wrote them (0.30000000000000004 is 3 * 0.1), not re-printed.
	grep -q '^{"key":{"id":22},"change":"missing","source":{"id":22,.*"tip":0.30000000000000004}' <<<"$output"
	grep -q '^{"key":{"id":11},.*"k":1,"tip":0.1},"target":{.*"k":1,"tip":0.1}}$' <<<"$output"
	[[ $stderr == "row-diff: $D: rows compared 2000 source, 2001 target; 32 buckets checked; 2 rounds; 2 statements per engine; rows fetched "*"; 9 keys differ" ]]
}

@test "small buckets (-b 4 -T 20): more rounds, the same keys, and far fewer rows fetched" {
	run_split rd -d $D -K id -b 4 -T 20
	[ "$status" -eq 1 ]
	[ "$(summary <<<"$output")" = "$(sort <<<"$EXPECTED")" ]
	rounds=$(sed -n 's/.*; \([0-9]*\) rounds;.*/\1/p' <<<"$stderr")
	fetched=$(sed -n 's/.*rows fetched \([0-9]*\) source.*/\1/p' <<<"$stderr")
	[ "$rounds" -ge 4 ]
	[ "$fetched" -lt 200 ]
}

@test "a composite key (-K region,k) names the same rows by both columns" {
	run_split rd -d $D -K region,k -T 100
	[ "$status" -eq 1 ]
	[ "$(jq -c 'select(.key.k == 1 and .key.region == "r4") | [.change, .columns, (.key | keys_unsorted)]' <<<"$output")" = '["changed",["fare"],["region","k"]]' ]
	[ "$(by_id <<<"$output")" = "$(sort <<<"$EXPECTED")" ]
}

@test "a date with no differences: exit 0, one round, nothing printed" {
	run_split rd -d $SAME -K id
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr == "row-diff: $SAME: rows compared 50 source, 50 target; "*"; 1 rounds; 1 statements per engine; rows fetched 0 source, 0 target; 0 keys differ" ]]
}

@test "every row different: -m stops after that many keys and says so" {
	run_split rd -d $ALL -K id -m 5
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r '[.change, (.columns | join(","))] | join(" ")' <<<"$output" | sort -u)" = "changed fare" ]
	[[ $stderr == "row-diff: $ALL: rows compared 300 source, 300 target; "*"; 5 keys differ (stopped at -m; more may)" ]]
	run_split rd -d $ALL -K id
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 300 ]
}

@test "-V reads the pinned Delta version: at version 0 the table was empty, every target row is extra" {
	run_split rd -d $SAME -K id -V 0
	[ "$status" -eq 1 ]
	[ "$(jq -r .change <<<"$output" | sort -u)" = extra ]
	[ "${#lines[@]}" -eq 50 ]
	run_split rd -d $SAME -K id -V 1
	[ "$status" -eq 0 ]
}

@test "-n prints the first round's SQL for both engines and runs nothing" {
	run_split rd -n -d $D -K region,k -V 7
	[ "$status" -eq 0 ]
	[[ $output == *"-- source (databricks): round 1"*"FROM main.default.rowdiff VERSION AS OF 7"*"GROUP BY MOD(\`dbx2sf_key\`, 32);"* ]]
	[[ $output == *"-- target (snowflake): round 1"*"FROM ROWDIFF.PUBLIC.T"$'\n'"	WHERE \"trip_date\" = DATE '$D'"*"GROUP BY MOD(\"dbx2sf_key\", 32);"* ]]
	# The key's text is the checksum's text of the key columns.
	[[ $output == *"md5(concat_ws('|',"$'\n'"	    coalesce(\`region\`, '<null>'),"$'\n'"	    coalesce(CAST(\`k\` AS STRING), '<null>'))) AS \`dbx2sf_kmd5\`"* ]]
}

@test "usage and bad input: exit 64, 65, 66 with one line naming what" {
	run_split rd -d $D
	[ "$status" -eq 64 ]
	[[ $stderr == "usage: row-diff "* ]]
	run_split rd -d $D -K nosuch
	[ "$status" -eq 64 ]
	[ "$stderr" = 'row-diff: -K nosuch: no column "nosuch" in the files'"'"' schema' ]
	run_split rd -d 2025-02-30 -K id
	[ "$status" -eq 64 ]
	[ "$stderr" = "row-diff: -d 2025-02-30: not a date (YYYY-MM-DD)" ]
	run_split rd -d $D -K id -V 1x
	[ "$status" -eq 64 ]
	run_split rd -d $D -K id -b 1
	[ "$status" -eq 64 ]
	[ "$stderr" = "row-diff: -b 1: not a whole number from 2 to 65536" ]
	run_split row-diff -s main.default.rowdiff -t ROWDIFF.PUBLIC.T -C trip_date -d $D -K id "$T/nosuch.jsonl"
	[ "$status" -eq 66 ]
	: >"$BATS_TEST_TMPDIR/empty.jsonl"
	run_split row-diff -s main.default.rowdiff -t ROWDIFF.PUBLIC.T -C trip_date -d $D -K id "$BATS_TEST_TMPDIR/empty.jsonl"
	[ "$status" -eq 65 ]
	[[ $stderr == *"empty.jsonl: no Parquet files to take the schema from" ]]
}

@test "a table one engine does not have: the engine's error, exit 65" {
	run_split row-diff -s main.default.rowdiff -t ROWDIFF.PUBLIC.NOSUCH -C trip_date -d $D -K id "$T/files.jsonl"
	[ "$status" -eq 65 ]
	[[ $stderr == "row-diff: target snowflake: "* ]]
	[ "$(grep -c . <<<"$stderr")" -eq 1 ]
}

@test "make diff DATE=D: the runbook's row-diff with KEY, the export's version when it has one" {
	w="$BATS_TEST_TMPDIR/w"
	mkdir -p "$w/state/trips/$D"
	cp "$T/files.jsonl" "$w/state/trips/$D/"
	echo '{"version":1}' >"$w/state/trips/$D/export.json"
	cat >"$w/config.mk" <<-CFG
		SOURCE_TABLE     = main.default.rowdiff
		DATE_COLUMN      = trip_date
		KEY              = id
		LANDING          = s3://rowdiff-bucket/landing
		DATASET          = trips
		TARGET_FILE_SIZE = 32K
		TARGET_TABLE     = ROWDIFF.PUBLIC.T
		STAGE            = ROWDIFF.PUBLIC.LAND
		INTEGRATION      = RD_S3
		AWS_ROLE_NAME    = rd-read
		AWS_ACCOUNT_ID   = 123456789012
	CFG
	run_split make -C "$w" -f "$REPO/Makefile" --no-print-directory -n diff DATE=$D
	[[ $output == *"row-diff"*"-K 'id'"*'"-V", .version'* ]]
	run_split make -C "$w" -f "$REPO/Makefile" --no-print-directory -s diff DATE=$D
	[ "$status" -ne 0 ]
	[ "$(summary <<<"$output")" = "$(sort <<<"$EXPECTED")" ]
	# Without a version (null), no -V: the latest version is read.
	echo '{"version":null}' >"$w/state/trips/$D/export.json"
	run_split make -C "$w" -f "$REPO/Makefile" --no-print-directory -s diff DATE=$SAME
	[ "$status" -ne 0 ]	# no state for that date
	cp -r "$w/state/trips/$D" "$w/state/trips/$SAME"
	run_split make -C "$w" -f "$REPO/Makefile" --no-print-directory -s diff DATE=$SAME
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run_split make -C "$w" -f "$REPO/Makefile" --no-print-directory -s diff
	[ "$status" -ne 0 ]
	[[ $stderr == *"diff: needs DATE=YYYY-MM-DD and KEY (config.mk)"* ]]
}

@test "a failed validate says to run make diff for the date" {
	w="$BATS_TEST_TMPDIR/w"
	s="$w/state/trips/$D"
	mkdir -p "$s"
	cat >"$w/config.mk" <<-CFG
		SOURCE_TABLE     = main.default.rowdiff
		DATE_COLUMN      = trip_date
		LANDING          = s3://rowdiff-bucket/landing
		DATASET          = trips
		TARGET_FILE_SIZE = 32K
		TARGET_TABLE     = ROWDIFF.PUBLIC.T
		STAGE            = ROWDIFF.PUBLIC.LAND
		INTEGRATION      = RD_S3
		AWS_ROLE_NAME    = rd-read
		AWS_ACCOUNT_ID   = 123456789012
	CFG
	# A date whose steps are all done but the last: two profiles that differ.
	touch -d '-10 min' "$w/state/integration.jsonl"
	touch -d '-9 min' "$w/state/trips/stage.done" "$w/state/trips/table.done"
	echo '{"version":1}' >"$s/export.json"; touch -d '-8 min' "$s/export.json"
	sed "s/2025-11-15/$D/" "$T/files.jsonl" >"$s/files.jsonl"; touch -d '-7 min' "$s/files.jsonl"
	echo '{}' >"$s/load.jsonl"; touch -d '-6 min' "$s/load.jsonl"
	echo '{"partition":"'$D'","rows":"2000","checksum":"1"}' >"$s/source.jsonl"
	echo '{"partition":"'$D'","rows":"2000","checksum":"2"}' >"$s/target.jsonl"
	touch -d '-5 min' "$s/source.jsonl" "$s/target.jsonl"
	run_split make -C "$w" -f "$REPO/Makefile" --no-print-directory -s validate DATE=$D
	[ "$status" -ne 0 ]
	[[ $stderr == *"validate: $D: no parity; make diff DATE=$D names the rows that differ"* ]]
	[ ! -e "$s/parity.jsonl" ]
}
