#!/usr/bin/env bats
# dbx-exec against the Databricks stand-in (tests/stack/databricks): types, chunks, external
# links, parameters, OAuth M2M, failures, throttling and cancellation.

load helpers

setup_file() {
	stack_up moto databricks
	local tokens="$STACK_DIR/databricks/tokens.json"
	[ -s "$tokens" ] || { echo "no $tokens: the stand-in has no bootstrap identities" >&2; return 1; }
	export DBX_URL=$STACK_DATABRICKS_URL
	export DBX_PAT=$(jq -r '.pats[0] // empty' "$tokens")
	export DBX_WH=$(jq -r '.warehouses[0] // empty' "$tokens")
	export DBX_CLIENT=$(jq -r '.oauth_clients // {} | keys[0] // empty' "$tokens")
	export DBX_SECRET=$(jq -r --arg c "$DBX_CLIENT" '.oauth_clients[$c] // empty' "$tokens")
	[ -n "$DBX_PAT" ] && [ -n "$DBX_WH" ] || { echo "$tokens: no PAT or warehouse" >&2; return 1; }
	# Our own profiles, reached the way a user reaches a private endpoint.
	export DATABRICKS_CONFIG_FILE="$BATS_FILE_TMPDIR/databrickscfg"
	cat >"$DATABRICKS_CONFIG_FILE" <<-EOF
		[DEFAULT]
		host = $DBX_URL
		token = $DBX_PAT
		warehouse_id = $DBX_WH

		[sp]
		host = $DBX_URL
		client_id = $DBX_CLIENT
		client_secret = $DBX_SECRET
		warehouse_id = $DBX_WH
	EOF
}

setup() {
	unset DATABRICKS_HOST DATABRICKS_TOKEN DATABRICKS_CLIENT_ID DATABRICKS_CLIENT_SECRET \
		DATABRICKS_CONFIG_PROFILE DATABRICKS_WAREHOUSE_ID DATABRICKS_AUTH_TYPE
	export HOME="$BATS_TEST_TMPDIR"
	inject '{"reset": true}'
}

inject() { curl -sf -X POST "$DBX_URL/_stack/inject" -d "$1" >/dev/null; }
stat_of() { curl -sf "$DBX_URL/_stack/stats" | jq "$1 // 0"; }

@test "every type comes out typed for jq, keyed by column name in order" {
	run_split dbx-exec "SELECT 1 AS i, CAST(-7 AS TINYINT) AS b, CAST(9007199254740992 AS BIGINT) AS max53,
		CAST(9007199254740993 AS BIGINT) AS big, CAST(-9223372036854775808 AS BIGINT) AS min64,
		CAST('12345678901234567.89' AS DECIMAL(20,2)) AS dec, 0.1D AS dbl, CAST(1.5 AS FLOAT) AS flt,
		double('NaN') AS nan, true AS t, DATE'2024-02-29' AS d,
		TIMESTAMP_NTZ'2024-06-01 12:34:56.123456' AS ts, 'Zürich \"q\" \\\\ 🚕' AS s,
		array(1, 2) AS arr, map('k', 9007199254740993) AS m, named_struct('x', 1, 'y', 'z') AS st,
		X'0102' AS bin, CAST(NULL AS INT) AS n"
	[ "$status" -eq 0 ]
	[ "$output" = '{"i":1,"b":-7,"max53":9007199254740992,"big":"9007199254740993","min64":"-9223372036854775808","dec":"12345678901234567.89","dbl":0.1,"flt":1.5,"nan":"NaN","t":true,"d":"2024-02-29","ts":"2024-06-01T12:34:56.123456","s":"Zürich \"q\" \\ 🚕","arr":[1,2],"m":{"k":"9007199254740993"},"st":{"x":1,"y":"z"},"bin":"AQI=","n":null}' ]
	# and jq 1.6 reads every value back unchanged
	[ "$(jq -r .big <<<"$output")" = 9007199254740993 ]
	[ "$(jq -r .dec <<<"$output")" = 12345678901234567.89 ]
}

@test "U+0000 in a string, and decimals whose text has an exponent, come out exactly (issue 10)" {
	run_split dbx-exec "SELECT concat('a', char(0), 'b') AS s, CAST('0.0000000001' AS DECIMAL(38,10)) AS tiny,
		CAST(0 AS DECIMAL(38,10)) AS zero, CAST('-1E+5' AS DECIMAL(20,0)) AS neg"
	[ "$status" -eq 0 ]
	[ "$output" = '{"s":"a\u0000b","tiny":"0.0000000001","zero":"0.0000000000","neg":"-100000"}' ]
	[ "$(jq -r .s <<<"$output" | od -An -c | tr -s ' ')" = " a \0 b \n" ]
}

