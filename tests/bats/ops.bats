#!/usr/bin/env bats
# Operating publications on the full local stack: two tables in one working directory
# (tables/trips.mk, tables/riders.mk), a range backfill with one date made to fail, make status
# before and after the fix, the progress lines, and make doctor breaking one thing at a time.

load helpers

FROM=2025-10-01
TO=2025-10-03

setup_file() {
	stack_up moto snowflake databricks
	export WORK="$BATS_FILE_TMPDIR/work" BUCKET=$(test_bucket)
	mkdir -p "$WORK/tables"
	for t in trips riders; do
		seed_trips --table main.default.op$t --start $FROM --dates 3 --rows-per-date 300 --seed 11
	done
	aws-request -s s3 -X PUT "/$BUCKET" >/dev/null
	sf-exec "CREATE DATABASE IF NOT EXISTS OPS" >/dev/null
	# The shared settings; each table's in its own file.
	cat >"$WORK/config.mk" <<-CFG
		LANDING          = s3://$BUCKET/landing
		INTEGRATION      = OPS_S3
		AWS_ROLE_NAME    = ops-snowflake-read
		AWS_ACCOUNT_ID   = 123456789012
		TARGET_FILE_SIZE = 32K
	CFG
	for t in trips riders; do
		T=$(tr a-z A-Z <<<"$t")
		cat >"$WORK/tables/$t.mk" <<-CFG
			SOURCE_TABLE = main.default.op$t
			DATE_COLUMN  = trip_date
			DATASET      = $t
			TARGET_TABLE = OPS.PUBLIC.$T
			STAGE        = OPS.PUBLIC.LAND_$T
			PIPE         = OPS.PUBLIC.${T}_PIPE
		CFG
	done
}

rb() { make -C "$WORK" -f "$REPO/Makefile" --no-print-directory "$@"; }

# Requests that reached the Snowflake and Databricks stand-ins so far.
requests() {
	local p
	for p in snowflake databricks; do
		curl -fsS "http://127.0.0.1:$(cat "$STACK_DIR/$p.port")/_stack/stats" | jq '[.requests[]] | add // 0'
	done | paste -sd' '
}

@test "a bad table file is named, two tables may not share a dataset, TABLES names tables; nothing runs" {
	local before=$(requests)
	cp "$WORK/tables/riders.mk" "$BATS_TEST_TMPDIR/riders.mk"
	sed -i 's/^STAGE .*/STAGE = OPS.PUBLIC.LAND;X/' "$WORK/tables/riders.mk"
	run_split rb backfill DATE=$FROM
	[ "$status" -ne 0 ]
	[[ $stderr == *"config: tables/riders.mk: STAGE = 'OPS.PUBLIC.LAND;X': not DATABASE.SCHEMA.NAME"* ]]
	sed -i 's/^STAGE .*/STAGE = OPS.PUBLIC.LAND_RIDERS/; s/^DATASET .*/DATASET = trips/' "$WORK/tables/riders.mk"
	run_split rb backfill DATE=$FROM
	[ "$status" -ne 0 ]
	[[ $stderr == *"config: tables/trips.mk: DATASET = 'trips': also the DATASET of tables/riders.mk"* ]]
	cp "$BATS_TEST_TMPDIR/riders.mk" "$WORK/tables/riders.mk"
	run_split rb backfill DATE=$FROM TABLES=nosuch
	[ "$status" -ne 0 ]
	[[ $stderr == *"config: TABLES: 'nosuch': no tables/nosuch.mk"* ]]
	# A shared setting is named as config.mk's.
	run_split rb integration AWS_ACCOUNT_ID=1234
	[ "$status" -ne 0 ]
	[[ $stderr == *"config: AWS_ACCOUNT_ID = '1234': not an AWS account id"* ]]
	[ ! -e "$WORK/state" ]
	[ "$(requests)" = "$before" ]
}

