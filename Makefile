# dbx2sf — build, install, test, and the publishing runbook.
# Knobs for the build live here; knobs for the runbook live in ./config.mk (see share/config.mk).

# Where this Makefile is, before any include: make -f path/to/Makefile works from anywhere.
HERE      := $(dir $(abspath $(firstword $(MAKEFILE_LIST))))
VERSION    = 0.1.0
PREFIX    ?= /usr/local
MANPREFIX ?= $(PREFIX)/share/man
CC        ?= cc
# Packagers' flags go in CFLAGS, CPPFLAGS and LDFLAGS and replace nothing the build needs;
# WERROR=-Werror turns warnings into errors (CI does), off by default so that a newer compiler's
# new warning does not stop a user's build.
CFLAGS    ?= -O2 -g
WERROR    ?=
DBX2SF_CFLAGS = -DVERSION=\"$(VERSION)\" -std=c11 -D_DEFAULT_SOURCE -Isrc/lib -Wall -Wextra $(WERROR)
COMPILE    = $(CC) $(DBX2SF_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LDLIBS     = -lcurl -ljansson -lcrypto -lz -lpthread
SANITIZE   = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

TOOLS   = $(patsubst src/%.c,%,$(wildcard src/*.c))
LIBSRC  = $(wildcard src/lib/*.c)
LIBOBJ  = $(LIBSRC:.c=.o)
LIBHDR  = $(wildcard src/lib/*.h)
UNITSRC = $(wildcard tests/unit/*_test.c)
UNITBIN = $(UNITSRC:tests/unit/%.c=tests/unit/bin/%)
BUILD_PKGS = libcurl4-openssl-dev libjansson-dev libssl-dev zlib1g-dev

all: $(TOOLS:%=bin/%)

# Before the first compile: the libraries' headers are there, or one line says what to install.
HEADERS_FOUND = $(shell printf '\043include <%s>\n' curl/curl.h jansson.h openssl/evp.h zlib.h | \
	$(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo yes)
build-headers:
	$(if $(HEADERS_FOUND),@:,$(error the headers of libcurl, jansson, OpenSSL or zlib are missing; install them: apt-get install $(BUILD_PKGS) (or make deps)))

src/lib/%.o: src/lib/%.c $(LIBHDR) | build-headers
	$(COMPILE) -c -o $@ $<

src/lib/libdbx2sf.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

bin/%: src/%.c src/lib/libdbx2sf.a $(LIBHDR) | build-headers
	@mkdir -p bin
	$(COMPILE) $(LDFLAGS) -o $@ $< src/lib/libdbx2sf.a $(LDLIBS)

# Unit tests run the pure code (parsers, signer) under ASan and UBSan.
tests/unit/bin/%: tests/unit/%.c $(LIBSRC) $(LIBHDR) tests/unit/t.h | build-headers
	@mkdir -p tests/unit/bin
	$(COMPILE) $(SANITIZE) $(LDFLAGS) -Itests/unit -o $@ $< $(LIBSRC) $(LDLIBS)

unit: $(UNITBIN)
	@set -e; for t in $(UNITBIN); do $$t; done

# Installs what the tests need (apt packages when root, the stand-ins' pinned venv, jars).
deps:
	tests/stack/install

# The stand-ins' own tests: they must speak the documented protocols before ours are tested on them.
standins: deps
	$(MAKE) --no-print-directory standins-test
standins-test:
	.venv/bin/python -m pytest -q -p no:cacheprovider tests/stack/snowflake
	.venv/bin/python tests/stack/databricks/smoke.py

# check and demo work on a machine where nothing is installed: deps first, then the build
# (a sub-make, so that no compile starts before the headers are there, even under -j).
check: deps
	$(MAKE) --no-print-directory all unit standins-test
	tests/run-bats

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man7
	for t in $(TOOLS); do install -m 755 bin/$$t $(DESTDIR)$(PREFIX)/bin/; done
	for t in $(TOOLS); do install -m 644 man/man1/$$t.1 $(DESTDIR)$(MANPREFIX)/man1/; done
	install -m 644 man/man7/dbx2sf.7 $(DESTDIR)$(MANPREFIX)/man7/
	mkdir -p $(DESTDIR)$(PREFIX)/share/dbx2sf/sql
	install -m 644 Makefile share/config.mk share/*.jq $(DESTDIR)$(PREFIX)/share/dbx2sf/
	install -m 755 share/dates share/config-check share/iam-apply share/s3-notify share/s3-delete \
		share/prune-runs share/sync $(DESTDIR)$(PREFIX)/share/dbx2sf/
	install -m 644 share/sql/*.sql $(DESTDIR)$(PREFIX)/share/dbx2sf/sql/

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$t $(DESTDIR)$(MANPREFIX)/man1/$$t.1; done
	rm -f $(DESTDIR)$(MANPREFIX)/man7/dbx2sf.7
	rm -rf $(DESTDIR)$(PREFIX)/share/dbx2sf

clean:
	rm -f bin/* src/lib/*.o src/lib/libdbx2sf.a
	rm -rf tests/unit/bin

.PHONY: all build-headers deps unit standins standins-test check install uninstall clean

# ---------------------------------------------------------------------------------------------
# The runbook. Settings come from ./config.mk (annotated example: share/config.mk); credentials
# never do. Each step of a date leaves one file under state/<dataset>/<date>/, written to a
# temporary name and renamed on success, so make knows what is done: a failed step runs again
# from where it failed, a finished date is skipped, and -j runs dates side by side.
#
#   make integration iam stage        once: Snowflake reads the landing zone
#   make backfill DATE=2025-11-15     export, list, table, load, validate one date
#   make backfill FROM=2025-11-01 TO=2025-11-30 -j4
#   make grant | pipe | cleanup CONFIRM=yes
# ---------------------------------------------------------------------------------------------

-include config.mk

# A step's output is written whole or not at all: to a temporary name of its own run (the
# shell's pid, so that a recipe orphaned by a killed make never renames another run's file),
# renamed on success, removed on failure (with the tool's exit status kept). FRESH, a date
# step's first line, makes the directory and sweeps temporaries that killed runs left behind.
# Pipelines fail when any part of them fails.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c
WRITE        = >$@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@ || { s=$$?; rm -f $@.tmp.$$$$; exit $$s; }
FRESH        = @mkdir -p $(@D) && rm -f $@.tmp.*

# Every setting reaches the shell single-quoted: $(call q,$(X)).
q = '$(subst ','\'',$(1))'

# The tools: this tree's when built here, else the installed ones on PATH.
TOOL    = $(if $(wildcard $(HERE)bin/$(1)),$(HERE)bin/$(1),$(1))
SHARE  := $(if $(wildcard $(HERE)share/sql),$(HERE)share,$(patsubst %/,%,$(HERE)))
SF      = $(call TOOL,sf-exec) $(if $(SF_CONNECTION),-c $(call q,$(SF_CONNECTION)))
DBXOPT  = $(if $(DBX_PROFILE),-p $(call q,$(DBX_PROFILE))) $(if $(DBX_WAREHOUSE),-w $(call q,$(DBX_WAREHOUSE)))
DBX     = $(call TOOL,dbx-exec) $(DBXOPT)
STATE   = state/$(DATASET)
ROLE_ARN = arn:aws:iam::$(AWS_ACCOUNT_ID):role/$(AWS_ROLE_NAME)
LANDING_BUCKET = $(word 1,$(subst /, ,$(patsubst s3://%,%,$(LANDING))))
LANDING_PREFIX = $(patsubst $(LANDING_BUCKET)/%,%,$(patsubst s3://%,%,$(LANDING)))

# The dates: DATE=D, or FROM=D TO=D inclusive (share/dates: a bad range stops make, saying why).
ifneq ($(FROM)$(TO),)
DATES := $(shell $(SHARE)/dates $(call q,$(FROM)) $(call q,$(TO)) 2>&1)
$(if $(filter 0,$(.SHELLSTATUS)),,$(error $(DATES)))
else
DATES := $(DATE)
endif

# Before any step: config.mk is here and every setting the goals need is well formed (share/
# config-check names the setting, the value and the rule), so that a bad setting stops make
# before anything is exported, created or written.
CONFIG_VARS = SOURCE_TABLE DATE_COLUMN LANDING DATASET TARGET_FILE_SIZE TARGET_TABLE STAGE \
	INTEGRATION AWS_ROLE_NAME AWS_ACCOUNT_ID DBX_PROFILE DBX_WAREHOUSE SF_CONNECTION \
	READER_ROLE PIPE DATE FROM TO
runbook-config:
	@test -f config.mk || { echo "config.mk: missing here; start from $(SHARE)/config.mk" >&2; exit 78; }
	@GOALS=$(call q,$(MAKECMDGOALS)) $(SHARE)/config-check $(foreach n,$(CONFIG_VARS),$(call q,$(n)=$($(n))))

# 1. The storage integration, and what AWS must trust: Snowflake's IAM user and external id.
integration: state/integration.jsonl
state/integration.jsonl: | runbook-config
	@mkdir -p state
	$(SF) -D integration=$(call q,$(INTEGRATION)) -D role_arn=$(call q,$(ROLE_ARN)) -D landing=$(call q,$(LANDING)) \
		-f $(SHARE)/sql/integration.sql $(WRITE)

# 2. The role Snowflake assumes: trust policy and least-privilege read policy, as JSON; with
#    APPLY=1 also applied through the IAM API.
iam: state/iam-trust.json state/iam-read-policy.json
	$(if $(filter 1,$(APPLY)),$(SHARE)/iam-apply $(call q,$(AWS_ROLE_NAME)) state/iam-trust.json state/iam-read-policy.json,@echo "iam: policies written to state/; make iam APPLY=1 applies them")
state/iam-trust.json: state/integration.jsonl
	jq -s -f $(SHARE)/iam-trust.jq $< $(WRITE)
state/iam-read-policy.json: | runbook-config
	@mkdir -p state
	jq -n --arg bucket $(call q,$(LANDING_BUCKET)) --arg prefix $(call q,$(LANDING_PREFIX)/$(DATASET)) \
		-f $(SHARE)/iam-read-policy.jq $(WRITE)

# 3. The stage over the dataset's part of the landing zone.
stage: state/$(DATASET)/stage.done
state/$(DATASET)/stage.done: state/integration.jsonl
	@mkdir -p $(STATE)
	$(SF) -D stage=$(call q,$(STAGE)) -D integration=$(call q,$(INTEGRATION)) -D landing=$(call q,$(LANDING)) \
		-D dataset=$(call q,$(DATASET)) -f $(SHARE)/sql/stage.sql >/dev/null && touch $@

# 4. Per date: export from Databricks to a fresh run directory, list the files and footers.
export: $(foreach d,$(DATES),$(STATE)/$(d)/export.json) | runbook-config
$(STATE)/%/export.json: | runbook-config
	$(FRESH)
	$(call TOOL,dbx-export) $(DBXOPT) -s $(call q,$(TARGET_FILE_SIZE)) -k $(call q,$(DATASET)) \
		-t $(call q,$(SOURCE_TABLE)) -c $(call q,$(DATE_COLUMN)) -d $(call q,$*) -o $(call q,$(LANDING)) $(WRITE)
$(STATE)/%/files.jsonl: $(STATE)/%/export.json
	$(FRESH)
	$(call TOOL,s3-ls-parquet) "$$(jq -r .location $<)" $(WRITE)

# 5. The target table, from the Parquet schema of a date's files (the first listed date's, or
#    any date already listed). Made once: a later date's files never remake it, and no load
#    waits on its timestamp (order-only), so a matched date is never loaded again because of it.
SCHEMA_FILES = $(or $(firstword $(wildcard $(STATE)/*/files.jsonl)),$(STATE)/$(firstword $(DATES))/files.jsonl)
table: state/$(DATASET)/table.done
state/$(DATASET)/table.done: | $(SCHEMA_FILES)
	$(call TOOL,sf-copy) -d -i -p $(call q,$(DATE_COLUMN)) -k date -t $(call q,$(TARGET_TABLE)) $(SCHEMA_FILES) | \
		$(SF) -f - >/dev/null && touch $@

