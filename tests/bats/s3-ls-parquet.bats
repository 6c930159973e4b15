#!/usr/bin/env bats
# s3-ls-parquet against the moto S3 stand-in, on real files written by pyarrow (and Spark, when
# the Databricks stand-in has exported some: see dbx-export.bats).

load helpers

setup_file() {
	stack_up moto
	export BUCKET=$(test_bucket)
	export SAMPLES="$BATS_FILE_TMPDIR/samples"
	"$REPO/.venv/bin/python" "$REPO/tests/gen/parquet_samples.py" "$SAMPLES" >&2
	aws_cli s3 mb "s3://$BUCKET" >&2
	aws_cli s3 cp --recursive --quiet --exclude 'corrupt/*' --exclude '*.jsonl' \
		"$SAMPLES" "s3://$BUCKET/ds/date=2025-11-15/run=r1/"
	# What Spark, Hadoop and Databricks leave beside the data files.
	: >"$BATS_FILE_TMPDIR/empty"
	for marker in _SUCCESS ._SUCCESS.crc .part-00000.snappy.parquet.crc _started_123 _committed_123 _delta_log/x.json; do
		aws_cli s3 cp --quiet "$BATS_FILE_TMPDIR/empty" "s3://$BUCKET/ds/date=2025-11-15/run=r1/$marker"
	done
	aws_cli s3 cp --recursive --quiet --exclude '*.jsonl' "$SAMPLES/corrupt" "s3://$BUCKET/bad/"
	# Keys whose bytes URL-decoding would change: '+', '%XX' look-alikes, blanks, '=', unicode.
	for k in $ODD_KEYS; do
		aws_cli s3 cp --quiet "$SAMPLES/physical.parquet" "s3://$BUCKET/odd/${k//@/ }"
	done
	aws_cli s3 cp --quiet "$BATS_FILE_TMPDIR/empty" "s3://$BUCKET/odd/100%41/_SUCCESS"
}

# '@' stands for a blank (the list is word-split).
ODD_KEYS='a+b/c.parquet 100%41.parquet 100%41/part-0.parquet pct%25.parquet plus%2B.parquet
with@space/x.parquet k=v@w/é@日本.parquet'
odd_keys() { for k in $ODD_KEYS; do echo "${1-}${k//@/ }"; done | LC_ALL=C sort; }

teardown_file() {
	aws_cli s3 rb --force "s3://$BUCKET" >/dev/null 2>&1 || true
}

@test "every data file is listed once, and markers and checksums are skipped" {
	run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	want=$(cd "$SAMPLES" && ls *.parquet | sort)
	got=$(jq -r '.key | sub(".*/"; "")' <<<"$output" | sort)
	[ "$got" = "$want" ]
}