@test "doctor before the first step: each missing piece named with its fix" {
	run_split rb doctor
	[ "$status" -ne 0 ]
	[[ $output == *"ok   aws: credentials accepted"* ]]
	[[ $output == *"ok   snowflake: connected as DBX2SF"* ]]
	[[ $output == *"ok   databricks: SQL warehouse answers"* ]]
	[[ $output == *"FAIL integration OPS_S3: "*"fix: make integration"* ]]
	[[ $output == *"FAIL iam role ops-snowflake-read: "*"fix: make iam APPLY=1"* ]]
	[[ $output == *"FAIL trips: stage OPS.PUBLIC.LAND_TRIPS: "*"fix: make stage"* ]]
	[[ $output == *"ok   riders: source main.default.opriders time-travels"* ]]
	[[ $output == *"ok   trips: target OPS.PUBLIC.TRIPS not made yet"* ]]
	# Read-only: nothing was made.
	[ ! -e "$WORK/state" ]
	sf-exec "SHOW STAGES LIKE 'LAND_%' IN SCHEMA OPS.PUBLIC" | jq -e -s 'length == 0'
}

@test "integration, iam, stage: one role whose read policy covers every table's dataset, a stage each" {
	rb integration iam APPLY=1 stage
	jq -e --arg b "$BUCKET" '.Statement[0].Resource == ["arn:aws:s3:::\($b)/landing/riders/*", "arn:aws:s3:::\($b)/landing/trips/*"]
		and .Statement[1].Condition.StringLike["s3:prefix"] == ["landing/riders/*", "landing/trips/*"]' "$WORK/state/iam-read-policy.json"
	[ -e "$WORK/state/trips/stage.done" ] && [ -e "$WORK/state/riders/stage.done" ]
	sf-exec "SHOW STAGES LIKE 'LAND_%' IN SCHEMA OPS.PUBLIC" | jq -e -s 'map(.name) | sort == ["LAND_RIDERS", "LAND_TRIPS"]'
}

@test "two tables over a range, one date failing: progress lines, status names the step and its error" {
	# riders 2025-10-02 was exported to a run directory that has since gone: its listing fails.
	mkdir -p "$WORK/state/riders/2025-10-02"
	jq -n --arg b "$BUCKET" '{statement_id: "x", state: "SUCCEEDED", files: 1, rows: 300, version: 41,
		location: "s3://\($b)/landing/riders/date=2025-10-02/run=gone/"}' >"$WORK/state/riders/2025-10-02/export.json"
	run_split rb -k -j3 backfill FROM=$FROM TO=$TO
	[ "$status" -ne 0 ]
	# make's own echo is off: the progress lines say what happened, one per finished step.
	[[ $output != *dbx-export* && $output != *sf-copy* && $stderr != *dbx-export* ]]
	# The export's line names the Delta version the date is pinned to.
	[[ $stderr =~ \[1/3\]\ trips\ 2025-10-01\ export\ ok:\ 1\ files\ planned,\ 300\ rows,\ version\ [0-9]+,\ [0-9]+\.[0-9]\ s ]]
	[[ $stderr =~ \[3/3\]\ riders\ 2025-10-03\ load\ ok:\ 1\ files,\ 300\ rows,\ [0-9]+\.[0-9]\ s ]]
	[[ $stderr =~ \[2/3\]\ trips\ 2025-10-02\ parity\ ok:\ match,\ [0-9]+\.[0-9]\ s ]]
	[[ $stderr =~ \[2/3\]\ riders\ 2025-10-02\ files\ failed\ \(exit\ 66\):\ s3-ls-parquet:\ [^$'\n']*run=gone ]]
	# trips: 3 dates of 6 steps; riders: 2 dates of 6 steps, the failing one's export was there.
	[ "$(grep -c '^\[[0-9]/3\] [a-z]* 2025-10-0[1-3] [a-z]* ok: ' <<<"$stderr")" -eq 30 ]
	# The failure is in the state: its step, exit status and the tool's last line.
	jq -e '.step == "files" and .status == 66 and (.error | startswith("s3-ls-parquet: "))' \
		"$WORK/state/riders/2025-10-02/files.failed"
	jq -e '.step == "load" and (.seconds | type == "number")' "$WORK/state/trips/2025-10-01/load.time"

	run_split rb status FROM=$FROM TO=$TO
	[ "$status" -ne 0 ]
	[[ $output =~ riders\ 2025-10-02\ failed:\ files\ failed:\ s3-ls-parquet:\ [^$'\n']*run=gone[^$'\n']*\;\ export\ done\;\ version\ 41 ]]
	# A matched date names the Delta version it was proven at (dbx-export pins every date).
	[[ $output =~ trips\ 2025-10-01\ matched:\ parity\ done\;\ 1\ files,\ 300\ rows,\ [0-9,]+\ bytes\;\ version\ [0-9]+\;\ export\ [0-9.]+\ s,\ files ]]
	[[ $output == *"riders: 3 dates: 2 matched, 1 failed, 0 pending; 600 rows, "*" bytes published"* ]]
	[[ $output == *"trips: 3 dates: 3 matched, 0 failed, 0 pending; 900 rows, "*" bytes published"* ]]
	run_split rb status FROM=$FROM TO=2025-10-04 FORMAT=json TABLES=riders
	[ "$status" -ne 0 ]
	jq -e -s 'map(select(.date == "2025-10-02"))[0] | .status == "failed" and .failed_step == "files"
		and .last_step == "export" and .version == 41 and (.error | test("run=gone"))' <<<"$output"
	jq -e -s 'map(select(.date == "2025-10-04"))[0] | .status == "pending" and .last_step == null' <<<"$output"
	jq -e -s 'map(select(.totals))[0] | .table == "riders" and .totals ==
		{dates: 4, matched: 2, failed: 1, pending: 1, rows: 600, bytes: .totals.bytes} and .totals.bytes > 0' <<<"$output"
	jq -e -s 'map(select(.date == "2025-10-01"))[0] | .files == 1 and .rows == 300 and
		(.elapsed | keys_unsorted == ["export", "files", "source", "load", "target", "parity"])' <<<"$output"
	# share/status itself says 1 (make reports any failed recipe as 2).
	run bash -c "cd '$WORK' && echo 'riders riders' | '$REPO/share/status' 2025-10-02"
	[ "$status" -eq 1 ]
	[[ $output == "riders 2025-10-02 failed: files failed: s3-ls-parquet: "* ]]
}

