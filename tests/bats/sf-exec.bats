#!/usr/bin/env bats
# sf-exec against a private Snowflake stand-in (its own users, keys, partition size and faults,
# so nothing here disturbs the shared stack).

load helpers

PY="$REPO/.venv/bin/python"

setup_file() {
	local d=$BATS_FILE_TMPDIR port i
	mkdir -p "$d/state" "$d/home" "$d/keys"
	umask 077
	# Keys as a user makes them: an encrypted PKCS#8 key, an unencrypted one, an unregistered one.
	openssl genrsa -out "$d/keys/good.pem" 2048 2>/dev/null
	openssl pkcs8 -topk8 -v2 aes256 -passout pass:correct-horse -in "$d/keys/good.pem" -out "$d/keys/good.p8"
	openssl genrsa -out "$d/keys/other.pem" 2048 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in "$d/keys/other.pem" -out "$d/keys/other.p8"
	openssl pkcs8 -topk8 -nocrypt -in "$d/keys/good.pem" -out "$d/keys/plain.p8"
	openssl rsa -in "$d/keys/good.pem" -pubout -out "$d/keys/good.pub" 2>/dev/null
	chmod 600 "$d"/keys/*
	"$PY" - "$d" <<-'PYEOF'
	import json, sys
	d = sys.argv[1]
	users = {"LOADER": {"rsa_public_key": open(d + "/keys/good.pub").read(),
	                    "oauth_tokens": ["oauth-token-for-tests"], "pats": ["pat-token-for-tests"]}}
	json.dump(users, open(d + "/state/users.json", "w"))
	PYEOF
	printf 'pat-token-for-tests\n' >"$d/keys/pat"
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	setsid "$PY" "$REPO/tests/stack/snowflake/server.py" --host 127.0.0.1 --port "$port" \
		--state "$d/state" --account myorg-myaccount --partition-rows 10000 \
		>"$d/server.log" 2>&1 </dev/null &
	echo $! >"$d/server.pid"
	echo "$port" >"$d/port"
	for ((i = 0; i < 300; i++)); do
		curl -fs "http://127.0.0.1:$port/_stack/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -fs "http://127.0.0.1:$port/_stack/health" >/dev/null || { cat "$d/server.log" >&2; return 1; }
	cat >"$d/home/connections.toml" <<-TOML
	# as Snowflake CLI reads it; http is how one reaches a private endpoint (here the stand-in)
	[jwt]
	account = "myorg-myaccount"
	user = "loader"
	authenticator = "SNOWFLAKE_JWT"
	private_key_file = "$d/keys/good.p8"
	host = "127.0.0.1"
	port = $port
	protocol = "http"
	warehouse = "load_wh"
	database = "sfexec"
	schema = "public"

	[plain]
	account = "myorg-myaccount.us-east-1"
	user = "LOADER"
	private_key_path = "$d/keys/plain.p8"
	host = "127.0.0.1"
	port = $port
	protocol = "http"

	[wrongkey]
	account = "myorg-myaccount"
	user = "loader"
	authenticator = "SNOWFLAKE_JWT"
	private_key_file = "$d/keys/other.p8"
	host = "127.0.0.1"
	port = $port
	protocol = "http"

	[oauth]
	account = "myorg-myaccount"
	user = "loader"
	authenticator = "OAUTH"
	token = "oauth-token-for-tests"
	host = "127.0.0.1"
	port = $port
	protocol = "http"

	[pat]
	account = "myorg-myaccount"
	user = "loader"
	authenticator = "PROGRAMMATIC_ACCESS_TOKEN"
	token_file_path = "$d/keys/pat"
	host = "127.0.0.1"
	port = $port
	protocol = "http"
	TOML
	chmod 600 "$d/home/connections.toml"
	SNOWFLAKE_HOME=$d/home "$REPO/bin/sf-exec" -c oauth "create database if not exists sfexec" >/dev/null
	# the account's warehouse, which the jwt connection names (queries and DML need one)
	SNOWFLAKE_HOME=$d/home "$REPO/bin/sf-exec" -c oauth "create warehouse if not exists load_wh" >/dev/null
}

teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/server.pid" 2>/dev/null) || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
}

setup() {
	D=$BATS_FILE_TMPDIR
	PORT=$(cat "$D/port")
	URL=http://127.0.0.1:$PORT
	unset $(env | sed -n 's/^\(SNOWFLAKE_[A-Z0-9_]*\)=.*/\1/p') PRIVATE_KEY_PASSPHRASE
	export SNOWFLAKE_HOME=$D/home
	export SNOWFLAKE_DEFAULT_CONNECTION_NAME=jwt
	export PRIVATE_KEY_PASSPHRASE=correct-horse
	curl -fs -X DELETE "$URL/_stack/inject" >/dev/null
}