# 6. Per date: load exactly those files, atomically (DELETE + COPY in one transaction).
load: $(foreach d,$(DATES),$(STATE)/$(d)/load.jsonl) | runbook-config
$(STATE)/%/load.jsonl: $(STATE)/%/files.jsonl | $(STATE)/table.done $(STATE)/stage.done
	$(FRESH)
	$(call TOOL,sf-copy) $(if $(SF_CONNECTION),-c $(call q,$(SF_CONNECTION))) -p $(call q,$(DATE_COLUMN)) -k date \
		-s $(call q,$(STAGE)=$(LANDING)/$(DATASET)/) -t $(call q,$(TARGET_TABLE)) $< $(WRITE)

# 7. Per date: profiles of source and target, compared with the footers. parity.jsonl exists
#    only when every metric matched: it is the proof that the date is done.
validate: $(foreach d,$(DATES),$(STATE)/$(d)/parity.jsonl) | runbook-config
#    The source is read at the Delta version the date was exported from (export.json .version;
#    none for a source that cannot time-travel), so that source, files and target are one snapshot.
$(STATE)/%/source.jsonl: $(STATE)/%/files.jsonl
	$(FRESH)
	v=$$(jq -r '.version // empty' $(@D)/export.json) && \
	$(call TOOL,parity-check) -s spark -t $(call q,$(SOURCE_TABLE)) -p $(call q,$(DATE_COLUMN)) $${v:+-V "$$v"} -d $(call q,$*) $< | \
		$(DBX) -f - $(WRITE)