@test "a result of several chunks is streamed whole and in order" {
	before=$(stat_of '.requests["GET /api/2.0/sql/statements/{id}/result/chunks/{n}"]')
	run_split dbx-exec 'SELECT id, id * 2 AS twice FROM range(25000)'
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 25000 ]
	[ "$(jq -s '[.[].id] == [range(25000)]' <<<"$output")" = true ]
	[ "$(tail -n 1 <<<"$output")" = '{"id":24999,"twice":49998}' ]
	after=$(stat_of '.requests["GET /api/2.0/sql/statements/{id}/result/chunks/{n}"]')
	[ "$after" -gt "$before" ]
}

@test "external links give the same rows, fetched without the Authorization header" {
	inline=$(dbx-exec 'SELECT id, CAST(id AS STRING) AS s FROM range(25000)')
	ok=$(stat_of .presigned_ok)
	rejected=$(stat_of .presigned_rejected)
	run_split dbx-exec -e 'SELECT id, CAST(id AS STRING) AS s FROM range(25000)'
	[ "$status" -eq 0 ]
	[ "$output" = "$inline" ]
	[ "$(stat_of .presigned_ok)" -gt "$ok" ]
	[ "$(stat_of .presigned_rejected)" -eq "$rejected" ]
	# the presigned URLs are credentials: never printed
	! grep -q 'X-Amz-Signature' <<<"$output$stderr"
}

@test "an expired external link is replaced by a fresh one from the workspace" {
	chunks=$(stat_of '.requests["GET /api/2.0/sql/statements/{id}/result/chunks/{n}"]')
	inject '{"status": 403, "path": "/_presigned/", "count": 1}'
	run_split dbx-exec -e 'SELECT id FROM range(25000)'
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(jq -s '[.[].id] == [range(25000)]' <<<"$output")" = true ]
	[ "$(stat_of '.injected.http_403')" -ge 1 ]
	# chunks 1 and 2 by index, and chunk 0 again for its fresh link
	[ "$(stat_of '.requests["GET /api/2.0/sql/statements/{id}/result/chunks/{n}"]')" -eq $((chunks + 3)) ]
}

@test "-D binds named parameters, typed, never spliced into the SQL" {
	run_split dbx-exec -D d:DATE=2024-06-01 -D n:BIGINT=9007199254740993 -D s="x' OR 1=1 --" \
		'SELECT :d AS d, date_add(:d, 1) AS next, :n AS n, :s AS s'
	[ "$status" -eq 0 ]
	[ "$output" = '{"d":"2024-06-01","next":"2024-06-02","n":"9007199254740993","s":"x'"'"' OR 1=1 --"}' ]
	run_split dbx-exec -D 'bad name=1' 'SELECT 1'
	[ "$status" -eq 64 ]
}

@test "-f reads the statement from a file, or standard input" {
	printf 'SELECT 42 AS answer\n' >"$BATS_TEST_TMPDIR/q.sql"
	run_split dbx-exec -f "$BATS_TEST_TMPDIR/q.sql"
	[ "$status" -eq 0 ]
	[ "$output" = '{"answer":42}' ]
	run_split dbx-exec -f - <<<'SELECT 43 AS answer'
	[ "$output" = '{"answer":43}' ]
	run_split dbx-exec -f "$BATS_TEST_TMPDIR/missing.sql"
	[ "$status" -eq 66 ]
}

@test "OAuth M2M: one token per run, cached across the run's requests" {
	before=$(stat_of .oauth_tokens_issued)
	run_split dbx-exec -p sp 'SELECT id FROM range(25000)'
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 25000 ]
	[ "$(stat_of .oauth_tokens_issued)" -eq $((before + 1)) ]
	# the same through the environment
	run_split env DATABRICKS_HOST="$DBX_URL" DATABRICKS_CLIENT_ID="$DBX_CLIENT" \
		DATABRICKS_CLIENT_SECRET="$DBX_SECRET" DATABRICKS_WAREHOUSE_ID="$DBX_WH" dbx-exec 'SELECT 1 AS one'
	[ "$status" -eq 0 ]
	[ "$output" = '{"one":1}' ]
}

