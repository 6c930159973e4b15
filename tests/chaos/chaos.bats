#!/usr/bin/env bats
# Chaos: a range backfill of the Makefile runbook killed with SIGKILL at random moments, each
# kill followed by the same command, until a run finishes. Most kills take make's whole process
# group (make and the recipes it runs); some take make alone, orphaning its recipes, which run
# on beside the next make. At the end every date must match, hold its rows exactly once, leave
# no temporary file, and its state must agree with the target. When every date is done before
# the kills are, a random date is forgotten (make forget) so that it is exported and loaded again.
#
# CHAOS_SEED=N replays a run's choices (printed first); CHAOS_KILLS (default 10) and
# CHAOS_DATES (default 3) size it.

load ../bats/helpers

FROM=2025-09-01

setup_file() {
	stack_up moto snowflake databricks
	export WORK="$BATS_FILE_TMPDIR/work" BUCKET=$(test_bucket)
	export CH_DATES=${CHAOS_DATES:-3}
	export LAST=$(date -u -d "$FROM + $((CH_DATES - 1)) days" +%F)
	mkdir -p "$WORK"
	seed_trips --table main.default.chtrips --start $FROM --dates "$CH_DATES" --rows-per-date 2000 --seed 11 --files-per-date 2
	aws-request -s s3 -X PUT "/$BUCKET" >/dev/null
	sf-exec "CREATE DATABASE IF NOT EXISTS CH" >/dev/null
	sf-exec "DROP STORAGE INTEGRATION IF EXISTS CH_S3" >/dev/null  # a stack used before: this bucket
	cat >"$WORK/config.mk" <<-CFG
		SOURCE_TABLE     = main.default.chtrips
		DATE_COLUMN      = trip_date
		LANDING          = s3://$BUCKET/landing
		DATASET          = trips
		TARGET_FILE_SIZE = 16K
		TARGET_TABLE     = CH.PUBLIC.TRIPS
		STAGE            = CH.PUBLIC.LAND
		INTEGRATION      = CH_S3
		READER_ROLE      = ANALYST
		PIPE             = CH.PUBLIC.TRIPS_PIPE
		AWS_ROLE_NAME    = ch-snowflake-read
		AWS_ACCOUNT_ID   = 123456789012
	CFG
	make -C "$WORK" -f "$REPO/Makefile" --no-print-directory integration iam APPLY=1 stage >/dev/null
}

teardown_file() {
	sf-exec "DROP DATABASE IF EXISTS CH" >/dev/null 2>&1 || true
	sf-exec "DROP STORAGE INTEGRATION IF EXISTS CH_S3" >/dev/null 2>&1 || true
}

# The tools of each step, as pgrep patterns (validate: the source and target profiles and the
# comparison).
STEP_TOOLS=(dbx-export s3-ls-parquet sf-copy 'parity-check|dbx-exec|sf-exec')
STEP_NAMES=(export list load validate)

# The process groups of runs killed so far, to wait for their orphans at the end.
GROUPS_FILE() { echo "$BATS_FILE_TMPDIR/groups"; }

# Start the backfill in a process group of its own; sets PGID (= make's pid).
start_backfill() {
	setsid make -C "$WORK" -f "$REPO/Makefile" --no-print-directory -j2 backfill FROM=$FROM TO=$LAST \
		>>"$BATS_FILE_TMPDIR/make.log" 2>&1 &
	PGID=$!
	echo "$PGID" >>"$(GROUPS_FILE)"
}

