#!/usr/bin/env bats
# dbx-export against the Databricks stand-in, which writes to moto S3: a trips-like Delta table
# exported one date at a time, checked with s3-ls-parquet.

load helpers

DATE=2024-06-01
TARGET=204800	# a small target (200K), so that a date of the test table needs several files

setup_file() {
	stack_up moto databricks
	local tokens="$STACK_DIR/databricks/tokens.json"
	[ -s "$tokens" ] || { echo "no $tokens: the stand-in has no bootstrap identities" >&2; return 1; }
	export DBX_URL=$STACK_DATABRICKS_URL
	export DATABRICKS_HOST=$DBX_URL
	export DATABRICKS_TOKEN=$(jq -r '.pats[0] // empty' "$tokens")
	export DATABRICKS_WAREHOUSE_ID=$(jq -r '.warehouses[0] // empty' "$tokens")
	unset DATABRICKS_CONFIG_FILE DATABRICKS_CONFIG_PROFILE DATABRICKS_CLIENT_ID DATABRICKS_CLIENT_SECRET
	export BUCKET=$(test_bucket)
	export DS="export_trips_$$"	# the dataset: the table's last name part
	export TABLE="main.default.$DS"
	aws_cli s3 mb "s3://$BUCKET" >&2
	# 2 dates x 20000 rows, 2 files a date: about 0.7 MB a date
	seed_trips --table "$TABLE" --dates 2 --rows-per-date 20000 --files-per-date 2
	export SRC_ROWS=$(dbx-exec -D d:DATE=$DATE "SELECT count(*) AS n FROM $TABLE WHERE trip_date = :d" | jq .n)
	dbx-export -s $TARGET -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports" \
		>"$BATS_FILE_TMPDIR/export1.json"
}

teardown_file() {
	dbx-exec "DROP TABLE IF EXISTS $TABLE" >/dev/null 2>&1 || true
	aws_cli s3 rb --force "s3://$BUCKET" >/dev/null 2>&1 || true
}

setup() {
	curl -sf -X POST "$DBX_URL/_stack/inject" -d '{"reset": true}' >/dev/null
	E1="$BATS_FILE_TMPDIR/export1.json"
}

inject() { curl -sf -X POST "$DBX_URL/_stack/inject" -d "$1" >/dev/null; }
stat_of() { curl -sf "$DBX_URL/_stack/stats" | jq "$1 // 0"; }

@test "the export prints one object: statement, state, location, estimate, files, rows, run, date" {
	[ "$(wc -l <"$E1")" -eq 1 ]
	run=$(jq -r .run "$E1")
	[[ $run =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$ ]]
	[ "$(jq -r .location "$E1")" = "s3://$BUCKET/exports/$DS/date=$DATE/run=$run/" ]
	[ "$(jq -r .state "$E1")" = SUCCEEDED ]
	[[ $(jq -r .statement_id "$E1") =~ ^[0-9a-f-]{36}$ ]]
	[ "$(jq -r .date "$E1")" = $DATE ]
	[ "$(jq -r .rows "$E1")" -eq "$SRC_ROWS" ]
	# the estimate is the table's size scaled by the date's share of the rows
	detail=$(dbx-exec "DESCRIBE DETAIL $TABLE")
	total=$(dbx-exec "SELECT count(*) AS n FROM $TABLE" | jq .n)
	size=$(jq .sizeInBytes <<<"$detail")
	want=$(( (size * SRC_ROWS + total - 1) / total ))
	[ "$(jq .estimated_bytes "$E1")" -eq "$want" ]
	[ "$(jq .files "$E1")" -eq $(( (want + TARGET - 1) / TARGET )) ]
	[ "$(jq .files "$E1")" -gt 1 ]
}

@test "s3-ls-parquet finds exactly the planned files; their footers hold the source's rows" {
	run_split s3-ls-parquet "$(jq -r .location "$E1")"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq "$(jq .files "$E1")" ]
	[ "$(jq -s 'map(.rows) | add' <<<"$output")" -eq "$SRC_ROWS" ]
	[ "$(jq -s --arg r "$(jq -r .run "$E1")" 'all(.partition == {date: "2024-06-01", run: $r})' <<<"$output")" = true ]
}

@test "file sizes land in the band around the target (-s), as 100-250 MB does around 200 MB" {
	run_split s3-ls-parquet "$(jq -r .location "$E1")"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -gt 1 ]
	out=$(jq -r --argjson t $TARGET 'select(.size < $t / 2 or .size > $t * 1.25) | "\(.key) \(.size)"' <<<"$output")
	[ -z "$out" ] || { echo "outside $((TARGET / 2))..$((TARGET * 5 / 4)): $out"; false; }
}