@test "OAuth M2M with a wrong secret is refused: exit 77, secret not shown" {
	run_split env DATABRICKS_HOST="$DBX_URL" DATABRICKS_CLIENT_ID="$DBX_CLIENT" \
		DATABRICKS_CLIENT_SECRET=wrong-secret-value DATABRICKS_WAREHOUSE_ID="$DBX_WH" dbx-exec 'SELECT 1'
	[ "$status" -eq 77 ]
	[ "$stderr" = "dbx-exec: oauth token: HTTP 401: invalid_client: Client authentication failed" ]
}

@test "a bad token is refused: exit 77, one line, the token not shown" {
	run_split env DATABRICKS_HOST="$DBX_URL" DATABRICKS_TOKEN=dapi-not-a-real-token \
		DATABRICKS_WAREHOUSE_ID="$DBX_WH" dbx-exec 'SELECT 1'
	[ "$status" -eq 77 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "dbx-exec: submit statement: HTTP 403: PERMISSION_DENIED: "* ]]
	! grep -q dapi-not-a-real-token <<<"$stderr"
}

@test "a FAILED statement: exit 65, one line with the error code and message" {
	run_split dbx-exec 'SELECT * FROM no_such_table_here'
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr =~ ^dbx-exec:\ statement\ [0-9a-f-]+:\ BAD_REQUEST:\ \[TABLE_OR_VIEW_NOT_FOUND\] ]]
}

@test "an unknown warehouse is a rejected request: exit 65" {
	run_split dbx-exec -w no-such-warehouse 'SELECT 1'
	[ "$status" -eq 65 ]
	[ "$stderr" = "dbx-exec: submit statement: HTTP 404: RESOURCE_DOES_NOT_EXIST: Warehouse no-such-warehouse does not exist." ]
}

@test "throttling then success: 429s are retried after Retry-After" {
	before=$(stat_of '.injected.http_429')
	inject '{"status": 429, "path": "/api/2.0/sql/statements", "count": 2, "retry_after": 1}'
	run_split dbx-exec 'SELECT 5 AS five'
	[ "$status" -eq 0 ]
	[ "$output" = '{"five":5}' ]
	[ "$(stat_of '.injected.http_429')" -eq $((before + 2)) ]
}

@test "throttled on every try: exit 75; unavailable on every try: exit 69" {
	inject '{"status": 429, "path": "/api/2.0/sql/statements", "count": 50, "retry_after": 0}'
	run_split dbx-exec 'SELECT 1'
	[ "$status" -eq 75 ]
	[ "$stderr" = "dbx-exec: submit statement: HTTP 429 after 6 tries" ]
	inject '{"reset": true}'
	inject '{"status": 503, "path": "/api/2.0/sql/statements", "count": 50, "retry_after": 0}'
	run_split dbx-exec 'SELECT 1'
	[ "$status" -eq 69 ]
	[ "$stderr" = "dbx-exec: submit statement: HTTP 503 after 6 tries" ]
}

@test "a response that is not the protocol's: exit 76" {
	inject '{"status": 200, "path": "/api/2.0/sql/statements", "method": "POST"}'
	run_split dbx-exec 'SELECT 1'
	[ "$status" -eq 76 ]
	[ "$stderr" = "dbx-exec: submit statement: malformed response: no statement_id" ]
}

