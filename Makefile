# dbx2sf — build, install, test, and the publishing runbook.
# Knobs for the build live here; knobs for the runbook live in ./config.mk (see share/config.mk).

VERSION    = 0.1.0
PREFIX    ?= /usr/local
MANPREFIX ?= $(PREFIX)/share/man
CC        ?= cc
CFLAGS    ?= -O2 -g
CFLAGS    += -DVERSION=\"$(VERSION)\" -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Isrc/lib
LDLIBS     = -lcurl -ljansson -lcrypto -lz -lpthread
SANITIZE   = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

TOOLS   = $(patsubst src/%.c,%,$(wildcard src/*.c))
LIBSRC  = $(wildcard src/lib/*.c)
LIBOBJ  = $(LIBSRC:.c=.o)
LIBHDR  = $(wildcard src/lib/*.h)
UNITSRC = $(wildcard tests/unit/*_test.c)
UNITBIN = $(UNITSRC:tests/unit/%.c=tests/unit/bin/%)

all: $(TOOLS:%=bin/%)

src/lib/%.o: src/lib/%.c $(LIBHDR)
	$(CC) $(CFLAGS) -c -o $@ $<

src/lib/libdbx2sf.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

bin/%: src/%.c src/lib/libdbx2sf.a $(LIBHDR)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $< src/lib/libdbx2sf.a $(LDLIBS)

# Unit tests run the pure code (parsers, signer) under ASan and UBSan.
tests/unit/bin/%: tests/unit/%.c $(LIBSRC) $(LIBHDR) tests/unit/t.h
	@mkdir -p tests/unit/bin
	$(CC) $(CFLAGS) $(SANITIZE) -Itests/unit -o $@ $< $(LIBSRC) $(LDLIBS)

unit: $(UNITBIN)
	@set -e; for t in $(UNITBIN); do $$t; done

# Installs what the tests need (apt packages when root, the stand-ins' pinned venv, jars).
deps:
	tests/stack/install

check: deps all unit
	tests/run-bats

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man7
	for t in $(TOOLS); do install -m 755 bin/$$t $(DESTDIR)$(PREFIX)/bin/; done
	for t in $(TOOLS); do install -m 644 man/man1/$$t.1 $(DESTDIR)$(MANPREFIX)/man1/; done

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$t $(DESTDIR)$(MANPREFIX)/man1/$$t.1; done

clean:
	rm -f bin/* src/lib/*.o src/lib/libdbx2sf.a
	rm -rf tests/unit/bin

.PHONY: all deps unit check install uninstall clean