@test "columns keep the table's names and order; timestamps are INT64 TIMESTAMP(MICROS), not INT96" {
	run_split s3-ls-parquet "$(jq -r .location "$E1")"
	first=$(head -n 1 <<<"$output")
	[ "$(jq -c '[.schema[].name]' <<<"$first")" = '["trip_id","pickup_ts","dropoff_ts","fare","distance","passengers","vendor","flag","trip_date"]' ]
	[ "$(jq -c '.schema[] | select(.name == "pickup_ts") | [.physical, .logical, .unit]' <<<"$first")" = '["INT64","TIMESTAMP","MICROS"]' ]
	[ "$(jq -c '.schema[] | select(.name == "dropoff_ts") | .physical' <<<"$first")" = '"INT64"' ]
	[ "$(jq -c '.schema[] | select(.name == "fare") | [.logical, .precision, .scale]' <<<"$first")" = '["DECIMAL",10,2]' ]
}

@test "a re-export under throttling writes a new run directory and leaves the old one" {
	inject '{"status": 429, "path": "/api/2.0/sql/statements", "method": "POST", "count": 2, "retry_after": 0}'
	run_split dbx-export -s $TARGET -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports/"
	[ "$status" -eq 0 ]
	[ "$(stat_of '.injected.http_429')" -ge 2 ]
	r1=$(jq -r .run "$E1")
	r2=$(jq -r .run <<<"$output")
	[ "$r1" != "$r2" ]
	[ "$(printf '%s\n' "$r2" "$r1" | sort | head -n 1)" = "$r1" ]	# runs sort by time
	all=$(s3-ls-parquet "s3://$BUCKET/exports/$DS/date=$DATE/")
	[ "$(jq -s --arg r "$r1" 'map(select(.partition.run == $r) | .rows) | add' <<<"$all")" -eq "$SRC_ROWS" ]
	[ "$(jq -s --arg r "$r2" 'map(select(.partition.run == $r) | .rows) | add' <<<"$all")" -eq "$SRC_ROWS" ]
}

@test "-l and -k: only the named columns, under another dataset name" {
	run_split dbx-export -l trip_id,fare,pickup_ts -k narrow -s $TARGET -t "$TABLE" -c trip_date \
		-d 2024-06-02 -o "s3://$BUCKET/exports"
	[ "$status" -eq 0 ]
	[[ $(jq -r .location <<<"$output") == "s3://$BUCKET/exports/narrow/date=2024-06-02/run="* ]]
	files=$(s3-ls-parquet "$(jq -r .location <<<"$output")")
	[ "$(head -n 1 <<<"$files" | jq -c '[.schema[].name]')" = '["trip_id","fare","pickup_ts"]' ]
	[ "$(jq -s 'map(.rows) | add' <<<"$files")" -eq "$(jq .rows <<<"$output")" ]
}

@test "-n prints the export statement and writes nothing" {
	before=$(stat_of .exports)
	run_split dbx-export -n -s $TARGET -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 0 ]
	files=$(jq .files "$E1")
	[[ $output =~ ^INSERT\ OVERWRITE\ DIRECTORY\ \'s3://$BUCKET/exports/$DS/date=$DATE/run=[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/\'\ USING\ PARQUET\ .*SELECT\ /\*\+\ REPARTITION\($files\)\ \*/\ .*CAST\(\`pickup_ts\`\ AS\ TIMESTAMP_NTZ\)\ AS\ \`pickup_ts\`.*\ FROM\ \`main\`.\`default\`.\`$DS\`\ VERSION\ AS\ OF\ [0-9]+\ WHERE\ \`trip_date\`\ =\ DATE\'$DATE\'$ ]]
	[ "$(stat_of .exports)" -eq "$before" ]
}

@test "an unknown table: exit 65, one line naming the failed statement" {
	run_split dbx-export -t main.default.no_such_trips -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr =~ ^dbx-export:\ statement\ [0-9a-f-]+:\ BAD_REQUEST:\ .*no_such_trips ]]
}

@test "a date column that does not exist: exit 65" {
	run_split dbx-export -t "$TABLE" -c no_such_col -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 65 ]
	[ "$stderr" = "dbx-export: $TABLE: no column no_such_col" ]
}

@test "a FAILED export statement: exit 65 with the service's error code and message" {
	inject '{"fail": {"error_code": "IO_ERROR", "message": "Failed to write to s3://x/y: access denied"}, "match": "INSERT OVERWRITE DIRECTORY"}'
	run_split dbx-export -s $TARGET -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ $stderr =~ ^dbx-export:\ statement\ [0-9a-f-]+:\ IO_ERROR:\ Failed\ to\ write\ to\ s3://x/y:\ access\ denied$ ]]
}