stats() { curl -fs "$URL/_stack/stats"; }
inject() { curl -fs -X POST "$URL/_stack/inject" -d "$1" >/dev/null; }

# ---- usage and configuration ----

@test "usage errors exit 64 with a one-line usage" {
	run_split sf-exec
	[ "$status" -eq 64 ]
	[[ $stderr == "usage: sf-exec "* ]]
	run_split sf-exec -f x.sql "select 1"
	[ "$status" -eq 64 ]
	run_split sf-exec -D novalue "select 1"
	[ "$status" -eq 64 ]
	[[ $stderr == *"-D novalue: expected name=value"* ]]
}

@test "-n prints the templated SQL and the request body, without credentials or network" {
	run_split sf-exec -n -D tbl=raw.events -D day=2025-11-01 \
		"select count(*) from <% tbl %> where d = '<% day %>'"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "select count(*) from raw.events where d = '2025-11-01'" ]
	[[ ${lines[1]} == "-- POST $URL/api/v2/statements?requestId=<uuid>" ]]
	body=${lines[2]#-- }
	[ "$(jq -r .statement <<<"$body")" = "select count(*) from raw.events where d = '2025-11-01'" ]
	[ "$(jq -r .warehouse <<<"$body")" = "LOAD_WH" ]
	[ "$(jq -r .database <<<"$body").$(jq -r .schema <<<"$body")" = "SFEXEC.PUBLIC" ]
	[ "$(jq -r .parameters.MULTI_STATEMENT_COUNT <<<"$body")" = "1" ]
	[ "$(jq -r .parameters.TIMEZONE <<<"$body")" = "UTC" ]
	[[ $output != *correct-horse* && $output != *Bearer* && $output != *PRIVATE* ]]
	# several statements: any number in one request
	run_split sf-exec -n "begin; delete from t; commit"
	[ "$(sed -n 's/^-- {/{/p' <<<"$output" | jq -r .parameters.MULTI_STATEMENT_COUNT)" = "0" ]
}

@test "the connection's warehouse, role and namespace reach the service in the request body" {
	run_split sf-exec "select current_warehouse() as wh, current_database() as db, current_schema() as sch"
	[ "$status" -eq 0 ]
	[ "$output" = '{"WH":"LOAD_WH","DB":"SFEXEC","SCH":"PUBLIC"}' ]
	# without one, a query is refused as Snowflake refuses it: 000606, exit 65
	run_split sf-exec -c oauth "select * from sfexec.public.nothing_here"
	[ "$status" -eq 65 ]
	[[ $stderr == *"Snowflake 000606 (57P03): No active warehouse selected in the current session."* ]]
}

@test "-n sends nothing to the service" {
	before=$(stats | jq '[.requests[]] | add // 0')
	run_split sf-exec -n "select 1"
	[ "$status" -eq 0 ]
	after=$(stats | jq '[.requests[]] | add // 0')
	[ "$before" -eq "$after" ]
}