@test "after the fix the same backfill completes, every date matches, status exits 0" {
	rb forget DATE=2025-10-02 TABLES=riders
	run_split rb -j3 backfill FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[ "$(grep -c $'\tmatch$' <<<"$output")" -eq 6 ]
	[[ $output == *$'riders\t2025-10-02\tmatch'* ]]
	# Only the forgotten date ran: six steps, six progress lines.
	[ "$(grep -c ' ok: ' <<<"$stderr")" -eq 6 ]
	[ ! -e "$WORK/state/riders/2025-10-02/files.failed" ]
	run_split rb status FROM=$FROM TO=$TO
	[ "$status" -eq 0 ]
	[[ $output == *"riders: 3 dates: 3 matched, 0 failed, 0 pending; 900 rows, "* ]]
	[ "$(sf-exec 'SELECT COUNT(*) AS n FROM OPS.PUBLIC.RIDERS' | jq .N)" -eq 900 ]
	[ "$(sf-exec 'SELECT COUNT(*) AS n FROM OPS.PUBLIC.TRIPS' | jq .N)" -eq 900 ]
	# Exit status of share/status itself: 0 now, 1 with a date not done.
	(cd "$WORK" && echo "riders riders" | "$REPO/share/status" 2025-10-01 >/dev/null)
	run bash -c "cd '$WORK' && echo 'riders riders' | '$REPO/share/status' 2025-10-09"
	[ "$status" -eq 1 ]
}

@test "V=1 brings back make's echo of the commands it runs" {
	rm "$WORK/state/trips/2025-10-03/parity.jsonl"
	run_split rb validate DATE=2025-10-03 TABLES=trips
	[ "$status" -eq 0 ]
	[[ $output != *parity-check* ]]
	[[ $stderr == *"trips 2025-10-03 parity ok: match"* ]]
	rm "$WORK/state/trips/2025-10-03/parity.jsonl"
	run_split rb V=1 validate DATE=2025-10-03 TABLES=trips
	[ "$status" -eq 0 ]
	[[ $output == *"parity-check -p date state/trips/2025-10-03/source.jsonl"* ]]
}

@test "doctor: every check passes on the published tables" {
	run_split rb doctor
	[ "$status" -eq 0 ]
	[ "$(grep -vc -e '^ok   ' -e '^skip ' <<<"$output")" -eq 0 ]
	[[ $output == *"ok   snowflake warehouse: STACK_WH"* ]]
	[[ $output == *"ok   iam role ops-snowflake-read: trusts "*" with external id "* ]]
	[[ $output == *"ok   iam role ops-snowflake-read: read policy dbx2sf-read covers every table's dataset"* ]]
	for t in trips riders; do
		T=$(tr a-z A-Z <<<"$t")
		[[ $output == *"ok   $t: stage OPS.PUBLIC.LAND_$T lists ("* ]]
		[[ $output == *"ok   $t: source main.default.op$t, date column trip_date"* ]]
		[[ $output == *"ok   $t: target OPS.PUBLIC.$T has the source's 9 columns"* ]]
	done
}