$(STATE)/%/target.jsonl: $(STATE)/%/load.jsonl
	$(FRESH)
	$(call TOOL,parity-check) -s snowflake -t $(call q,$(TARGET_TABLE)) -p $(call q,$(DATE_COLUMN)) -d $(call q,$*) \
		$(@D)/files.jsonl | $(SF) -f - $(WRITE)
$(STATE)/%/parity.jsonl: $(STATE)/%/source.jsonl $(STATE)/%/target.jsonl $(STATE)/%/files.jsonl
	$(FRESH)
	$(call TOOL,parity-check) -p date $^ >$@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@ || \
		{ s=$$?; mv -f $@.tmp.$$$$ $(@D)/parity-failed.jsonl; cat $(@D)/parity-failed.jsonl >&2; exit $$s; }

backfill: validate | runbook-config
	@cat $(foreach d,$(DATES),$(STATE)/$(d)/parity.jsonl) | jq -r '[.partition, .status] | @tsv'

# Publish again exactly the published dates whose source changed (share/sync says how it finds
# them, one line a date); never-published dates are left to backfill. make -n sync: the plan only.
sync: | runbook-config
	+@$(if $(wildcard $(HERE)bin/dbx-exec),PATH=$(call q,$(HERE)bin):"$$PATH") $(SHARE)/sync \
		$(if $(findstring n,$(firstword -$(MAKEFLAGS))),-n) $(DBXOPT) -s $(call q,$(STATE)) -t $(call q,$(SOURCE_TABLE)) \
		-c $(call q,$(DATE_COLUMN)) -m $(call q,$(abspath $(firstword $(MAKEFILE_LIST)))) $(DATES)

