#!/usr/bin/env bats
# aws-request against moto with SigV4 checking on.

load helpers

setup_file() {
	stack_up moto
}

@test "IAM: a role created, read back, and its absence reported as exit 66" {
	role=r-$$-$RANDOM
	printf '%s' '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/x"},"Action":"sts:AssumeRole"}]}' >"$BATS_TEST_TMPDIR/trust.json"
	run_split aws-request -s iam -f Action=GetRole -f Version=2010-05-08 -f RoleName=$role /
	[ "$status" -eq 66 ]
	[ "$stderr" = "aws-request: iam GetRole: NoSuchEntity: Role $role not found" ]
	run_split aws-request -s iam -f Action=CreateRole -f Version=2010-05-08 -f RoleName=$role \
		-f AssumeRolePolicyDocument@"$BATS_TEST_TMPDIR/trust.json" /
	[ "$status" -eq 0 ]
	[[ $output == *"<RoleName>$role</RoleName>"* ]]
	run_split aws-request -s iam -f Action=CreateRole -f Version=2010-05-08 -f RoleName=$role \
		-f AssumeRolePolicyDocument@"$BATS_TEST_TMPDIR/trust.json" /
	[ "$status" -eq 73 ]
	run_split aws-request -s iam -f Action=GetRole -f Version=2010-05-08 -f RoleName=$role /
	[ "$status" -eq 0 ]
	[[ $output == *"arn:aws:iam::123456789012:role/$role"* ]]
}

@test "S3: PUT an object with a body and a Content-MD5, GET it back by path" {
	b=ar-$$
	aws-request -s s3 -X PUT /$b >/dev/null
	run_split aws-request -m -s s3 -X PUT -d 'hello, world' "/$b/dir/date%3D2025-11-15/x.txt"
	[ "$status" -eq 0 ]
	run_split aws-request -s s3 "/$b/dir/date%3D2025-11-15/x.txt"
	[ "$status" -eq 0 ]
	[ "$output" = "hello, world" ]
	# A key given raw is sent in the encoding it is signed in.
	run_split aws-request -s s3 -X PUT -d 'raw' "/$b/dir/k=v/a b+c.txt"
	[ "$status" -eq 0 ]
	[ "$(aws-request -s s3 "/$b/dir/k%3Dv/a%20b%2Bc.txt")" = raw ]
	run_split aws-request -s s3 "/$b/nope"
	[ "$status" -eq 66 ]
	[[ $stderr == "aws-request: s3 /$b/nope: NoSuchKey"* ]]
}

@test "STS with wrong credentials: exit 77" {
	AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 AWS_SECRET_ACCESS_KEY=x \
		run_split aws-request -s sts -f Action=GetCallerIdentity -f Version=2011-06-15 /
	[ "$status" -eq 77 ]
	[[ $stderr == "aws-request: sts GetCallerIdentity: "* ]]
}

@test "usage: no service, two bodies" {
	run_split aws-request /
	[ "$status" -eq 64 ]
	run_split aws-request -s iam -f A=b -d x /
	[ "$status" -eq 64 ]
	[ "$stderr" = "aws-request: -f and -d both give the body; use one" ]
}

@test "a bad service, method or header is refused before anything is sent: exit 64, one line" {
	run_split aws-request -s nosuchservice /
	[ "$status" -eq 64 ]
	[ "$stderr" = "aws-request: -s nosuchservice: not a service (s3, iam, sts, sqs)" ]
	b=ar-bad-$$
	for args in "-X|BAD METHOD" "-X|" "-H|NoColon" "-H|Bad Name: x" "-H|: x" "-H|X-A: a"$'\r\n'"X-B: b"; do
		run_split aws-request -s s3 "${args%%|*}" "${args#*|}" -X PUT "/$b"
		[ "$status" -eq 64 ] || { echo "not refused: $args ($status)"; false; }
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
	done
	run_split aws-request -s s3 -X 'BAD METHOD' "/$b"
	[ "$stderr" = "aws-request: -X BAD METHOD: not an HTTP method" ]
	run_split aws-request -s s3 -H NoColon -X PUT "/$b"
	[ "$stderr" = "aws-request: -H NoColon: not name: value" ]
	run_split aws-request -s s3 -H $'X-A: a\r\nX-B: b' -X PUT "/$b"
	[ "$stderr" = "aws-request: -H X-A: a control character (CR, LF, ...) in the value" ]
	# none of them made the bucket; a good header and method do
	run_split aws-request -s s3 "/$b"
	[ "$status" -eq 66 ]
	run_split aws-request -s s3 -H 'X-Amz-Meta-Note: ok' -X PUT "/$b"
	[ "$status" -eq 0 ]
}

@test "a write error is not a success: standard output full exits 74; a reader gone, 74 quietly" {
	b=ar-full-$$
	aws-request -s s3 -X PUT /$b >/dev/null
	aws-request -s s3 -X PUT -d 'hello, world' "/$b/x.txt" >/dev/null
	run_full aws-request -s s3 "/$b/x.txt"
	[ "$status" -eq 74 ]
	[ "$stderr" = "aws-request: <stdout>: No space left on device" ]
	run_closed_pipe aws-request -s s3 "/$b/x.txt"
	[ "$status" -eq 74 ]
	[ -z "$stderr" ]
}