@test "templating: an unknown variable or an unsafe value is refused (64)" {
	run_split sf-exec -n "select <% nope %>"
	[ "$status" -eq 64 ]
	[ "$stderr" = "sf-exec: select <% nope %>: template variable nope is not defined (use -D nope=value)" ]
	run_split sf-exec -n -D t="x; drop table y" "select * from <% t %>"
	[ "$status" -eq 64 ]
	[[ $stderr == *"value must be an identifier or a number outside quotes"* ]]
	run_split sf-exec -n -D who="O'Brien" "select '<% who %>' as w"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "select 'O''Brien' as w" ]
}

@test "a missing connection or account exits 78" {
	run_split sf-exec -c nosuch "select 1"
	[ "$status" -eq 78 ]
	[[ $stderr == "sf-exec: connection nosuch: no account"* ]]
	SNOWFLAKE_HOME=$D/empty run_split sf-exec "select 1"
	[ "$status" -eq 78 ]
}

@test "a config file readable by others is refused (78)" {
	mkdir -p "$D/open"
	cp "$D/home/connections.toml" "$D/open/connections.toml"
	chmod 644 "$D/open/connections.toml"
	SNOWFLAKE_HOME=$D/open run_split sf-exec "select 1"
	[ "$status" -eq 78 ]
	[[ $stderr == *"connections.toml: configuration file is accessible by group or others; chmod 0600"* ]]
}

@test "a private key file readable by others is refused (78)" {
	cp "$D/keys/good.p8" "$D/keys/open.p8"
	chmod 644 "$D/keys/open.p8"
	SNOWFLAKE_CONNECTIONS_JWT_PRIVATE_KEY_FILE=$D/keys/open.p8 run_split sf-exec "select 1"
	[ "$status" -eq 78 ]
	[[ $stderr == *"open.p8: private key file is accessible by group or others"* ]]
}

@test "a token file readable by others is refused (78)" {
	cp "$D/keys/pat" "$D/keys/pat.open"
	chmod 640 "$D/keys/pat.open"
	SNOWFLAKE_CONNECTIONS_PAT_TOKEN_FILE_PATH=$D/keys/pat.open run_split sf-exec -c pat "select 1"
	[ "$status" -eq 78 ]
	[[ $stderr == *"pat.open: token file is accessible by group or others"* ]]
}

@test "default connection: SNOWFLAKE_DEFAULT_CONNECTION_NAME, then config.toml, then \"default\"" {
	mkdir -p "$D/h2"
	cp "$D/home/connections.toml" "$D/h2/"
	printf 'default_connection_name = "oauth"\n' >"$D/h2/config.toml"
	chmod 600 "$D/h2/config.toml"
	unset SNOWFLAKE_DEFAULT_CONNECTION_NAME
	SNOWFLAKE_HOME=$D/h2 run_split sf-exec -n "select 1"
	[ "$status" -eq 0 ]
	SNOWFLAKE_HOME=$D/h2 run_split sf-exec "select 1 as one"
	[ "$status" -eq 0 ]
	[ "$output" = '{"ONE":1}' ]
	# the oauth connection was used: no key, no passphrase needed
	SNOWFLAKE_HOME=$D/h2 PRIVATE_KEY_PASSPHRASE= run_split sf-exec "select 2 as two"
	[ "$output" = '{"TWO":2}' ]
	rm "$D/h2/config.toml"
	SNOWFLAKE_HOME=$D/h2 run_split sf-exec "select 1"
	[ "$status" -eq 78 ]
	[[ $stderr == "sf-exec: connection default: no account"* ]]
}