# A copy of the Snowflake connection with one line changed by sed expression $1.
sf_home() {
	local home="$BATS_TEST_TMPDIR/sfhome"
	mkdir -p "$home"
	sed "$1" "$SNOWFLAKE_HOME/connections.toml" >"$home/connections.toml"
	chmod 600 "$home/connections.toml"
	echo "$home"
}

@test "doctor: a wrong Snowflake key, a missing warehouse, a wrong AWS secret: the line and its fix" {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$BATS_TEST_TMPDIR/other.p8" 2>/dev/null
	SNOWFLAKE_HOME=$(sf_home "s|^private_key_file = .*|private_key_file = \"$BATS_TEST_TMPDIR/other.p8\"|") run_split rb doctor
	[ "$status" -ne 0 ]
	[[ $output == *"FAIL snowflake: SELECT 1 refused: "*"; fix: check the connection in connections.toml"* ]]
	[[ $output == *"skip integration OPS_S3: Snowflake not reachable"* ]]
	[[ $output == *"ok   databricks: SQL warehouse answers"* ]]

	SNOWFLAKE_HOME=$(sf_home 's|^warehouse = .*|warehouse = "NO_SUCH_WH"|') run_split rb doctor
	[ "$status" -ne 0 ]
	[[ $output == *"FAIL snowflake warehouse: none in use"*"fix: set warehouse in connections.toml to one that exists, or GRANT USAGE ON WAREHOUSE <wh> TO ROLE ACCOUNTADMIN"* ]]
	[ "$(grep -c '^FAIL ' <<<"$output")" -eq 1 ]

	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = wrong\n' \
		"$(sed -n 's/^aws_access_key_id = //p' "$AWS_SHARED_CREDENTIALS_FILE")" >"$BATS_TEST_TMPDIR/aws"
	AWS_SHARED_CREDENTIALS_FILE="$BATS_TEST_TMPDIR/aws" run_split rb doctor
	[ "$status" -ne 0 ]
	[[ $output == *"FAIL aws: sts GetCallerIdentity refused: "*"fix: check AWS_PROFILE"* ]]
	[[ $output == *"skip iam role ops-snowflake-read: AWS not reachable"* ]]
}

@test "doctor: a trust policy without the external id, then a missing source table: the line and its fix" {
	user=$(jq -r 'select(.property == "STORAGE_AWS_IAM_USER_ARN") | .property_value' "$WORK/state/integration.jsonl")
	jq -n --arg u "$user" '{Version: "2012-10-17", Statement: [{Effect: "Allow", Principal: {AWS: $u},
		Action: "sts:AssumeRole"}]}' >"$BATS_TEST_TMPDIR/trust.json"
	aws-request -s iam -f Action=UpdateAssumeRolePolicy -f Version=2010-05-08 -f RoleName=ops-snowflake-read \
		-f "PolicyDocument@$BATS_TEST_TMPDIR/trust.json" / >/dev/null
	run_split rb doctor
	[ "$status" -ne 0 ]
	[[ $output == *"FAIL iam role ops-snowflake-read: trust policy does not let $user assume it with external id "*"; fix: make iam APPLY=1"* ]]
	[ "$(grep -c '^FAIL ' <<<"$output")" -eq 1 ]
	rb iam APPLY=1 2>/dev/null
	run_split rb doctor
	[ "$status" -eq 0 ]

	cp "$WORK/tables/riders.mk" "$BATS_TEST_TMPDIR/riders.mk"
	sed -i 's/^SOURCE_TABLE .*/SOURCE_TABLE = main.default.nosuch/' "$WORK/tables/riders.mk"
	run_split rb doctor
	cp "$BATS_TEST_TMPDIR/riders.mk" "$WORK/tables/riders.mk"
	[ "$status" -ne 0 ]
	[[ $output == *"FAIL riders: source main.default.nosuch: "*"; fix: SOURCE_TABLE in tables/riders.mk"* ]]
	[ "$(grep -c '^FAIL ' <<<"$output")" -eq 1 ]
	[[ $output == *"ok   trips: source main.default.optrips time-travels"* ]]
}