# Is a tool of step $1 (index) running in group $2?
step_running() {
	local t
	for t in ${STEP_TOOLS[$1]//|/ }; do pgrep -g "$2" -x "$t" >/dev/null && return 0; done
	return 1
}

group_alive() { pgrep -g "$1" >/dev/null; }

# Has step $1 (index) work left: a date without the step's state file?
STEP_FILES=(export.json files.jsonl load.jsonl parity.jsonl)
pending() {
	local d
	for ((d = 0; d < CH_DATES; d++)); do
		[ -e "$WORK/state/trips/$(date -u -d "$FROM + $d days" +%F)/${STEP_FILES[$1]}" ] || return 0
	done
	return 1
}

@test "a range backfill killed ten times at random moments, re-run each time: every date once, matched" {
	local seed=${CHAOS_SEED:-$(( $(date +%s) % 100000 ))} kills=${CHAOS_KILLS:-10}
	echo "# chaos: CHAOS_SEED=$seed CHAOS_KILLS=$kills CHAOS_DATES=$CH_DATES (replay with these)" >&3
	RANDOM=$seed
	local i want k t hit how tally=() alone=0 d
	: >"$(GROUPS_FILE)"
	for ((i = 0; i < kills; i++)); do
		start_backfill
		# The step to kill in: the next in turn that has work left (a date without its state
		# file), waited for; then a random delay into it (0-1.5 s). Kills 4 and 8 take make
		# alone, orphaning its recipes; the others make's whole process group.
		want=
		if ! pending 0 && ! pending 1 && ! pending 2 && ! pending 3; then
			# all done: forget a date, so that it is exported and loaded again (a redo)
			d=$(date -u -d "$FROM + $((RANDOM % CH_DATES)) days" +%F)
			kill -KILL -- "-$PGID" 2>/dev/null; wait "$PGID" 2>/dev/null
			make -C "$WORK" -f "$REPO/Makefile" --no-print-directory forget DATE=$d >/dev/null
			echo "# chaos: all dates done; forgot $d" >&3
			start_backfill
		fi
		for k in 0 1 2 3; do
			t=$(((i + k) % 4))
			pending "$t" && { want=$t; break; }
		done
		how=group
		((i % 4 == 3)) && how=make
		hit=
		for ((t = 0; t < 3000; t++)); do
			[[ -n $want ]] && group_alive "$PGID" || break
			step_running "$want" "$PGID" && { hit=$want; break; }
			sleep 0.1
		done
		if [[ -z $hit ]]; then
			echo "# chaos: run $((i + 1)) ended before a kill (nothing left to interrupt)" >&3
			wait "$PGID" || true
			break
		fi
		k=$((RANDOM % 16))
		sleep "$((k / 10)).$((k % 10))"
		local at=
		for k in 0 1 2 3; do step_running "$k" "$PGID" && at+=" ${STEP_NAMES[$k]}"; done
		if [[ $how == make ]]; then
			kill -KILL "$PGID" 2>/dev/null || true
			alone=$((alone + 1))
		else
			kill -KILL -- "-$PGID" 2>/dev/null || true
		fi
		wait "$PGID" 2>/dev/null || true
		tally[$hit]=$((${tally[$hit]:-0} + 1))
		echo "# chaos: kill $((i + 1)) in ${STEP_NAMES[$hit]} ($how; running then:${at:- none})" >&3
	done
	echo "# chaos: kills in export ${tally[0]:-0}, list ${tally[1]:-0}, load ${tally[2]:-0}, validate ${tally[3]:-0}; make alone $alone" >&3
	# The same command once more, to its end; then once more after every orphan has ended (an
	# orphaned recipe that finished late may leave a newer state file behind it).
	run_split make -C "$WORK" -f "$REPO/Makefile" --no-print-directory -j2 backfill FROM=$FROM TO=$LAST
	echo "# chaos: final run: status $status" >&3
	for g in $(cat "$(GROUPS_FILE)"); do
		for ((t = 0; t < 600; t++)); do group_alive "$g" || break; sleep 0.1; done
		! group_alive "$g"
	done
	run_split make -C "$WORK" -f "$REPO/Makefile" --no-print-directory -j2 backfill FROM=$FROM TO=$LAST
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(printf '%s\n' "$output" | grep -c 'match$')" -eq "$CH_DATES" ]

	cd "$WORK"
	# No temporary file left anywhere under state/.
	[ -z "$(find state -name '*.tmp*')" ] || { find state -name '*.tmp*'; false; }
	# Source and target per date: rows, distinct trip ids (no duplicate, none missing).
	dbx-exec "SELECT CAST(trip_date AS STRING) AS d, COUNT(*) AS n, COUNT(DISTINCT trip_id) AS u
	    FROM main.default.chtrips GROUP BY 1 ORDER BY 1" | jq -c '[.d, .n, .u]' >"$BATS_FILE_TMPDIR/src"
	sf-exec 'SELECT "trip_date"::VARCHAR AS "d", COUNT(*) AS "n", COUNT(DISTINCT "trip_id") AS "u"
	    FROM CH.PUBLIC.TRIPS GROUP BY 1 ORDER BY 1' | jq -c '[.d, .n, .u]' >"$BATS_FILE_TMPDIR/dst"
	diff "$BATS_FILE_TMPDIR/src" "$BATS_FILE_TMPDIR/dst"
	[ "$(wc -l <"$BATS_FILE_TMPDIR/src")" -eq "$CH_DATES" ]
	[ -z "$(jq -c 'select(.[1] != .[2])' "$BATS_FILE_TMPDIR/src")" ]
	# The state agrees with the target: each date's parity matched; its files are those of the
	# run its export.json names; its load loaded exactly those files, every one LOADED, and
	# their rows are the rows the target holds for the date.
	while read -r row; do
		d=$(jq -r '.[0]' <<<"$row")
		jq -e -s 'length == 1 and .[0].status == "match"' "state/trips/$d/parity.jsonl"
		loc=$(jq -r .location "state/trips/$d/export.json")
		jq -e -s --arg loc "$loc" 'all(.url | startswith($loc))' "state/trips/$d/files.jsonl"
		[ "$(jq -r .url "state/trips/$d/files.jsonl" | sort)" = "$(jq -r .file "state/trips/$d/load.jsonl" | sort)" ]
		jq -e -s 'all(.status == "LOADED")' "state/trips/$d/load.jsonl"
		[ "$(jq -s 'map(.rows) | add' "state/trips/$d/files.jsonl")" = "$(jq '.[1]' <<<"$row")" ]
		[ "$(jq -s 'map(.rows_loaded | tonumber) | add' "state/trips/$d/load.jsonl")" = "$(jq '.[1]' <<<"$row")" ]
	done <"$BATS_FILE_TMPDIR/dst"
}