@test "SNOWFLAKE_CONNECTIONS_<NAME>_<KEY> overrides the file, SNOWFLAKE_<KEY> fills gaps" {
	SNOWFLAKE_CONNECTIONS_JWT_PRIVATE_KEY_FILE=$D/keys/other.p8 run_split sf-exec "select 1"
	[ "$status" -eq 77 ]
	# the file's value wins over the generic variable
	SNOWFLAKE_PRIVATE_KEY_FILE=$D/keys/other.p8 run_split sf-exec "select 1 as one"
	[ "$status" -eq 0 ]
	# ... also the file's private_key_path (Snowflake CLI's alias)
	SNOWFLAKE_PRIVATE_KEY_FILE=$D/keys/other.p8 PRIVATE_KEY_PASSPHRASE= run_split sf-exec -c plain "select 1 as one"
	[ "$status" -eq 0 ]
	# a connection from the environment alone
	SNOWFLAKE_HOME=$D/nothing SNOWFLAKE_ACCOUNT=myorg-myaccount SNOWFLAKE_USER=loader \
		SNOWFLAKE_AUTHENTICATOR=SNOWFLAKE_JWT SNOWFLAKE_PRIVATE_KEY_FILE=$D/keys/good.p8 \
		SNOWFLAKE_HOST=127.0.0.1 SNOWFLAKE_PORT=$PORT SNOWFLAKE_PROTOCOL=http \
		run_split sf-exec "select 3 as three"
	[ "$status" -eq 0 ]
	[ "$output" = '{"THREE":3}' ]
}

# ---- authentication ----

@test "key-pair JWT with an encrypted PKCS#8 key" {
	run_split sf-exec "select 1 as one, 'a' as two"
	[ "$status" -eq 0 ]
	[ "$output" = '{"ONE":1,"TWO":"a"}' ]
}

@test "key-pair JWT with an unencrypted key, account with a region, private_key_path" {
	PRIVATE_KEY_PASSPHRASE= run_split sf-exec -c plain "select 1 as one"
	[ "$status" -eq 0 ]
	[ "$output" = '{"ONE":1}' ]
}

@test "a key the user does not have is refused by the service: exit 77" {
	run_split sf-exec -c wrongkey "select 1"
	[ "$status" -eq 77 ]
	[[ $stderr == "sf-exec: select 1: HTTP 401: authentication refused: JWT token is invalid."* ]]
	[ "$output" = "" ]
}

@test "an expired JWT is rejected by the service (401) and sf-exec maps a 401 to 77" {
	tok=$("$PY" - "$D/keys/good.pem" <<-'PYEOF'
	import base64, hashlib, json, sys, time
	from cryptography.hazmat.primitives import hashes, serialization
	from cryptography.hazmat.primitives.asymmetric import padding
	k = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), password=None)
	der = k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
	fp = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
	b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
	now = int(time.time())
	claims = {"iss": "MYORG-MYACCOUNT.LOADER." + fp, "sub": "MYORG-MYACCOUNT.LOADER", "iat": now - 7200, "exp": now - 3600}
	si = b(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + b(json.dumps(claims).encode())
	print(si + "." + b(k.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256())))
	PYEOF
	)
	code=$(curl -s -o "$D/expired.json" -w '%{http_code}' -X POST "$URL/api/v2/statements" \
		-H "Authorization: Bearer $tok" -H 'X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT' \
		-H 'Content-Type: application/json' -H 'Accept: application/json' -d '{"statement":"select 1"}')
	[ "$code" = 401 ]
	[ "$(jq -r .code "$D/expired.json")" = 390144 ]
	# The same token handed to sf-exec (as a bearer token: sf-exec itself only mints fresh ones).
	printf '%s\n' "$tok" >"$D/keys/expired"
	chmod 600 "$D/keys/expired"
	SNOWFLAKE_CONNECTIONS_PAT_TOKEN_FILE_PATH=$D/keys/expired run_split sf-exec -c pat "select 1"
	[ "$status" -eq 77 ]
	[[ $stderr == *"HTTP 401: authentication refused"* ]]
	[[ $stderr != *"$tok"* ]]
}

@test "a wrong passphrase or none for an encrypted key exits 78" {
	PRIVATE_KEY_PASSPHRASE=wrong run_split sf-exec "select 1"
	[ "$status" -eq 78 ]
	[ "$stderr" = "sf-exec: $D/keys/good.p8: cannot decrypt the private key (wrong PRIVATE_KEY_PASSPHRASE?)" ]
	unset PRIVATE_KEY_PASSPHRASE
	run_split sf-exec "select 1"
	[ "$status" -eq 78 ]
	[ "$stderr" = "sf-exec: $D/keys/good.p8: private key is encrypted; set PRIVATE_KEY_PASSPHRASE" ]
}

