#!/usr/bin/env bats
# The build as a newcomer and a packager meet it: missing headers named in one line, packagers'
# flags added to what the build needs rather than replacing it.

load helpers

@test "make without the libraries' headers says in one line what to install" {
	run make -s -C "$REPO" build-headers CC="cc -nostdinc"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"headers of libcurl, jansson, OpenSSL or zlib are missing"* ]]
	[[ $output == *"apt-get install libcurl4-openssl-dev libjansson-dev libssl-dev zlib1g-dev"* ]]
}

@test "make with the headers present passes the header check silently" {
	run make -s -C "$REPO" build-headers
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "make CFLAGS=-O0 keeps the flags the build needs (VERSION, include path)" {
	local tree="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$tree"
	cp -r "$REPO/Makefile" "$REPO/src" "$tree/"
	rm -f "$tree"/src/lib/*.o "$tree"/src/lib/*.a
	run make -s -j2 -C "$tree" CFLAGS=-O0 bin/sf-exec
	[ "$status" -eq 0 ]
	# The user agent carries -DVERSION: the required flags survived the packager's CFLAGS.
	grep -q "dbx2sf/[0-9]" "$tree/bin/sf-exec"
}