@test "footer rows, row groups, writer and schema equal pyarrow's reading of each file" {
	run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	n=$(wc -l <"$SAMPLES/expected.jsonl")
	[ "$n" -gt 10 ]
	# Join our lines with the generator's manifest by file name; print any that differ.
	diff=$(jq -n --slurpfile want "$SAMPLES/expected.jsonl" '
		[inputs | {file: (.key | sub(".*/"; "")), rows, row_groups, created_by, schema}] as $got
		| ($want | map({key: .file, value: .}) | from_entries) as $w
		| $got[] | select(. != ($w[.file] | {file, rows, row_groups, created_by, schema}))' <<<"$output")
	[ -z "$diff" ] || { echo "differs from pyarrow: $diff"; false; }
	[ "$(jq -s length <<<"$output")" -eq "$n" ]
}

@test "object fields: url, bucket, key, size, etag, last_modified, hive partition values" {
	run_split s3-ls-parquet "s3://$BUCKET/ds/"
	first=$(head -n 1 <<<"$output")
	[ "$(jq -r .bucket <<<"$first")" = "$BUCKET" ]
	[ "$(jq -r .url <<<"$first")" = "s3://$BUCKET/$(jq -r .key <<<"$first")" ]
	[ "$(jq -c .partition <<<"$first")" = '{"date":"2025-11-15","run":"r1"}' ]
	name=$(jq -r '.key | sub(".*/"; "")' <<<"$first")
	[ "$(jq -r .size <<<"$first")" -eq "$(stat -c %s "$SAMPLES/$name")" ]
	[ "$(jq -r .etag <<<"$first")" = "$(md5sum "$SAMPLES/$name" | cut -d' ' -f1)" ]
	jq -e '.last_modified | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<<"$first"
}

@test "-F lists without reading footers" {
	run_split s3-ls-parquet -F "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	jq -e -s 'length > 10 and all(has("rows") | not) and all(has("size"))' <<<"$output"
}

@test "-s flags files outside the size band" {
	run_split s3-ls-parquet -F -s 1K-4K "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	bands=$(jq -r '[.size_band] | .[]' <<<"$output" | sort -u | tr '\n' ' ')
	jq -e -s 'all(if .size < 1024 then .size_band == "small" elif .size > 4096 then .size_band == "large" else .size_band == "ok" end)' <<<"$output"
	[ -n "$bands" ]
}

@test "a corrupt footer is named with its reason, the good files still listed, exit 65" {
	aws_cli s3 cp --quiet "$SAMPLES/$(cd "$SAMPLES" && ls *.parquet | head -n 1)" "s3://$BUCKET/bad/good.parquet"
	run_split s3-ls-parquet "s3://$BUCKET/bad/"
	[ "$status" -eq 65 ]
	[ "$(jq -r .key <<<"$output")" = "bad/good.parquet" ]
	nbad=$(cd "$SAMPLES/corrupt" && ls *.parquet | wc -l)
	[ "$(grep -c "^s3-ls-parquet: s3://$BUCKET/bad/" <<<"$stderr")" -eq "$nbad" ]
	grep -q 'magic' <<<"$stderr"
}

@test "a missing bucket: one line naming it, exit 66" {
	run_split s3-ls-parquet "s3://no-such-bucket-$$/x/"
	[ "$status" -eq 66 ]
	[ "$output" = "" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "s3-ls-parquet: s3://no-such-bucket-$$/x/: NoSuchBucket"* ]]
}

@test "an empty prefix: no data files, exit 66" {
	run_split s3-ls-parquet "s3://$BUCKET/nothing-here/"
	[ "$status" -eq 66 ]
	[[ $stderr == *"no Parquet data files"* ]]
}

@test "an unreachable endpoint: exit 69 after retries" {
	port=$("$REPO/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	AWS_ENDPOINT_URL=http://127.0.0.1:$port run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 69 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: "*"onnect"* ]]
}

@test "no credentials anywhere: exit 78 naming what is missing" {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$BATS_TEST_TMPDIR" \
		AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
		"$REPO/bin/s3-ls-parquet" "s3://$BUCKET/ds/" 2>"$BATS_TEST_TMPDIR/err" && false || rc=$?
	[ "$rc" -eq 78 ]
	grep -q '^s3-ls-parquet: .*credentials' "$BATS_TEST_TMPDIR/err"
}

@test "usage errors: exit 64" {
	run_split s3-ls-parquet
	[ "$status" -eq 64 ]
	[[ $stderr == "usage: s3-ls-parquet"* ]]
	run_split s3-ls-parquet http://bucket/x
	[ "$status" -eq 64 ]
	[[ $stderr == "s3-ls-parquet: http://bucket/x: not an s3://bucket/prefix URL" ]]
	run_split s3-ls-parquet -j 0 "s3://$BUCKET/"
	[ "$status" -eq 64 ]
}