# Forget a date's state, so that the next backfill exports it afresh (a new run directory).
forget: | runbook-config
	rm -rf $(foreach d,$(DATES),$(STATE)/$(d))

# 8. Read access for the consumers.
grant: | runbook-config
	$(SF) -D database=$(call q,$(word 1,$(subst ., ,$(TARGET_TABLE)))) -D schema=$(call q,$(word 2,$(subst ., ,$(TARGET_TABLE)))) \
		-D table=$(call q,$(TARGET_TABLE)) -D role=$(call q,$(READER_ROLE)) -f $(SHARE)/sql/grant.sql >/dev/null

# 9. Optional continuous sync: a Snowpipe over the stage, fed by the bucket's object-created
#    events. Its COPY takes the date from each file's path; the per-date loads stay the proof.
pipe: state/$(DATASET)/pipe.jsonl
state/$(DATASET)/pipe.jsonl: state/$(DATASET)/table.done state/$(DATASET)/stage.done | runbook-config
	$(call TOOL,sf-copy) -P $(call q,$(PIPE)) -p $(call q,$(DATE_COLUMN)) -k date -s $(call q,$(STAGE)=$(LANDING)/$(DATASET)/) \
		-t $(call q,$(TARGET_TABLE)) $(SCHEMA_FILES) | $(SF) -f - >/dev/null
	$(SF) -D pipe=$(call q,$(PIPE)) "DESC PIPE <% pipe %>" $(WRITE)
	$(SHARE)/s3-notify $(call q,$(LANDING_BUCKET)) "$$(jq -r .notification_channel $@)" \
		$(call q,$(LANDING_PREFIX)/$(DATASET)/) $(call q,dbx2sf-$(DATASET)) || { s=$$?; rm -f $@; exit $$s; }

