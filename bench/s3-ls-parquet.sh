#!/usr/bin/env bash
# bench/s3-ls-parquet.sh [objects] [footers]: list 10,000 objects and read 1,000 footers on the
# moto stand-in, and report time and peak memory beside the AWS CLI (boto) doing the listing
# against the same server in the same run. Ratios, not absolute times, are the result.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
nobj=${1:-10000} nfoot=${2:-1000}
export STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dbx2sf-bench.XXXXXX")
trap '"$repo/tests/stack/stack" stop >/dev/null 2>&1; rm -rf "$STACK_DIR"' EXIT
"$repo/tests/stack/stack" start moto >&2
eval "$("$repo/tests/stack/stack" env)"
py="$repo/.venv/bin/python" aws="$repo/.venv/bin/aws --endpoint-url $AWS_ENDPOINT_URL"
bin="$repo/bin/s3-ls-parquet"
$aws s3 mb s3://bench >/dev/null
"$py" "$repo/tests/gen/parquet_samples.py" "$STACK_DIR/samples" >/dev/null
one=$(ls "$STACK_DIR"/samples/*.parquet | head -n 1)
echo "filling: $nobj objects for listing, $nfoot for footers" >&2
"$py" "$repo/tests/gen/s3_fill.py" bench list/ "$nobj" "$one"
"$py" "$repo/tests/gen/s3_fill.py" bench foot/ "$nfoot" "$one"

# measure NAME CMD…: wall seconds and peak RSS (KiB) of CMD, its output discarded but counted.
measure() {
	local name=$1; shift
	local t0 t1 lines
	t0=$(date +%s.%N)
	lines=$("$repo/tests/gen/peakrss" "$STACK_DIR/rss" "$@" | wc -l)
	t1=$(date +%s.%N)
	printf '%s\t%s\t%s\t%s\n' "$name" "$(awk "BEGIN{print $t1 - $t0}")" "$(cat "$STACK_DIR/rss")" "$lines"
}

{
	printf 'what\tseconds\tpeak_rss_kib\tlines\n'
	measure "s3-ls-parquet -F ($nobj objects)" "$bin" -F s3://bench/list/
	measure "aws s3api list-objects-v2 ($nobj objects)" $aws s3api list-objects-v2 --bucket bench --prefix list/ --output text --query 'Contents[].Key'
	measure "s3-ls-parquet ($nfoot footers)" "$bin" s3://bench/foot/
	measure "s3-ls-parquet -j 1 ($nfoot footers)" "$bin" -j 1 s3://bench/foot/
} | tee "$STACK_DIR/result.tsv" | column -t -s $'\t'
awk -F'\t' 'NR==2{t=$2;m=$3} NR==3{printf "listing: s3-ls-parquet takes %.2fx the time and %.2fx the memory of the AWS CLI\n", t/$2, m/$3}' "$STACK_DIR/result.tsv"