@test "pagination: 10,000 objects over ten pages, each listed once, in key order, memory flat under 20 MB" {
	one="$SAMPLES/physical.parquet"
	"$REPO/.venv/bin/python" "$REPO/tests/gen/s3_fill.py" "$BUCKET" many/ 10000 "$one"
	"$REPO/.venv/bin/python" "$REPO/tests/gen/s3_fill.py" "$BUCKET" page/ 1000 "$one"
	# 46 KiB files with 20 KiB footers: more than the first read, so each is read twice.
	"$REPO/.venv/bin/python" "$REPO/tests/gen/s3_fill.py" "$BUCKET" big/ 1000 "$SAMPLES/many_row_groups.parquet"
	"$REPO/tests/gen/peakrss" "$BATS_TEST_TMPDIR/rss.many" s3-ls-parquet "s3://$BUCKET/many/" >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 10000 ]
	[ "$(jq -r .key "$BATS_TEST_TMPDIR/out" | sort -u | wc -l)" -eq 10000 ]
	# In key order (as listed) although the next page is listed while footers are read.
	jq -r .key "$BATS_TEST_TMPDIR/out" | LC_ALL=C sort -c
	jq -e -s 'all(.rows == 5)' "$BATS_TEST_TMPDIR/out" >/dev/null
	# The same bytes as one footer read at a time.
	s3-ls-parquet -j 1 "s3://$BUCKET/many/" | cmp - "$BATS_TEST_TMPDIR/out"
	# Flat: 10,000 objects cost what one page of 1,000 costs, and files whose tails and
	# footers are large cost no more (64 KiB tails kept per page once cost 60 MB here).
	"$REPO/tests/gen/peakrss" "$BATS_TEST_TMPDIR/rss.page" s3-ls-parquet "s3://$BUCKET/page/" >/dev/null
	"$REPO/tests/gen/peakrss" "$BATS_TEST_TMPDIR/rss.big" s3-ls-parquet "s3://$BUCKET/big/" >"$BATS_TEST_TMPDIR/big"
	[ "$(jq -s 'map(select(.rows == 1000 and .row_groups == 100)) | length' "$BATS_TEST_TMPDIR/big")" -eq 1000 ]
	many=$(cat "$BATS_TEST_TMPDIR/rss.many") page=$(cat "$BATS_TEST_TMPDIR/rss.page") big=$(cat "$BATS_TEST_TMPDIR/rss.big")
	echo "peak RSS: 10000 objects $many KiB, 1000 objects $page KiB, 1000 large footers $big KiB"
	[ "$many" -le $((page + 2048)) ]
	[ "$many" -lt 20480 ]
	[ "$big" -lt 20480 ]
}

@test "credentials the service refuses: one line with S3's reason, exit 77" {
	AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 AWS_SECRET_ACCESS_KEY=wrong run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 77 ]
	[ "$output" = "" ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: InvalidAccessKeyId"* ]]
	# The stack's own key with a wrong secret: the signature check itself refuses it.
	key=$(awk -F' = ' '$1 == "aws_access_key_id" {print $2}' "$AWS_SHARED_CREDENTIALS_FILE")
	AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=not-the-secret run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 77 ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: SignatureDoesNotMatch"* ]]
}

# faultproxy in front of moto: the first $1 requests fail as asked, the rest pass through.
start_faultproxy() {
	port=$("$REPO/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$REPO/.venv/bin/python" "$REPO/tests/stack/faultproxy.py" --port "$port" --upstream "$AWS_ENDPOINT_URL" \
		--count-file "$BATS_TEST_TMPDIR/count" --conn-file "$BATS_TEST_TMPDIR/conns" "$@" 3>&- &
	proxy_pid=$!
	# Listening (a loaded machine starts Python slowly). One probe that gets through, no more:
	# with --tls each bare probe is a failed handshake.
	local up=
	for _ in $(seq 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
		sleep 0.1
	done
	[ -n "$up" ] || { echo "faultproxy did not start on port $port" >&2; return 1; }
	# Its count of those probes settled before anyone reads it (with --tls a bare probe fails
	# the handshake and may not be counted: then there is no count to settle).
	local a b
	for _ in $(seq 50); do
		a=$(cat "$BATS_TEST_TMPDIR/conns" 2>/dev/null || true); sleep 0.2; b=$(cat "$BATS_TEST_TMPDIR/conns" 2>/dev/null || true)
		if [ -n "$a" ] && [ "$a" = "$b" ]; then break; fi
	done
	proxy_url=http://127.0.0.1:$port
}

teardown() {
	[ -z "${proxy_pid:-}" ] || kill "$proxy_pid" 2>/dev/null || true
}

# The listing as moto sends it (EncodingType url, keys encoded, a blank as %20), as S3 sends it
# (a blank as '+'), and as gateways that ignore encoding-type send it (raw keys; no
# EncodingType, or an empty one).
list_via() {
	case $1 in
	s3) endpoint=$AWS_ENDPOINT_URL ;;
	plus) start_faultproxy --plus-blanks; endpoint=$proxy_url ;;
	*) start_faultproxy --ignore-encoding-type "$1"; endpoint=$proxy_url ;;
	esac
}

