#!/usr/bin/env bats
# The Makefile runbook on the full local stack: integration to validate for a range of dates,
# a failure in the middle of a range backfill and the re-run that finishes it, the pipe, and
# cleanup with and without CONFIRM.

load helpers

FROM=2025-10-01
TO=2025-10-03

setup_file() {
	stack_up moto snowflake databricks
	export WORK="$BATS_FILE_TMPDIR/work" BUCKET=$(test_bucket)
	mkdir -p "$WORK"
	seed_trips --table main.default.rbtrips --start $FROM --dates 3 --rows-per-date 3000 --seed 7
	aws-request -s s3 -X PUT "/$BUCKET" >/dev/null
	sf-exec "CREATE DATABASE IF NOT EXISTS RB" >/dev/null
	cat >"$WORK/config.mk" <<-CFG
		SOURCE_TABLE     = main.default.rbtrips
		DATE_COLUMN      = trip_date
		LANDING          = s3://$BUCKET/landing
		DATASET          = trips
		TARGET_FILE_SIZE = 32K
		TARGET_TABLE     = RB.PUBLIC.TRIPS
		STAGE            = RB.PUBLIC.LAND
		INTEGRATION      = RB_S3
		READER_ROLE      = ANALYST
		PIPE             = RB.PUBLIC.TRIPS_PIPE
		AWS_ROLE_NAME    = rb-snowflake-read
		AWS_ACCOUNT_ID   = 123456789012
	CFG
}

rb() { make -C "$WORK" -f "$REPO/Makefile" --no-print-directory "$@"; }

# Rows per date in the target table, as "date rows" lines.
target_counts() {
	sf-exec 'SELECT "trip_date"::VARCHAR AS d, COUNT(*) AS n FROM RB.PUBLIC.TRIPS GROUP BY 1 ORDER BY 1' |
		jq -r '"\(.D) \(.N)"'
}

@test "without config.mk: a line saying where to start from, and make fails" {
	run_split make -C "$BATS_TEST_TMPDIR" -f "$REPO/Makefile" --no-print-directory integration
	[ "$status" -ne 0 ]
	[[ $stderr == *"config.mk: missing here; start from $REPO/share/config.mk"* ]]
}

@test "make -n shows the real commands of a step and runs nothing" {
	run_split rb -n load DATE=$FROM
	[ "$status" -eq 0 ]
	# Every setting reaches the shell single-quoted.
	[[ $output == *"dbx-export"*"-t 'main.default.rbtrips' -c 'trip_date' -d '$FROM'"* ]]
	[[ $output == *"sf-copy"*"-p 'trip_date' -k date"*"-t 'RB.PUBLIC.TRIPS'"* ]]
	[ ! -e "$WORK/state" ]
	run_split rb -n backfill FROM=2025-10-31 TO=2025-10-30
	[ "$status" -ne 0 ]
	[[ $stderr == *"not a date range"* ]]
}

@test "integration, iam APPLY=1, stage: the trust policy names Snowflake's user and external id" {
	rb integration iam APPLY=1 stage
	user=$(jq -r 'select(.property == "STORAGE_AWS_IAM_USER_ARN") | .property_value' "$WORK/state/integration.jsonl")
	ext=$(jq -r 'select(.property == "STORAGE_AWS_EXTERNAL_ID") | .property_value' "$WORK/state/integration.jsonl")
	[ -n "$user" ] && [ -n "$ext" ]
	jq -e --arg u "$user" --arg e "$ext" '.Statement[0] | .Principal.AWS == $u and
		.Condition.StringEquals["sts:ExternalId"] == $e and .Action == "sts:AssumeRole"' "$WORK/state/iam-trust.json"
	jq -e --arg b "$BUCKET" '.Statement[0].Resource == "arn:aws:s3:::\($b)/landing/trips/*" and
		(.Statement[1].Condition.StringLike["s3:prefix"] == ["landing/trips/*"])' "$WORK/state/iam-read-policy.json"
	run_split aws-request -s iam -f Action=GetRole -f Version=2010-05-08 -f RoleName=rb-snowflake-read /
	[ "$status" -eq 0 ]
	[ -e "$WORK/state/trips/stage.done" ]
	# Idempotent: a second run has nothing to do (V=1: make would echo any command it ran).
	run_split rb V=1 integration iam stage
	[ "$status" -eq 0 ]
	[[ $output != *sf-exec* ]]
	[[ $output != *jq* ]]
}