@test "a long statement is polled with -v progress, and SIGINT cancels it" {
	inject '{"delay": 60, "state": "RUNNING", "match": "cancel-me-please"}'
	before=$(stat_of '.final_states.CANCELED')
	dbx-exec -v "SELECT 'cancel-me-please' AS s" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	for i in $(seq 100); do grep -q 'RUNNING' "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	grep -q '^dbx-exec: statement [0-9a-f-]*: RUNNING; next poll in ' "$BATS_TEST_TMPDIR/err"
	grep -q '^dbx-exec: statement [0-9a-f-]*: cancelled on SIGINT$' "$BATS_TEST_TMPDIR/err"
	for i in $(seq 50); do [ "$(stat_of '.final_states.CANCELED')" -gt "$before" ] && break; sleep 0.1; done
	[ "$(stat_of '.final_states.CANCELED')" -eq $((before + 1)) ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
}

@test "SIGTERM cancels the running statement and exits 143, as sf-exec does" {
	inject '{"delay": 60, "state": "RUNNING", "match": "terminate-me-please"}'
	before=$(stat_of '.final_states.CANCELED')
	dbx-exec -v "SELECT 'terminate-me-please' AS s" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	for i in $(seq 100); do grep -q 'RUNNING' "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	grep -q '^dbx-exec: statement [0-9a-f-]*: cancelled on SIGTERM$' "$BATS_TEST_TMPDIR/err"
	for i in $(seq 50); do [ "$(stat_of '.final_states.CANCELED')" -gt "$before" ] && break; sleep 0.1; done
	[ "$(stat_of '.final_states.CANCELED')" -eq $((before + 1)) ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
}

@test "-n prints the request and sends nothing; no secret in it" {
	before=$(stat_of '.statements.submitted')
	run_split dbx-exec -n -D d:DATE=2024-06-01 'SELECT :d'
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "{\"method\":\"POST\",\"url\":\"$DBX_URL/api/2.0/sql/statements\",\"auth\":\"pat\",\"body\":{\"warehouse_id\":\"$DBX_WH\",\"statement\":\"SELECT :d\",\"parameters\":[{\"name\":\"d\",\"value\":\"2024-06-01\",\"type\":\"DATE\"}],\"wait_timeout\":\"5s\",\"on_wait_timeout\":\"CONTINUE\",\"disposition\":\"INLINE\",\"format\":\"JSON_ARRAY\"}}" ]
	! grep -qF "$DBX_PAT" <<<"$output"
	run_split dbx-exec -n -p sp 'SELECT 1'
	! grep -qF "$DBX_SECRET" <<<"$output"
	[ "$(stat_of '.statements.submitted')" -eq "$before" ]
}

@test "configuration: -p, -w and the environment take precedence as documented" {
	# the environment names a host: the file is not read, so the warehouse must come from -w
	run_split env DATABRICKS_HOST="$DBX_URL" DATABRICKS_TOKEN="$DBX_PAT" dbx-exec 'SELECT 1'
	[ "$status" -eq 78 ]
	[[ $stderr == "dbx-exec: no SQL warehouse: "* ]]
	run_split env DATABRICKS_HOST="$DBX_URL" DATABRICKS_TOKEN="$DBX_PAT" dbx-exec -w "$DBX_WH" 'SELECT 1 AS a'
	[ "$status" -eq 0 ]
	[ "$output" = '{"a":1}' ]
	# a profile asked for is read, and must exist
	run_split env DATABRICKS_CONFIG_PROFILE=nope dbx-exec 'SELECT 1'
	[ "$status" -eq 78 ]
	[ "$stderr" = "dbx-exec: $DATABRICKS_CONFIG_FILE: no profile [nope]" ]
	run_split env DATABRICKS_CONFIG_PROFILE=nope dbx-exec -p DEFAULT 'SELECT 2 AS b'
	[ "$output" = '{"b":2}' ]
	# ~/.databrickscfg when DATABRICKS_CONFIG_FILE is unset
	cp "$DATABRICKS_CONFIG_FILE" "$HOME/.databrickscfg"
	run_split env -u DATABRICKS_CONFIG_FILE dbx-exec 'SELECT 3 AS c'
	[ "$output" = '{"c":3}' ]
	run_split env -u DATABRICKS_CONFIG_FILE HOME=/nonexistent dbx-exec 'SELECT 1'
	[ "$status" -eq 78 ]
	[[ $stderr == "dbx-exec: no workspace host: "* ]]
}

@test "usage: one line, exit 64" {
	run_split dbx-exec
	[ "$status" -eq 64 ]
	[[ $stderr == "usage: dbx-exec "* ]]
	run_split dbx-exec 'SELECT 1' extra
	[ "$status" -eq 64 ]
	run_split dbx-exec -f x.sql 'SELECT 1'
	[ "$status" -eq 64 ]
}

@test "control characters and DEL come out escaped, as sf-exec writes them" {
	run_split dbx-exec "SELECT concat('a', char(127), char(1), char(9), 'b') AS s"
	[ "$status" -eq 0 ]
	[ "$output" = '{"s":"a\u007f\u0001\tb"}' ]
	[ "$(jq -r .s <<<"$output" | od -An -tx1 | tr -d ' \n')" = "617f0109620a" ]
}

@test "a write error is not a success: standard output full exits 74; a reader gone, 74 quietly" {
	run_full dbx-exec "SELECT 1 AS n"
	[ "$status" -eq 74 ]
	[ "$stderr" = "dbx-exec: <stdout>: No space left on device" ]
	run_full dbx-exec -n "SELECT 1 AS n"
	[ "$status" -eq 74 ]
	[ "$stderr" = "dbx-exec: <stdout>: No space left on device" ]
	run_closed_pipe dbx-exec "SELECT 1 AS n"
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
	run --separate-stderr bash -c 'dbx-exec "SELECT id FROM range(25000)" | head -1; echo "${PIPESTATUS[*]}" >&2'
	[ "$output" = '{"id":0}' ]
	[ "$stderr" = "74 0" ]
}