@test "keys holding '+', '%XX', blanks, '=' and unicode: listed and read exactly, encoded or not" {
	for mode in s3 plus absent empty; do
		list_via $mode
		AWS_ENDPOINT_URL=$endpoint run_split s3-ls-parquet "s3://$BUCKET/odd/"
		echo "$mode: $stderr"
		[ "$status" -eq 0 ]
		[ "$(jq -r .key <<<"$output" | LC_ALL=C sort)" = "$(odd_keys odd/)" ]
		jq -e -s 'length == 7 and all(.rows == 5)' <<<"$output"
		jq -e -s 'map(select(.key == "odd/k=v w/é 日本.parquet")) | .[0].partition == {"k": "v w"}' <<<"$output"
		[ -z "${proxy_pid:-}" ] || { kill "$proxy_pid"; proxy_pid=; }
	done
}

@test "each line is compact JSON as jq -c writes it: quotes, backslashes, control characters escaped; a name given twice keeps its last value" {
	for k in 'esc/q=a%22b%5Cc/part.parquet' 'esc/a=1/a=2/part.parquet' 'esc/we"ird\name/part.parquet' \
		'esc/n=%0A%09/part.parquet'; do
		aws_cli s3 cp --quiet "$SAMPLES/physical.parquet" "s3://$BUCKET/$k"
	done
	run_split s3-ls-parquet "s3://$BUCKET/esc/"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 4 ]
	while IFS= read -r line; do
		[ "$(jq -c . <<<"$line")" = "$line" ] || { echo "not jq -c's: $line"; false; }
	done <<<"$output"
	jq -e -s 'map(select(.key == "esc/q=a%22b%5Cc/part.parquet"))[0].partition == {"q": "a\"b\\c"}' <<<"$output"
	jq -e -s 'map(select(.key == "esc/a=1/a=2/part.parquet"))[0].partition == {"a": "2"}' <<<"$output"
	jq -e -s 'map(select(.key == "esc/we\"ird\\name/part.parquet")) | length == 1' <<<"$output"
	jq -e -s 'map(select(.key == "esc/n=%0A%09/part.parquet"))[0].partition == {"n": "\n\t"}' <<<"$output"
	jq -e -s 'all(.rows == 5 and (.schema | length) > 0)' <<<"$output"
}

@test "odd keys with -F and -a: the names as stored, markers under an odd prefix still hidden" {
	for mode in s3 plus absent empty; do
		list_via $mode
		AWS_ENDPOINT_URL=$endpoint run_split s3-ls-parquet -F "s3://$BUCKET/odd/"
		[ "$status" -eq 0 ]
		[ "$(jq -r .key <<<"$output" | LC_ALL=C sort)" = "$(odd_keys odd/)" ]
		AWS_ENDPOINT_URL=$endpoint run_split s3-ls-parquet -a "s3://$BUCKET/odd/"
		[ "$status" -eq 0 ]
		[ "$(jq -r .key <<<"$output" | LC_ALL=C sort)" = "$( (odd_keys odd/; echo 'odd/100%41/_SUCCESS') | LC_ALL=C sort)" ]
		# The prefix itself holds '%41': _SUCCESS below it is a marker, not data.
		AWS_ENDPOINT_URL=$endpoint run_split s3-ls-parquet "s3://$BUCKET/odd/100%41/"
		[ "$status" -eq 0 ]
		[ "$output" != "" ]
		[ "$(jq -r .key <<<"$output")" = "odd/100%41/part-0.parquet" ]
		[ -z "${proxy_pid:-}" ] || { kill "$proxy_pid"; proxy_pid=; }
	done
}

# How many objects botocore lists under a prefix: an oracle apart from the tool under test.
keys_under() { aws_cli s3api list-objects-v2 --bucket "$BUCKET" --prefix "$1" --output json | jq '.Contents | length'; }