@test "a range backfill that fails in the middle, re-run after the stack is back: every date matches once" {
	rb backfill DATE=$FROM >/dev/null
	[ "$(jq -r .status "$WORK/state/trips/$FROM/parity.jsonl")" = match ]
	first_run=$(jq -r .run "$WORK/state/trips/$FROM/export.json")
	# Snowflake goes away: the other dates export and list, and their loads fail.
	"$STACK" stop snowflake
	run_split rb -j2 backfill FROM=$FROM TO=$TO
	[ "$status" -ne 0 ]
	for d in 2025-10-02 2025-10-03; do
		[ -e "$WORK/state/trips/$d/files.jsonl" ]
		[ ! -e "$WORK/state/trips/$d/load.jsonl" ]
		[ ! -e "$WORK/state/trips/$d/parity.jsonl" ]
	done
	# Nothing half-written: the failed steps left no file.
	[ -z "$(ls "$WORK"/state/trips/*/*.tmp 2>/dev/null)" ]
	# Back, same state: the re-run finishes from where it failed, the done date is skipped.
	stack_up snowflake
	run_split rb -j2 backfill FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[ "$(jq -r .run "$WORK/state/trips/$FROM/export.json")" = "$first_run" ]
	[ "$(printf '%s\n' "$output" | grep -c 'match$')" -eq 3 ]
	[ "$(target_counts)" = "$(printf '2025-10-01 3000\n2025-10-02 3000\n2025-10-03 3000')" ]
	for d in 2025-10-01 2025-10-02 2025-10-03; do
		jq -e -s 'length == 1 and .[0].status == "match"' "$WORK/state/trips/$d/parity.jsonl"
		[ "$(jq -s 'map(.rows) | add' "$WORK/state/trips/$d/files.jsonl")" -eq 3000 ]
		[ "$(jq -s length "$WORK/state/trips/$d/files.jsonl")" -gt 1 ]
	done
}

@test "a date loaded again (state forgotten, a new export) leaves no duplicates" {
	old=$(jq -r .location "$WORK/state/trips/2025-10-02/export.json")
	rb forget DATE=2025-10-02
	rb backfill DATE=2025-10-02 >/dev/null
	new=$(jq -r .location "$WORK/state/trips/2025-10-02/export.json")
	[ "$old" != "$new" ]
	[ "$(target_counts)" = "$(printf '2025-10-01 3000\n2025-10-02 3000\n2025-10-03 3000')" ]
}

# The files of a date's state, as "name inode mtime" lines: a remade file has a new inode.
state_stamp() { (cd "$WORK/state/trips/$1" && stat -c '%n %i %Y' export.json files.jsonl load.jsonl parity.jsonl); }

@test "a forgotten date in a range backfill: only it is exported and loaded again, matched dates untouched" {
	two=$(state_stamp 2025-10-02) three=$(state_stamp 2025-10-03)
	table=$(stat -c '%i %Y' "$WORK/state/trips/table.done")
	# The first date: the table was made from its files, and must not be made again.
	rb forget DATE=2025-10-01
	sleep 1
	run_split rb -j2 backfill FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c 'match$')" -eq 3 ]
	[ "$(state_stamp 2025-10-02)" = "$two" ]
	[ "$(state_stamp 2025-10-03)" = "$three" ]
	[ "$(stat -c '%i %Y' "$WORK/state/trips/table.done")" = "$table" ]
	[ "$(target_counts)" = "$(printf '2025-10-01 3000\n2025-10-02 3000\n2025-10-03 3000')" ]
}