@test "OAuth token and programmatic access token (token type header sent)" {
	run_split sf-exec -c oauth "select 'o' as via"
	[ "$status" -eq 0 ]
	[ "$output" = '{"VIA":"o"}' ]
	# Without X-Snowflake-Authorization-Token-Type the service would take a PAT for OAuth.
	run_split sf-exec -c pat "select 'p' as via"
	[ "$status" -eq 0 ]
	[ "$output" = '{"VIA":"p"}' ]
	SNOWFLAKE_CONNECTIONS_OAUTH_TOKEN=not-a-token run_split sf-exec -c oauth "select 1"
	[ "$status" -eq 77 ]
	[[ $stderr != *not-a-token* ]]
}

# ---- values ----

@test "every value type round-trips, typed for jq" {
	# (the stand-in keeps TIMESTAMP_TZ in UTC only; offsets other than +00:00 and the
	# wire forms of every type are covered by tests/unit/snowflake_test.c)
	run_split sf-exec "select 42::int as i, -9007199254740992::number(38,0) as safe,
		9007199254740993::number(38,0) as big, -123456789012345678901234567890::number(38,0) as huge,
		12.50::number(10,2) as dec, -0.001::number(10,3) as small, 2.5::float as f,
		true as t, false as f2, null as n, 'say \"hi\"' as s, '2020-01-01'::date as d,
		'1969-12-31'::date as d0, '23:01:59.123'::time as tm,
		'2021-03-19 17:06:59.5'::timestamp_ntz as ntz, '2021-03-19 17:06:59'::timestamp_ltz as ltz,
		'2021-03-19 17:06:59.25'::timestamp_tz as tz, parse_json('{\"a\":[1,2.5,\"x\"],\"b\":null}') as v,
		array_construct(1, 2) as arr, object_construct('k', 'v') as obj,
		to_binary('736E6F77', 'HEX') as bin"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	want='{"I":42,"SAFE":-9007199254740992,"BIG":"9007199254740993","HUGE":"-123456789012345678901234567890","DEC":"12.50","SMALL":"-0.001","F":2.5,"T":true,"F2":false,"N":null,"S":"say \"hi\"","D":"2020-01-01","D0":"1969-12-31","TM":"23:01:59.123000000","NTZ":"2021-03-19T17:06:59.500000000","LTZ":"2021-03-19T17:06:59.000000000+00:00","TZ":"2021-03-19T17:06:59.250000000+00:00","V":{"a":[1,2.5,"x"],"b":null},"ARR":[1,2],"OBJ":{"k":"v"},"BIN":"736E6F77"}'
	[ "$output" = "$want" ]
	# jq 1.6 reads it without losing a digit
	[ "$(jq -r '.BIG, .SAFE, .I + 1, .V.a[1]' <<<"$output" | tr '\n' ' ')" = "9007199254740993 -9007199254740992 43 2.5 " ]
}

@test "a 1,000,000-row result over many partitions streams in flat memory" {
	/usr/bin/time -f '%M' -o "$D/rss" sf-exec -v \
		"select seq4() as n, repeat('x', 150) as pad from table(generator(rowcount => 1000000))" \
		2>"$D/big.err" | awk -F'[:,]' '{ n++; s += $2 } END { printf "%d %.0f\n", n, s }' >"$D/big.out"
	[ "$(cat "$D/big.out")" = "1000000 499999500000" ]
	parts=$(grep -c ': partition [0-9]* of ' "$D/big.err")
	[ "$parts" -ge 50 ]
	# the result is ~170 MB of JSON; the client holds one partition at a time
	rss=$(tail -n 1 "$D/rss")
	echo "peak RSS ${rss} KB over $parts partitions" >&3
	[ "$rss" -lt 32768 ]
}

# ---- statements ----

@test "multi-statement text runs as one request: BEGIN … COMMIT, rows in statement order" {
	run_split sf-exec "create or replace table ms (a int);
		begin; insert into ms values (1), (2); delete from ms where a = 1; select a from ms; commit"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[2]}" = '{"number of rows inserted":2}' ]
	[ "${lines[3]}" = '{"number of rows deleted":1}' ]
	[ "${lines[4]}" = '{"A":2}' ]
	[ "$(stats | jq '.requests["POST /api/v2/statements"]')" -ge 1 ]
}

@test "-f file and -f - read the statement; -D fills it in" {
	printf 'select <%% n %%> as n,\n  '"'"'<%% s %%>'"'"' as s\n' >"$D/q.sql"
	run_split sf-exec -f "$D/q.sql" -D n=7 -D s="it's"
	[ "$status" -eq 0 ]
	[ "$output" = '{"N":7,"S":"it'"'"'s"}' ]
	run_split sf-exec -f - -D n=8 -D s=x <"$D/q.sql"
	[ "$output" = '{"N":8,"S":"x"}' ]
	run_split sf-exec -f "$D/nonexistent.sql"
	[ "$status" -eq 66 ]
}

@test "a long statement is polled until it finishes (progress with -v)" {
	# A statement longer than the synchronous window (shortened here) is polled.
	curl -fs -X POST "$URL/_stack/config" -d '{"sync_wait": 0.5}' >/dev/null
	run_split sf-exec -v "select system\$wait(2) as w"
	curl -fs -X POST "$URL/_stack/config" -d '{"sync_wait": 45}' >/dev/null
	[ "$status" -eq 0 ]
	[ "$(grep -c 'running (' <<<"$stderr")" -ge 3 ]
	[ -n "$output" ]
}

@test "a statement that ends within the synchronous window is answered by the submit: no polls" {
	before=$(stats | jq '.requests["GET /api/v2/statements/{handle}"] // 0')
	run_split sf-exec "select system\$wait(1)"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[]' <<<"$output")" = "waited 1 seconds" ]
	after=$(stats | jq '.requests["GET /api/v2/statements/{handle}"] // 0')
	[ "$after" -eq "$before" ]
}

@test "SIGINT cancels the running statement and exits 130; SIGTERM 143" {
	before=$(stats | jq '.requests["POST /api/v2/statements/{handle}/cancel"] // 0')
	sf-exec "select system\$wait(30)" >"$D/c.out" 2>"$D/c.err" &
	pid=$!
	sleep 1.5
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	grep -q 'cancelling statement' "$D/c.err"
	after=$(stats | jq '.requests["POST /api/v2/statements/{handle}/cancel"] // 0')
	[ "$after" -eq $((before + 1)) ]
	sf-exec "select system\$wait(30)" >"$D/c.out" 2>"$D/c.err" &
	pid=$!
	sleep 1.5
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
}

@test "a resend after a dropped connection does not run the statement twice" {
	sf-exec "create or replace table once (a int)" >/dev/null
	inject '{"method":"POST","path":"/api/v2/statements","action":"drop","count":1}'
	before=$(stats | jq '.requests["POST /api/v2/statements"]')
	run_split sf-exec -v "insert into once values (1)"
	[ "$status" -eq 0 ]
	# two POSTs reached the service (the first answer was lost), one execution
	[ "$(stats | jq '.requests["POST /api/v2/statements"]')" -eq $((before + 2)) ]
	[ "$(stats | jq '[.executions[] | select(. > 1)] | length')" -eq 0 ]
	run_split sf-exec "select count(*) as c from once"
	[ "$output" = '{"C":1}' ]
}

# ---- errors ----

@test "a SQL error is one line naming the statement: exit 65" {
	run_split sf-exec "select * from no_such_table"
	[ "$status" -eq 65 ]
	[ "$output" = "" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "sf-exec: select * from no_such_table: Snowflake 002003 ("*"): SQL compilation error: "* ]]
	printf 'select *\nfrom no_such_table\n' >"$D/bad.sql"
	run_split sf-exec -f "$D/bad.sql"
	[ "$status" -eq 65 ]
	[[ $stderr == "sf-exec: $D/bad.sql: Snowflake 002003 "* ]]
}