@test "make cleanup's pipe, -a into s3-delete, leaves no odd key behind, encoded or not" {
	for mode in s3 absent; do
		aws_cli s3 cp --recursive --quiet "s3://$BUCKET/odd/" "s3://$BUCKET/del-$mode/"
		[ "$(keys_under "del-$mode/")" -eq 8 ]
		list_via $mode
		AWS_ENDPOINT_URL=$endpoint s3-ls-parquet -a "s3://$BUCKET/del-$mode/" | "$REPO/share/s3-delete"
		[ "$(keys_under "del-$mode/")" -eq 0 ]
		[ -z "${proxy_pid:-}" ] || { kill "$proxy_pid"; proxy_pid=; }
	done
}

@test "a bucket in another region: followed once, re-signed for it, said with -v" {
	direct=$(s3-ls-parquet "s3://$BUCKET/ds/")
	# The requests of a listing in the right region (a footer past the first read costs two).
	start_faultproxy --fail 0
	AWS_ENDPOINT_URL=$proxy_url s3-ls-parquet "s3://$BUCKET/ds/" >/dev/null
	requests=$(cat "$BATS_TEST_TMPDIR/count")
	kill "$proxy_pid"; proxy_pid=
	for how in permanent malformed; do
		start_faultproxy --bucket-region eu-west-1 --redirect $how
		AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet -v "s3://$BUCKET/ds/"
		echo "$how: $stderr"
		[ "$status" -eq 0 ]
		[ "$output" = "$direct" ]
		[ "$(grep -c "s3://$BUCKET/ds/: the bucket is in eu-west-1, not us-east-1: following" <<<"$stderr")" -eq 1 ]
		# One refused listing, then the listing and every footer read signed for eu-west-1.
		[ "$(cat "$BATS_TEST_TMPDIR/count")" -eq $((requests + 1)) ]
		kill "$proxy_pid"; proxy_pid=
	done
}

@test "a wrong region that cannot be followed: one line with S3's reason, exit 78" {
	start_faultproxy --bucket-region eu-west-1 --redirect headerless
	AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 78 ]
	[ "$output" = "" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: PermanentRedirect: The bucket you are attempting"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/count")" -eq 1 ]
}

@test "throttled (503 SlowDown with Retry-After) then served: retried, same output as without" {
	start_faultproxy --fail 3 --status 503 --retry-after 0
	AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet -v "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'retrying' <<<"$stderr")" -eq 3 ]
	direct=$(s3-ls-parquet "s3://$BUCKET/ds/")
	[ "$output" = "$direct" ]
}

@test "dropped connections on the reads: retried (GETs are idempotent)" {
	start_faultproxy --fail 2 --drop
	AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq "$(cd "$SAMPLES" && ls *.parquet | wc -l)" ]
}

@test "TLS is verified: a certificate nobody vouches for is refused (69); CURL_CA_BUNDLE vouches" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$BATS_TEST_TMPDIR/key.pem" -out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
	start_faultproxy --fail 0 --tls "$BATS_TEST_TMPDIR/cert.pem,$BATS_TEST_TMPDIR/key.pem"
	tls_url=${proxy_url/http:/https:}
	AWS_ENDPOINT_URL=$tls_url run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 69 ]
	[ "$output" = "" ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: "*"certificate"* ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	CURL_CA_BUNDLE="$BATS_TEST_TMPDIR/cert.pem" AWS_ENDPOINT_URL=$tls_url run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	[ "$output" = "$(s3-ls-parquet "s3://$BUCKET/ds/")" ]
}

@test "503 for good: exit 69 after six tries, one line; 429 for good: exit 75" {
	start_faultproxy --fail 1000 --status 503 --retry-after 0
	AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 69 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: HTTP 503 after 6 tries" ]]
	[ "$(cat "$BATS_TEST_TMPDIR/count")" -eq 6 ]
	kill "$proxy_pid"
	start_faultproxy --fail 1000 --status 429 --retry-after 0
	AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 75 ]
	[[ $stderr == "s3-ls-parquet: s3://$BUCKET/ds/: HTTP 429 after 6 tries" ]]
}