@test "prune: superseded run directories of a matched date are named, kept without CONFIRM, then deleted" {
	proven=$(jq -r .location "$WORK/state/trips/2025-10-02/export.json")
	runs() { s3-ls-parquet -a "s3://$BUCKET/landing/trips/date=2025-10-02/" | jq -r .url |
		sed 's|^\(.*/run=[^/]*/\).*|\1|' | sort -u; }
	[ "$(runs | wc -l)" -ge 2 ]
	before=$(s3-ls-parquet -a "s3://$BUCKET/landing/" | jq -s length)
	run_split rb prune
	[ "$status" -eq 0 ]
	[[ $stderr == *"prune: would delete s3://$BUCKET/landing/trips/date=2025-10-02/run="* ]]
	[[ $stderr != *"$proven"* ]]
	[[ $stderr == *"nothing done"* ]]
	[ "$(s3-ls-parquet -a "s3://$BUCKET/landing/" | jq -s length)" -eq "$before" ]
	run_split rb prune CONFIRM=yes
	[ "$status" -eq 0 ]
	[[ $stderr == *"prune: deleting s3://$BUCKET/landing/trips/date=2025-10-02/run="* ]]
	[ "$(runs)" = "$proven" ]
	# What the proof rests on is still there and still proves the date.
	for d in 2025-10-01 2025-10-02 2025-10-03; do
		[ "$(runs_of $d)" = "$(jq -r .location "$WORK/state/trips/$d/export.json")" ]
	done
	rm "$WORK/state/trips/2025-10-02/source.jsonl" "$WORK/state/trips/2025-10-02/parity.jsonl"
	rb validate DATE=2025-10-02
	[ "$(jq -r .status "$WORK/state/trips/2025-10-02/parity.jsonl")" = match ]
}

runs_of() { s3-ls-parquet -a "s3://$BUCKET/landing/trips/date=$1/" | jq -r .url | sed 's|^\(.*/run=[^/]*/\).*|\1|' | sort -u; }

@test "make killed during an export: its orphaned recipe and the re-run never share a temporary file" {
	rb forget DATE=2025-10-04
	setsid make -C "$WORK" -f "$REPO/Makefile" --no-print-directory export DATE=2025-10-04 >/dev/null 2>&1 &
	mk=$!
	for _ in $(seq 100); do
		ls "$WORK"/state/trips/2025-10-04/export.json.tmp.* >/dev/null 2>&1 && break
		sleep 0.1
	done
	kill -KILL "$mk"
	run_split rb export DATE=2025-10-04
	[ "$status" -eq 0 ]
	[[ $stderr != *"cannot stat"* ]]
	# The orphan finishes on its own; whichever export renamed last, the file is whole.
	for _ in $(seq 300); do
		pgrep -f "2025-10-04/export.json.tmp" >/dev/null || break
		sleep 0.2
	done
	jq -e '.location | test("date=2025-10-04/run=")' "$WORK/state/trips/2025-10-04/export.json"
	[ -z "$(ls "$WORK"/state/trips/2025-10-04/*.tmp* 2>/dev/null)" ]
	rb forget DATE=2025-10-04
	s3-ls-parquet -a "s3://$BUCKET/landing/trips/date=2025-10-04/" | "$REPO/share/s3-delete"
}

@test "a date without rows in a range: exported, loaded and proven as 0 = 0 = 0, and the range matches" {
	run_split rb -j2 backfill FROM=2025-10-03 TO=2025-10-04
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c 'match$')" -eq 2 ]
	jq -e -s 'length == 1 and .[0].status == "match"' "$WORK/state/trips/2025-10-04/parity.jsonl"
	[ "$(jq -s 'map(.rows) | add' "$WORK/state/trips/2025-10-04/files.jsonl")" -eq 0 ]
	for side in source target; do
		jq -e -s 'length == 1 and .[0].rows == "0" and .[0].checksum == "0" and .[0].partition == "2025-10-04"' \
			"$WORK/state/trips/2025-10-04/$side.jsonl"
	done
	[ "$(sf-exec "SELECT COUNT(*) AS n FROM RB.PUBLIC.TRIPS WHERE \"trip_date\" = '2025-10-04'" | jq .N)" -eq 0 ]
	# Run again: nothing to do, the proof stands.
	run_split rb backfill FROM=2025-10-03 TO=2025-10-04
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c 'match$')" -eq 2 ]
}

@test "a row changed in the target after the load: parity fails, no parity.jsonl" {
	sf-exec "UPDATE RB.PUBLIC.TRIPS SET \"fare\" = \"fare\" + 1 WHERE \"trip_date\" = '2025-10-03'
		AND \"trip_id\" = (SELECT MIN(\"trip_id\") FROM RB.PUBLIC.TRIPS WHERE \"trip_date\" = '2025-10-03')" >/dev/null
	rm "$WORK/state/trips/2025-10-03/target.jsonl" "$WORK/state/trips/2025-10-03/parity.jsonl"
	run_split rb validate DATE=2025-10-03
	[ "$status" -ne 0 ]
	[ ! -e "$WORK/state/trips/2025-10-03/parity.jsonl" ]
	jq -e '.status == "mismatch" and any(.diff[]; .metric == "checksum")' "$WORK/state/trips/2025-10-03/parity-failed.jsonl"
	[[ $stderr == *'"status":"mismatch"'* ]]
	# Put right by loading the date again: the load replaces it, parity matches.
	rm "$WORK/state/trips/2025-10-03/load.jsonl" "$WORK/state/trips/2025-10-03/target.jsonl"
	rb backfill DATE=2025-10-03 >/dev/null
	[ "$(jq -r .status "$WORK/state/trips/2025-10-03/parity.jsonl")" = match ]
}

# Re-validate date $1 of the target after tampering; the comparison is left in $BATS_TEST_TMPDIR/diff.
revalidate() {
	rm -f "$WORK/state/trips/$1/target.jsonl" "$WORK/state/trips/$1/parity.jsonl"
	run_split rb validate DATE=$1
	cp "$WORK/state/trips/$1/parity-failed.jsonl" "$BATS_TEST_TMPDIR/diff" 2>/dev/null || true
}

