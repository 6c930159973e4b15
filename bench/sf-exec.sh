#!/usr/bin/env bash
# bench/sf-exec.sh [rows]: a 1,000,000-row result (many partitions) fetched from the Snowflake
# stand-in by sf-exec, and by a baseline of curl + jq doing the same protocol steps (submit,
# poll, fetch every partition gzip-compressed, turn each row into an object keyed by column
# name with integers as numbers) in the same run. Reports rows/s and peak RSS of each, and the
# ratios. Both include the stand-in's execution of the query, which is the same for both.
# The lower bound: curl alone, the submit answered when the statement ends (the synchronous
# window) and every partition written to /dev/null in one curl (one connection), no parsing;
# sf-exec's time is reported as a ratio to it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
py="$repo/.venv/bin/python"
dir=$(mktemp -d "${TMPDIR:-/tmp}/sf-exec-bench.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null; rm -rf "$dir"' EXIT
[ -x "$repo/bin/sf-exec" ] || { echo "bench: build bin/sf-exec first (make)" >&2; exit 1; }

token=bench-oauth-token
mkdir -p "$dir/state" "$dir/home"
printf '{"BENCH": {"oauth_tokens": ["%s"]}}\n' "$token" >"$dir/state/users.json"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid "$py" "$repo/tests/stack/snowflake/server.py" --host 127.0.0.1 --port "$port" \
	--state "$dir/state" --account bench-acct >"$dir/server.log" 2>&1 </dev/null &
pid=$!
for ((i = 0; i < 300; i++)); do curl -fs "http://127.0.0.1:$port/_stack/health" >/dev/null 2>&1 && break; sleep 0.1; done
url=http://127.0.0.1:$port
(umask 077; cat >"$dir/home/connections.toml" <<EOF
[bench]
account = "bench-acct"
user = "bench"
authenticator = "OAUTH"
token = "$token"
host = "127.0.0.1"
port = $port
protocol = "http"
warehouse = "BENCH_WH"
EOF
)
sql="select seq4() as n, uniform(1, 1000000, random()) as r, 'row ' || seq4() as s, 12.50::number(10,2) as d from table(generator(rowcount => $rows))"

# The baseline: the SQL API driven by hand with curl, the rows shaped by jq.
cat >"$dir/baseline.sh" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
url=$1 token=$2 sql=$3
h=(-H "Authorization: Bearer $token" -H 'X-Snowflake-Authorization-Token-Type: OAUTH'
   -H 'Accept: application/json' -H 'User-Agent: bench/1')
conv='.data[] as $r | [range(0; $rt | length) | {($rt[.].name): (if $rt[.].type == "fixed" and $rt[.].scale == 0 and $r[.] != null then ($r[.] | tonumber) else $r[.] end)}] | add'
body=$(jq -nc --arg s "$sql" '{statement: $s, warehouse: "BENCH_WH", parameters: {TIMEZONE: "UTC"}}')
resp=$(curl -s "${h[@]}" -H 'Content-Type: application/json' -X POST \
	"$url/api/v2/statements?requestId=$(cat /proc/sys/kernel/random/uuid)&async=true" -d "$body")
handle=$(jq -r .statementHandle <<<"$resp")
delay=0.05
while [ "$(jq -r '.resultSetMetaData // empty | "done"' <<<"$resp")" != done ]; do
	sleep "$delay"
	resp=$(curl -s "${h[@]}" "$url/api/v2/statements/$handle")
done
rt=$(jq -c .resultSetMetaData.rowType <<<"$resp")
n=$(jq '.resultSetMetaData.partitionInfo | length' <<<"$resp")
jq -c --argjson rt "$rt" "$conv" <<<"$resp"
for ((p = 1; p < n; p++)); do
	curl -s --compressed "${h[@]}" "$url/api/v2/statements/$handle?partition=$p" | jq -c --argjson rt "$rt" "$conv"
done
EOF
chmod +x "$dir/baseline.sh"

# The fetch-only lower bound: no sleeping, no parsing. Prints the row count it was told of.
cat >"$dir/fetchonly.sh" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
url=$1 token=$2 sql=$3
h=(-H "Authorization: Bearer $token" -H 'X-Snowflake-Authorization-Token-Type: OAUTH'
   -H 'Accept: application/json' -H 'User-Agent: bench/1')
body=$(jq -nc --arg s "$sql" '{statement: $s, warehouse: "BENCH_WH", parameters: {TIMEZONE: "UTC"}}')
resp=$(curl -s "${h[@]}" -H 'Content-Type: application/json' -X POST \
	"$url/api/v2/statements?requestId=$(cat /proc/sys/kernel/random/uuid)" -d "$body")
handle=$(jq -r .statementHandle <<<"$resp")
n=$(jq '.resultSetMetaData.partitionInfo | length' <<<"$resp")
args=()
for ((p = 1; p < n; p++)); do args+=(-o /dev/null "$url/api/v2/statements/$handle?partition=$p"); done
[ ${#args[@]} -eq 0 ] || curl -s --compressed "${h[@]}" "${args[@]}"
jq -r '.resultSetMetaData.numRows' <<<"$resp"
EOF
chmod +x "$dir/fetchonly.sh"

# measure NAME CMD…: wall seconds, client CPU seconds (user + system of CMD and its children),
# peak RSS (KiB, largest process of CMD), and rows out.
measure() {
	local name=$1 t0 t1 lines; shift
	t0=$(date +%s.%N)
	lines=$(/usr/bin/time -f '%U %S %M' -o "$dir/rss" "$@" | wc -l)
	t1=$(date +%s.%N)
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(awk "BEGIN{print $t1 - $t0}")" \
		"$(tail -n 1 "$dir/rss" | awk '{print $1 + $2}')" "$(tail -n 1 "$dir/rss" | awk '{print $3}')" "$lines"
}

# Queries need a warehouse, as on the real service.
SNOWFLAKE_HOME=$dir/home "$repo/bin/sf-exec" -c bench "create warehouse if not exists bench_wh" >/dev/null
echo "bench: $rows rows from $url" >&2
{
	printf 'what\tseconds\tcpu_seconds\tpeak_rss_kib\trows\n'
	SNOWFLAKE_HOME=$dir/home measure "sf-exec" "$repo/bin/sf-exec" -c bench "$sql"
	measure "curl + jq" "$dir/baseline.sh" "$url" "$token" "$sql"
	measure "curl fetch only" "$dir/fetchonly.sh" "$url" "$token" "$sql"
} >"$dir/result.tsv"
column -t -s $'\t' "$dir/result.tsv"
awk -F'\t' 'NR==2{t=$2;c=$3;m=$4;n=$5} NR==4{
	printf "sf-exec: %.2fx the time of the fetch-only lower bound (curl to /dev/null)\n", t / $2 }
	NR==3{
	if (n != $5) { printf "row counts differ: %d vs %d\n", n, $5; exit 1 }
	printf "sf-exec: %.0f rows/s, curl + jq: %.0f rows/s (wall, query execution included): %.2fx\n", n / t, $5 / $2, $2 / t
	printf "client CPU: sf-exec %.2f s, curl + jq %.2f s: %.2fx less; peak memory: %.2fx\n", c, $3, $3 / c, m / $4 }' "$dir/result.tsv"