@test "429 is retried (Retry-After honoured) and then succeeds" {
	inject '{"method":"POST","path":"/api/v2/statements","action":"429","count":2,"retry_after":"0"}'
	run_split sf-exec "select 1 as one"
	[ "$status" -eq 0 ]
	[ "$output" = '{"ONE":1}' ]
}

@test "still throttled after the retries: exit 75" {
	inject '{"method":"POST","path":"/api/v2/statements","action":"429","count":20,"retry_after":"0"}'
	run_split sf-exec "select 1"
	[ "$status" -eq 75 ]
	[[ $stderr == "sf-exec: select 1: HTTP 429 after "* ]]
}

@test "504 after the retries: exit 75; 503: exit 69" {
	inject '{"method":"*","path":"/api/v2/statements","action":"504","count":20}'
	run_split sf-exec "select 1"
	[ "$status" -eq 75 ]
	curl -fs -X DELETE "$URL/_stack/inject" >/dev/null
	inject '{"method":"*","path":"/api/v2/statements","action":"503","count":20}'
	run_split sf-exec "select 1"
	[ "$status" -eq 69 ]
	[[ $stderr == "sf-exec: select 1: HTTP 503 after "* ]]
}

@test "a service that cannot be reached: exit 69" {
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	SNOWFLAKE_CONNECTIONS_JWT_PORT=$port run_split sf-exec "select 1"
	[ "$status" -eq 69 ]
}

@test "a malformed response exits 76" {
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	# a server that answers every statement with a 200 that is not a ResultSet
	"$PY" - "$port" <<-'PYEOF' &
	import sys
	from http.server import BaseHTTPRequestHandler, HTTPServer
	class H(BaseHTTPRequestHandler):
	    def do_GET(self):
	        self.answer()
	    def do_POST(self):
	        self.rfile.read(int(self.headers.get("Content-Length") or 0))
	        self.answer()
	    def answer(self):
	        b = b'{"resultSetMetaData": "not metadata", "data": 5}'
	        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers()
	        self.wfile.write(b)
	    def log_message(self, *a): pass
	HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	PYEOF
	srv=$!
	for ((i = 0; i < 100; i++)); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
	SNOWFLAKE_CONNECTIONS_JWT_PORT=$port run_split sf-exec "select 1"
	kill "$srv"
	[ "$status" -eq 76 ]
	[ "$stderr" = "sf-exec: select 1: result without a valid resultSetMetaData.rowType" ]
}

# ---- standard output ----

@test "control characters and DEL come out escaped, as dbx-exec writes them" {
	run_split sf-exec "select 'a' || chr(127) || chr(1) || chr(9) || 'b' as s"
	[ "$status" -eq 0 ]
	[ "$output" = '{"S":"a\u007f\u0001\tb"}' ]
	[ "$(jq -r .S <<<"$output" | od -An -tx1 | tr -d ' \n')" = "617f0109620a" ]
}

@test "a write error is not a success: standard output full exits 74; a reader gone, 74 quietly" {
	run_full sf-exec "select 1 as n"
	[ "$status" -eq 74 ]
	[ "$stderr" = "sf-exec: <stdout>: No space left on device" ]
	run_full sf-exec -n "select 1 as n"
	[ "$status" -eq 74 ]
	[ "$stderr" = "sf-exec: <stdout>: No space left on device" ]
	run_closed_pipe sf-exec "select 1 as n"
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
	# (PIPESTATUS: the first command's 74 is what a closed pipe leaves; head's own status is 0)
	run --separate-stderr bash -c 'sf-exec "select seq4() as n from table(generator(rowcount => 100000))" | head -1
		echo "${PIPESTATUS[*]}" >&2'
	[ "$output" = '{"N":0}' ]
	[ "$stderr" = "74 0" ]
}