@test "SIGINT during the export statement cancels it on the service and exits 130; SIGTERM 143" {
	for sig in INT TERM; do
		inject '{"delay": 60, "state": "RUNNING", "match": "INSERT OVERWRITE DIRECTORY"}'
		before=$(stat_of '.final_states.CANCELED')
		dbx-export -v -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/stopped" \
			>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
		pid=$!
		for i in $(seq 300); do grep -q 'RUNNING; next poll' "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
		kill -$sig "$pid"
		rc=0; wait "$pid" || rc=$?
		[ "$rc" -eq $([ $sig = INT ] && echo 130 || echo 143) ]
		grep -q "^dbx-export: statement [0-9a-f-]*: cancelled on SIG$sig\$" "$BATS_TEST_TMPDIR/err"
		for i in $(seq 50); do [ "$(stat_of '.final_states.CANCELED')" -gt "$before" ] && break; sleep 0.1; done
		[ "$(stat_of '.final_states.CANCELED')" -eq $((before + 1)) ]
		[ ! -s "$BATS_TEST_TMPDIR/out" ]
		curl -sf -X POST "$DBX_URL/_stack/inject" -d '{"reset": true}' >/dev/null
	done
}

@test "a bad token: exit 77, nothing run" {
	before=$(stat_of '.statements.submitted')
	run_split env DATABRICKS_TOKEN=dapi-wrong dbx-export -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/e"
	[ "$status" -eq 77 ]
	[[ $stderr == "dbx-export: submit statement: HTTP 403: PERMISSION_DENIED: "* ]]
	! grep -q dapi-wrong <<<"$stderr"
	[ "$(stat_of '.statements.submitted')" -eq "$before" ]
}

@test "inputs spliced into SQL are validated before anything is sent: exit 64" {
	before=$(stat_of '.statements.submitted')
	o="s3://$BUCKET/exports"
	for args in \
		"-t trips;DROP -c trip_date -d $DATE -o $o" \
		"-t a.b.c.d -c trip_date -d $DATE -o $o" \
		"-t $TABLE -c trip-date -d $DATE -o $o" \
		"-t $TABLE -c trip_date -d 2023-02-29 -o $o" \
		"-t $TABLE -c trip_date -d 2024-6-01 -o $o" \
		"-t $TABLE -c trip_date -d $DATE -o s3://$BUCKET/ex'ports" \
		"-t $TABLE -c trip_date -d $DATE -o s3://$BUCKET/ex\\ports" \
		"-t $TABLE -c trip_date -d $DATE -o s3://$BUCKET/../x" \
		"-t $TABLE -c trip_date -d $DATE -o https://$BUCKET/x" \
		"-t $TABLE -c trip_date -d $DATE -o $o -k a/b" \
		"-t $TABLE -c trip_date -d $DATE -o $o -s 0" \
		"-t $TABLE -c trip_date -d $DATE" \
		"-c trip_date -d $DATE -o $o"; do
		run_split dbx-export $args
		[ "$status" -eq 64 ] || { echo "not refused: $args ($status)"; false; }
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
	done
	[ "$(stat_of '.statements.submitted')" -eq "$before" ]
}

@test "-k: a dataset Spark would hide (_x, .x) or read as a partition (k=v) is refused: exit 64, nothing sent" {
	before=$(stat_of '.statements.submitted')
	for k in _hidden .hidden date=x; do
		run_split dbx-export -k "$k" -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
		[ "$status" -eq 64 ]
		[ "$stderr" = "dbx-export: -k $k: not a dataset name (letters, digits, _ . -, not starting with _ or . which readers skip)" ]
	done
	# the default, the table's last name part, is held to the same rule
	run_split dbx-export -t main.default._staging -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 64 ]
	[[ $stderr == "dbx-export: -t main.default._staging: _staging is not a dataset name ("*"); give -k" ]]
	[ "$(stat_of '.statements.submitted')" -eq "$before" ]
}

@test "a write error is not a success: standard output full exits 74; a reader gone, 74 quietly" {
	run_full dbx-export -n -s $TARGET -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 74 ]
	[ "$stderr" = "dbx-export: <stdout>: No space left on device" ]
	run_closed_pipe dbx-export -n -s $TARGET -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
}

@test "-s: sizes are checked, not wrapped: too large, zero, negative and junk are refused (64)" {
	for s in 9000000000G 0 -5M 12X ''; do
		run_split dbx-export -n -s "$s" -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
		[ "$status" -eq 64 ]
		[ "$output" = "" ]
	done
	run_split dbx-export -n -s 9000000000G -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$stderr" = "dbx-export: -s 9000000000G: not a size: too large (bytes, or with K, M, G)" ]
	run_split dbx-export -n -s 200MB -t "$TABLE" -c trip_date -d $DATE -o "s3://$BUCKET/exports"
	[ "$status" -eq 0 ]
}