# 10. Cleanup: drop the pipe (and its bucket notification), the stage and the integration, and
#     delete the landed objects of the dates whose parity matched. Only with CONFIRM=yes;
#     without it, say what would go. The target table stays: it is what was published.
#     prune deletes only the superseded run directories of matched dates (those other than the
#     one each date was proven from), under the same CONFIRM rule.
MATCHED = $(patsubst %/parity.jsonl,%,$(wildcard $(STATE)/*/parity.jsonl))
DATASET_URL = $(call q,$(LANDING)/$(DATASET))
cleanup: | runbook-config
ifeq ($(CONFIRM),yes)
	-$(SHARE)/s3-notify -d $(call q,$(LANDING_BUCKET)) $(call q,dbx2sf-$(DATASET))
	$(SF) -D pipe=$(call q,$(PIPE)) -D stage=$(call q,$(STAGE)) -D integration=$(call q,$(INTEGRATION)) \
		-f $(SHARE)/sql/cleanup.sql >/dev/null
	@for d in $(MATCHED); do \
		$(SHARE)/prune-runs -l cleanup -a -y $(DATASET_URL) $$d && touch $$d/cleaned || exit 1; \
	done
	rm -f state/integration.jsonl $(STATE)/stage.done $(STATE)/pipe.jsonl
else
	@echo "cleanup: would drop pipe $(PIPE), stage $(STAGE), integration $(INTEGRATION)"
	@$(SHARE)/prune-runs -l cleanup -a $(DATASET_URL) $(MATCHED) 2>&1
	@echo "cleanup: nothing done; make cleanup CONFIRM=yes does it"
endif

prune: | runbook-config
	@$(SHARE)/prune-runs $(if $(filter yes,$(CONFIRM)),-y) $(DATASET_URL) $(MATCHED)
	$(if $(filter yes,$(CONFIRM)),,@echo "prune: nothing done; make prune CONFIRM=yes does it" >&2)

# The whole runbook on the local stack: stand-ins started, a sample Delta table of three dates
# seeded, integration to validate run, the parity table printed, the stand-ins stopped.
demo: deps
	$(MAKE) --no-print-directory all
	$(SHARE)/demo

.PHONY: runbook-config integration iam stage export table load validate backfill forget grant
.PHONY: pipe cleanup prune demo sync
.SECONDARY:

