#!/usr/bin/env bash
# bench/row-diff.sh [rows]: one date of ROWS rows (default 1,000,000) in a Delta table (the
# Databricks stand-in) and a Snowflake table (the Snowflake stand-in), equal but for one
# planted change, then for 100 scattered changes. For each: row-diff's statements per engine,
# rounds, rows fetched and wall time, beside the naive way (both sides fetched whole with
# dbx-exec and sf-exec, sorted and compared). Goal: one change in at most 5 rounds, under 0.5%
# of the rows transferred.
#
# Uses the stack the environment points at (tests/stack/stack env), else starts a private one
# (3-4 minutes on a loaded machine) and stops it at the end.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-${ROWS:-1000000}}
export PATH="$repo/bin:$repo/.venv/bin:$PATH"
dir=$(mktemp -d "${TMPDIR:-/tmp}/row-diff-bench.XXXXXX")
own=
trap '[ -n "$own" ] && STACK_DIR=$dir/stack "$repo/tests/stack/stack" stop >/dev/null 2>&1; rm -rf "$dir"' EXIT
[ -x "$repo/bin/row-diff" ] || { echo "bench: build bin/row-diff first (make)" >&2; exit 1; }
if ! dbx-exec 'SELECT 1' >/dev/null 2>&1; then
	own=1
	export STACK_DIR=$dir/stack
	"$repo/tests/stack/stack" start snowflake databricks >&2
	eval "$("$repo/tests/stack/stack" env)"
fi
D=2025-11-15
src=main.default.rdbench tgt=RDBENCH.PUBLIC.T
cat >"$dir/files.jsonl" <<'EOF'
{"url":"s3://b/p/date=2025-11-15/run=r/part-0.parquet","schema":[{"name":"id","physical":"INT64","logical":null},{"name":"trip_date","physical":"INT32","logical":"DATE"},{"name":"fare","physical":"INT64","logical":"DECIMAL","precision":10,"scale":2},{"name":"name","physical":"BYTE_ARRAY","logical":"STRING"}]}
EOF

echo "bench: $rows rows on each side" >&2
dbx-exec "DROP TABLE IF EXISTS $src" >/dev/null
dbx-exec "CREATE TABLE $src USING DELTA AS SELECT id + 1 AS id, DATE '$D' AS trip_date,
	CAST((id + 1) % 100000 / 100 AS DECIMAL(10,2)) AS fare, concat('n', CAST(id + 1 AS STRING)) AS name
	FROM range($rows)" >/dev/null
sf-exec 'CREATE DATABASE IF NOT EXISTS RDBENCH' >/dev/null
sf-exec "CREATE OR REPLACE TABLE $tgt (\"id\" NUMBER(38,0), \"trip_date\" DATE, \"fare\" NUMBER(10,2), \"name\" VARCHAR)" >/dev/null
sf-exec "INSERT INTO $tgt SELECT seq4() + 1, DATE '$D', CAST(MOD(seq4() + 1, 100000) / 100 AS NUMBER(10,2)),
	'n' || TO_VARCHAR(seq4() + 1) FROM TABLE(GENERATOR(ROWCOUNT => $rows))" >/dev/null

now() { date +%s.%N; }

# One row-diff run: its summary figures and wall time as a table row.
run_rowdiff() { # label
	local t0 t1 s rc=0
	t0=$(now)
	row-diff -s $src -t $tgt -C trip_date -d $D -K id "$dir/files.jsonl" >"$dir/out" 2>"$dir/err" || rc=$?
	t1=$(now)
	[ $rc -le 1 ] || { cat "$dir/err" >&2; exit $rc; }
	s=$(tail -1 "$dir/err")
	local st rd fs ft keys
	st=$(sed -n 's/.*; \([0-9]*\) statements per engine.*/\1/p' <<<"$s")
	rd=$(sed -n 's/.*; \([0-9]*\) rounds;.*/\1/p' <<<"$s")
	fs=$(sed -n 's/.*rows fetched \([0-9]*\) source, \([0-9]*\) target.*/\1/p' <<<"$s")
	ft=$(sed -n 's/.*rows fetched \([0-9]*\) source, \([0-9]*\) target.*/\2/p' <<<"$s")
	keys=$(wc -l <"$dir/out")
	printf '%-24s %-10s %6s %6s %10s %8s %8.1f %6s\n' "$1" row-diff "$st" "$rd" "$((fs + ft))" \
		"$(awk -v f=$((fs + ft)) -v r="$rows" 'BEGIN { printf "%.3f%%", 100 * f / (2 * r) }')" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$keys"
}

# The naive way: both sides whole, sorted by key, compared line by line.
run_naive() { # label
	local t0 t1 n
	t0=$(now)
	dbx-exec -e "SELECT id, CAST(fare AS STRING) AS fare, name FROM $src WHERE trip_date = DATE '$D'" |
		jq -r '[.id, .fare, .name] | @tsv' | sort >"$dir/s.tsv" &
	sf-exec "SELECT \"id\" AS id, TO_VARCHAR(\"fare\") AS fare, \"name\" AS name FROM $tgt WHERE \"trip_date\" = DATE '$D'" |
		jq -r '[.ID, .FARE, .NAME] | @tsv' | sort >"$dir/t.tsv"
	wait
	n=$(comm -3 "$dir/s.tsv" "$dir/t.tsv" | sed 's/^\t//' | cut -f1 | sort -u | wc -l)
	t1=$(now)
	printf '%-24s %-10s %6s %6s %10s %8s %8.1f %6s\n' "$1" naive 1 1 "$((2 * rows))" "100%" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$n"
}

printf '%-24s %-10s %6s %6s %10s %8s %8s %6s\n' case tool stmts rounds fetched share wall_s keys
sf-exec "UPDATE $tgt SET \"fare\" = \"fare\" + 1 WHERE \"id\" = 424242 % $rows + 1" >/dev/null
run_rowdiff "1 change"
run_naive "1 change"
sf-exec "UPDATE $tgt SET \"name\" = \"name\" || ' ' WHERE MOD(\"id\", $((rows / 100))) = 17" >/dev/null
run_rowdiff "101 changes (scattered)"
run_naive "101 changes (scattered)"