@test "-a lists every object, markers and checksums included, without footers" {
	run_split s3-ls-parquet -a "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
	n=$(cd "$SAMPLES" && ls *.parquet | wc -l)
	[ "$(jq -s length <<<"$output")" -eq $((n + 6)) ]
	jq -e -s 'map(.key | sub(".*/run=r1/"; "")) | index("_SUCCESS") and index("_delta_log/x.json")' <<<"$output"
	jq -e -s 'all(has("rows") | not)' <<<"$output"
}

@test "the hidden-path rule: any segment below the prefix beginning with '_' (not k=v) or '.', and *.crc" {
	one="$SAMPLES/physical.parquet"
	for k in part-0.parquet _c=1/part-1.parquet d=2/part-2.parquet \
		_temporary/0/_temporary/attempt_1/part-0.parquet d=2/_temporary/part-9.parquet \
		d=2/.spark-staging/part-8.parquet .hoodie/part-7.parquet d=2/part-3.parquet.crc \
		d=2/_SUCCESS d=2/.part-2.parquet.crc; do
		aws_cli s3 cp --quiet "$one" "s3://$BUCKET/hid/$k"
	done
	aws_cli s3api put-object --bucket "$BUCKET" --key hid/d=2/x/ >/dev/null	# a "folder"
	run_split s3-ls-parquet "s3://$BUCKET/hid/"
	[ "$status" -eq 0 ]
	[ "$(jq -r .key <<<"$output" | sort | tr '\n' ' ')" = "hid/_c=1/part-1.parquet hid/d=2/part-2.parquet hid/part-0.parquet " ]
	[ "$(jq -c .partition <<<"$output" | sort | tr '\n' ' ')" = '{"_c":"1"} {"d":"2"} {} ' ]
	# Only what lies below the prefix counts: a hidden directory named in the prefix is listed.
	run_split s3-ls-parquet "s3://$BUCKET/hid/_temporary/0/_temporary/attempt_1/"
	[ "$status" -eq 0 ]
	[ "$(jq -r .key <<<"$output")" = "hid/_temporary/0/_temporary/attempt_1/part-0.parquet" ]
	# A prefix that ends inside a name: the rule applies from its last '/'.
	run_split s3-ls-parquet -F "s3://$BUCKET/hid/_c"
	[ "$status" -eq 0 ]
	[ "$(jq -r .key <<<"$output")" = "hid/_c=1/part-1.parquet" ]
	run_split s3-ls-parquet "s3://$BUCKET/hid/_t"
	[ "$status" -eq 66 ]
	run_split s3-ls-parquet -a "s3://$BUCKET/hid/"
	[ "$(jq -s length <<<"$output")" -eq 11 ]
}

@test "files Spark wrote (INT96 and INT64 micros timestamps, decimals of each encoding, nested): as pyarrow reads them" {
	stack_up databricks
	for t in int96 micros; do
		ts="TIMESTAMP'2024-03-10 01:30:00' + make_interval(0, 0, 0, 0, 0, 0, id)"
		[ $t = micros ] && ts="CAST($ts AS TIMESTAMP_NTZ)"
		dbx-exec "INSERT OVERWRITE DIRECTORY 's3://$BUCKET/spark/$t/' USING PARQUET
			SELECT /*+ REPARTITION(2) */ id, CAST(id AS INT) AS i32, CAST(id AS DECIMAL(9,2)) AS dec9,
			CAST(id AS DECIMAL(18,4)) AS dec18, CAST(id AS DECIMAL(38,6)) AS dec38, $ts AS ts,
			DATE'2024-01-01' + CAST(id % 30 AS INT) AS d, IF(id % 7 = 0, NULL, concat('v', id)) AS s,
			id % 2 = 0 AS b, CAST(id AS DOUBLE) / 3 AS dbl, X'00FF' AS bin, array(id, id + 1) AS arr,
			named_struct('a', id, 'b', 'x') AS st, map('k', id) AS m
			FROM range(1000)" >/dev/null
	done
	run_split s3-ls-parquet "s3://$BUCKET/spark/"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 4 ]
	[ "$(jq -s 'map(.rows) | add' <<<"$output")" -eq 2000 ]
	aws_cli s3 cp --recursive --quiet --exclude '*' --include '*.parquet' "s3://$BUCKET/spark/" "$BATS_TEST_TMPDIR/spark"
	"$REPO/.venv/bin/python" "$REPO/tests/gen/pyarrow_footers.py" "$BATS_TEST_TMPDIR"/spark/*/*.parquet >"$BATS_TEST_TMPDIR/want.jsonl"
	diff=$(jq -n --slurpfile want "$BATS_TEST_TMPDIR/want.jsonl" '
		[inputs | {file: (.key | sub(".*/"; "")), rows, row_groups, created_by, schema}] as $got
		| ($want | map({key: .file, value: .}) | from_entries) as $w
		| $got[] | select(. != $w[.file])' <<<"$output")
	[ -z "$diff" ] || { echo "differs from pyarrow: $diff"; false; }
	# The encodings Spark chose, as the test meant them.
	jq -e -s 'map(select(.key | test("/int96/"))) | .[0].schema | map({(.name): .physical}) | add |
		.ts == "INT96" and .dec9 == "INT32" and .dec18 == "INT64" and .dec38 == "FIXED_LEN_BYTE_ARRAY"' <<<"$output"
	jq -e -s 'map(select(.key | test("/micros/"))) | .[0].schema[] | select(.name == "ts") |
		.physical == "INT64" and .logical == "TIMESTAMP" and .unit == "MICROS" and .utc == false' <<<"$output"
}