# Put date $1 right again by loading it anew.
reload() {
	rm -f "$WORK/state/trips/$1/load.jsonl" "$WORK/state/trips/$1/target.jsonl"
	rb backfill DATE=$1 >/dev/null
	[ "$(jq -r .status "$WORK/state/trips/$1/parity.jsonl")" = match ]
}

@test "two rows' fares swapped: counts, sums, min and max all equal; the checksum alone catches it" {
	sf-exec "UPDATE RB.PUBLIC.TRIPS t SET \"fare\" = CASE WHEN \"trip_id\" = a.id1 THEN a.f2 ELSE a.f1 END
		FROM (SELECT MIN(\"trip_id\") AS id1, MAX(\"trip_id\") AS id2,
		        MIN_BY(\"fare\", \"trip_id\") AS f1, MAX_BY(\"fare\", \"trip_id\") AS f2
		      FROM RB.PUBLIC.TRIPS WHERE \"trip_date\" = '2025-10-02') a
		WHERE t.\"trip_date\" = '2025-10-02' AND t.\"trip_id\" IN (a.id1, a.id2)" >/dev/null
	revalidate 2025-10-02
	[ "$status" -ne 0 ]
	[ ! -e "$WORK/state/trips/2025-10-02/parity.jsonl" ]
	jq -e '.status == "mismatch" and ([.diff[].metric] == ["checksum"])' "$BATS_TEST_TMPDIR/diff"
	reload 2025-10-02
}

@test "a row deleted in the target: rows, footers and checksum differ" {
	sf-exec "DELETE FROM RB.PUBLIC.TRIPS WHERE \"trip_date\" = '2025-10-01' AND \"trip_id\" =
		(SELECT MAX(\"trip_id\") FROM RB.PUBLIC.TRIPS WHERE \"trip_date\" = '2025-10-01')" >/dev/null
	revalidate 2025-10-01
	[ "$status" -ne 0 ]
	jq -e '.status == "mismatch" and any(.diff[]; .metric == "rows" and .source == "3000" and .target == "2999")
		and any(.diff[]; .metric == "checksum")' "$BATS_TEST_TMPDIR/diff"
	reload 2025-10-01
}

@test "grant and pipe: the pipe's queue receives the bucket's object-created events" {
	rb grant
	rb pipe
	arn=$(jq -r .notification_channel "$WORK/state/trips/pipe.jsonl")
	[[ $arn == arn:aws:sqs:* ]]
	run_split aws-request -s s3 "/$BUCKET?notification"
	[[ $output == *"<Queue>$arn</Queue>"* ]]
	[[ $output == *"<Value>landing/trips/</Value>"* ]]
	# A new file lands: the event reaches the queue and the pipe loads it (the date from the file).
	f=$(jq -r .key "$WORK/state/trips/2025-10-01/files.jsonl" | head -n 1)
	rows=$(jq -r --arg k "$f" 'select(.key == $k) | .rows' "$WORK/state/trips/2025-10-01/files.jsonl")
	aws-request -s s3 "/$BUCKET/$f" >"$BATS_TEST_TMPDIR/p.parquet"
	aws-request -s s3 -X PUT -d "@$BATS_TEST_TMPDIR/p.parquet" "/$BUCKET/landing/trips/date=2025-10-01/run=pipe/part-00000.parquet" >/dev/null
	want="2025-10-01 $((3000 + rows))"
	for _ in $(seq 60); do
		[ "$(target_counts | head -n 1)" = "$want" ] && break
		sleep 1
	done
	[ "$(target_counts | head -n 1)" = "$want" ]
}

@test "cleanup without CONFIRM deletes nothing; with CONFIRM=yes the matched dates' objects go" {
	before=$(s3-ls-parquet -a "s3://$BUCKET/landing/" | jq -s length)
	run_split rb cleanup
	[ "$status" -eq 0 ]
	[[ $output == *"would delete s3://$BUCKET/landing/trips/date=2025-10-01/"* ]]
	[[ $output == *"nothing done"* ]]
	[ "$(s3-ls-parquet -a "s3://$BUCKET/landing/" | jq -s length)" -eq "$before" ]
	sf-exec "SHOW STAGES LIKE 'LAND' IN SCHEMA RB.PUBLIC" | jq -e -s 'length == 1'
	rb cleanup CONFIRM=yes
	run_split s3-ls-parquet -a "s3://$BUCKET/landing/trips/"
	[ "$status" -eq 66 ]
	sf-exec "SHOW STAGES LIKE 'LAND' IN SCHEMA RB.PUBLIC" | jq -e -s 'length == 0'
	sf-exec "SHOW PIPES LIKE 'TRIPS_PIPE' IN SCHEMA RB.PUBLIC" | jq -e -s 'length == 0'
	# The published table stays.
	[ "$(target_counts | wc -l)" -eq 3 ]
	[ "$(target_counts | tail -n 1)" = "2025-10-03 3000" ]
}
