# helpers.bash: loaded by every bats file. Puts bin/ first on PATH and brings up the stand-ins a
# file needs (tests/run-bats starts them once for the whole suite; a file run alone starts its own).

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export PATH="$REPO/bin:$REPO/.venv/bin:$PATH"
STACK="$REPO/tests/stack/stack"

# stack_up svc…: make sure the services run and export their environment into the test.
stack_up() {
	"$STACK" start "$@" >&2
	eval "$("$STACK" env)"
}

# A bucket name unique to the test file, so files never see each other's objects.
test_bucket() {
	local b
	b=$(basename "$BATS_TEST_FILENAME" .bats | tr -c 'a-z0-9\n' '-')
	echo "t-$b-$$"
}

aws_cli() { "$REPO/.venv/bin/aws" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }

# Run a command, capturing stdout and stderr apart: $output is stdout, $stderr is stderr.
bats_require_minimum_version 1.5.0
run_split() {
	run --separate-stderr "$@"
}
