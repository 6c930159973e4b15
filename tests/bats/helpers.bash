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

# Standard output that fails, for the tests of write errors. run_full: standard output is
# /dev/full (every write fails with ENOSPC). run_closed_pipe: standard output is a pipe whose
# reader has gone, as in "cmd | head -1" once head has exited, with SIGPIPE at its default (as
# a shell leaves it): every write fails with EPIPE. Both set $status, $output (stdout: nothing
# can reach it) and $stderr as run_split does.
run_full() {
	run --separate-stderr sh -c '"$@" >/dev/full' sh "$@"
}
run_closed_pipe() {
	run --separate-stderr "$REPO/.venv/bin/python" -c 'import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
r, w = os.pipe(); os.close(r); os.dup2(w, 1); os.close(w)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# The runbook on the local stack, for the files that publish a Delta table end to end.
# seed_trips ARG…: seed_trips.py's statements (--print-sql ARG…) run through the Databricks
# stand-in's API, one at a time, as a user would send them.
seed_trips() {
	"$REPO/.venv/bin/python" "$REPO/tests/stack/databricks/seed_trips.py" --print-sql "$@" |
		jq -r '.statement | @base64' | while read -r s; do
			printf '%s' "$s" | base64 -d | dbx-exec -f - >/dev/null || exit
		done
}

# write_config DIR NAME=VALUE…: DIR/config.mk with those settings, after the ones every test
# shares (a later line wins in make): a small file size, so that a date lands as several files,
# and an AWS role that the IAM stand-in accepts.
write_config() {
	local dir=$1 a
	shift
	mkdir -p "$dir"
	{
		printf '%-16s = %s\n' TARGET_FILE_SIZE 32K AWS_ROLE_NAME t-snowflake-read AWS_ACCOUNT_ID 123456789012
		for a in "$@"; do
			printf '%-16s = %s\n' "${a%%=*}" "${a#*=}"
		done
	} >"$dir/config.mk"
}