@test "sequential requests share one connection: a listing of three pages is one TCP connection" {
	"$REPO/.venv/bin/python" "$REPO/tests/gen/s3_fill.py" "$BUCKET" conn/ 2100 "$SAMPLES/physical.parquet"
	start_faultproxy --fail 0
	probes=$(cat "$BATS_TEST_TMPDIR/conns")	# start_faultproxy's own check that it listens
	AWS_ENDPOINT_URL=$proxy_url run_split s3-ls-parquet -F "s3://$BUCKET/conn/"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 2100 ]
	[ "$(cat "$BATS_TEST_TMPDIR/count")" -eq 3 ]
	echo "connections: $(($(cat "$BATS_TEST_TMPDIR/conns") - probes)) for 3 requests"
	[ "$(($(cat "$BATS_TEST_TMPDIR/conns") - probes))" -eq 1 ]
}

@test "a write error is not a success: standard output full exits 74 with one line" {
	run_full s3-ls-parquet -F "s3://$BUCKET/ds/"
	[ "$status" -eq 74 ]
	[ "$stderr" = "s3-ls-parquet: <stdout>: No space left on device" ]
	run_full s3-ls-parquet "s3://$BUCKET/ds/"
	[ "$status" -eq 74 ]
	[ "$stderr" = "s3-ls-parquet: <stdout>: No space left on device" ]
}

@test "a reader that goes away (| head -1) ends the listing quietly, exit 74" {
	run_closed_pipe s3-ls-parquet -F "s3://$BUCKET/ds/"
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
	# 400 lines are more than a pipe holds: the writes after head has gone fail.
	"$REPO/.venv/bin/python" "$REPO/tests/gen/s3_fill.py" "$BUCKET" head/ 400 "$SAMPLES/physical.parquet"
	run --separate-stderr bash -c 's3-ls-parquet -F "$1" | head -1; echo "${PIPESTATUS[*]}" >&2' _ "s3://$BUCKET/head/"
	[ "$(jq -r .key <<<"$output")" = "head/part-00000.parquet" ]
	[ "$stderr" = "74 0" ]
}

@test "-s: a size too large for 64 bits is refused (64), not wrapped" {
	run_split s3-ls-parquet -s 9000000000G-9000000001G "s3://$BUCKET/ds/"
	[ "$status" -eq 64 ]
	[ "$stderr" = "s3-ls-parquet: -s 9000000000G-9000000001G: too large: not a size band such as 100M-250M" ]
	[ "$output" = "" ]
	run_split s3-ls-parquet -s 100M-9999999999999999999 "s3://$BUCKET/ds/"
	[ "$status" -eq 64 ]
	run_split s3-ls-parquet -s 100MB-250MB -F "s3://$BUCKET/ds/"
	[ "$status" -eq 0 ]
}
