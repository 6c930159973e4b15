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
	install -m 755 share/dates share/iam-apply share/s3-notify share/s3-delete $(DESTDIR)$(PREFIX)/share/dbx2sf/
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

# A step's output is written whole or not at all: to $@.tmp, renamed on success, removed on
# failure (with the tool's exit status kept). Pipelines fail when any part of them fails.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c
WRITE        = >$@.tmp && mv $@.tmp $@ || { s=$$?; rm -f $@.tmp; exit $$s; }

# The tools: this tree's when built here, else the installed ones on PATH.
TOOL    = $(if $(wildcard $(HERE)bin/$(1)),$(HERE)bin/$(1),$(1))
SHARE  := $(if $(wildcard $(HERE)share/sql),$(HERE)share,$(patsubst %/,%,$(HERE)))
SF      = $(call TOOL,sf-exec) $(if $(SF_CONNECTION),-c $(SF_CONNECTION))
DBX     = $(call TOOL,dbx-exec) $(if $(DBX_PROFILE),-p $(DBX_PROFILE)) $(if $(DBX_WAREHOUSE),-w $(DBX_WAREHOUSE))
STATE   = state/$(DATASET)
ROLE_ARN = arn:aws:iam::$(AWS_ACCOUNT_ID):role/$(AWS_ROLE_NAME)
LANDING_BUCKET = $(word 1,$(subst /, ,$(patsubst s3://%,%,$(LANDING))))
LANDING_PREFIX = $(patsubst $(LANDING_BUCKET)/%,%,$(patsubst s3://%,%,$(LANDING)))

# The dates: DATE=D, or FROM=D TO=D inclusive (checked by date(1): a bad date stops make).
DATES = $(if $(DATE),$(DATE),$(if $(FROM),$(shell $(SHARE)/dates $(FROM) $(TO))))
$(if $(FROM),$(if $(DATES),,$(error FROM=$(FROM) TO=$(TO): not a date range of YYYY-MM-DD)))

runbook-config:
	@test -f config.mk || { echo "config.mk: missing here; start from $(SHARE)/config.mk" >&2; exit 78; }

# 1. The storage integration, and what AWS must trust: Snowflake's IAM user and external id.
integration: state/integration.jsonl
state/integration.jsonl: | runbook-config
	@mkdir -p state
	$(SF) -D integration=$(INTEGRATION) -D role_arn=$(ROLE_ARN) -D landing=$(LANDING) \
		-f $(SHARE)/sql/integration.sql $(WRITE)

# 2. The role Snowflake assumes: trust policy and least-privilege read policy, as JSON; with
#    APPLY=1 also applied through the IAM API.
iam: state/iam-trust.json state/iam-read-policy.json
	$(if $(filter 1,$(APPLY)),$(SHARE)/iam-apply $(AWS_ROLE_NAME) state/iam-trust.json state/iam-read-policy.json,@echo "iam: policies written to state/; make iam APPLY=1 applies them")
state/iam-trust.json: state/integration.jsonl
	jq -s -f $(SHARE)/iam-trust.jq $< $(WRITE)
state/iam-read-policy.json: | runbook-config
	@mkdir -p state
	jq -n --arg bucket $(LANDING_BUCKET) --arg prefix $(LANDING_PREFIX)/$(DATASET) \
		-f $(SHARE)/iam-read-policy.jq $(WRITE)

# 3. The stage over the dataset's part of the landing zone.
stage: state/$(DATASET)/stage.done
state/$(DATASET)/stage.done: state/integration.jsonl
	@mkdir -p $(STATE)
	$(SF) -D stage=$(STAGE) -D integration=$(INTEGRATION) -D landing=$(LANDING) -D dataset=$(DATASET) \
		-f $(SHARE)/sql/stage.sql >/dev/null && touch $@

# 4. Per date: export from Databricks to a fresh run directory, list the files and footers.
export: $(foreach d,$(DATES),$(STATE)/$(d)/export.json)
$(STATE)/%/export.json: | runbook-config
	@mkdir -p $(@D)
	$(call TOOL,dbx-export) $(if $(DBX_PROFILE),-p $(DBX_PROFILE)) $(if $(DBX_WAREHOUSE),-w $(DBX_WAREHOUSE)) \
		-s $(TARGET_FILE_SIZE) -k $(DATASET) -t $(SOURCE_TABLE) -c $(DATE_COLUMN) -d $* \
		-o $(LANDING) $(WRITE)
$(STATE)/%/files.jsonl: $(STATE)/%/export.json
	$(call TOOL,s3-ls-parquet) "$$(jq -r .location $<)" $(WRITE)

# 5. The target table, from the Parquet schema of a date's files (the first listed date's, or
#    any date already listed).
SCHEMA_FILES = $(or $(firstword $(wildcard $(STATE)/*/files.jsonl)),$(STATE)/$(firstword $(DATES))/files.jsonl)
table: state/$(DATASET)/table.done
state/$(DATASET)/table.done: $(SCHEMA_FILES)
	$(call TOOL,sf-copy) -d -i -p $(DATE_COLUMN) -k date -t $(TARGET_TABLE) $< | $(SF) -f - >/dev/null && touch $@

# 6. Per date: load exactly those files, atomically (DELETE + COPY in one transaction).
load: $(foreach d,$(DATES),$(STATE)/$(d)/load.jsonl)
$(STATE)/%/load.jsonl: $(STATE)/%/files.jsonl $(STATE)/table.done $(STATE)/stage.done
	$(call TOOL,sf-copy) $(if $(SF_CONNECTION),-c $(SF_CONNECTION)) -p $(DATE_COLUMN) -k date \
		-s "$(STAGE)=$(LANDING)/$(DATASET)/" -t $(TARGET_TABLE) $< $(WRITE)

# 7. Per date: profiles of source and target, compared with the footers. parity.jsonl exists
#    only when every metric matched: it is the proof that the date is done.
validate: $(foreach d,$(DATES),$(STATE)/$(d)/parity.jsonl)
$(STATE)/%/source.jsonl: $(STATE)/%/files.jsonl
	$(call TOOL,parity-check) -s spark -t $(SOURCE_TABLE) -p $(DATE_COLUMN) -d $* $< | $(DBX) -f - $(WRITE)
$(STATE)/%/target.jsonl: $(STATE)/%/load.jsonl
	$(call TOOL,parity-check) -s snowflake -t $(TARGET_TABLE) -p $(DATE_COLUMN) -d $* $(@D)/files.jsonl | $(SF) -f - $(WRITE)
$(STATE)/%/parity.jsonl: $(STATE)/%/source.jsonl $(STATE)/%/target.jsonl $(STATE)/%/files.jsonl
	$(call TOOL,parity-check) -p date $^ >$@.tmp && mv $@.tmp $@ || \
		{ s=$$?; mv $@.tmp $(@D)/parity-failed.jsonl; cat $(@D)/parity-failed.jsonl >&2; exit $$s; }

backfill: validate
	@cat $(foreach d,$(DATES),$(STATE)/$(d)/parity.jsonl) | jq -r '[.partition, .status] | @tsv'

# Forget a date's state, so that the next backfill exports it afresh (a new run directory).
forget:
	rm -rf $(foreach d,$(DATES),$(STATE)/$(d))

# 8. Read access for the consumers.
grant: | runbook-config
	$(SF) -D database=$(word 1,$(subst ., ,$(TARGET_TABLE))) -D schema=$(word 2,$(subst ., ,$(TARGET_TABLE))) \
		-D table=$(TARGET_TABLE) -D role=$(READER_ROLE) -f $(SHARE)/sql/grant.sql >/dev/null

# 9. Optional continuous sync: a Snowpipe over the stage, fed by the bucket's object-created
#    events. Its COPY takes the date from each file's path; the per-date loads stay the proof.
pipe: state/$(DATASET)/pipe.jsonl
state/$(DATASET)/pipe.jsonl: state/$(DATASET)/table.done state/$(DATASET)/stage.done
	$(call TOOL,sf-copy) -P $(PIPE) -p $(DATE_COLUMN) -k date -s "$(STAGE)=$(LANDING)/$(DATASET)/" -t $(TARGET_TABLE) \
		$(SCHEMA_FILES) | $(SF) -f - >/dev/null
	$(SF) "DESC PIPE $(PIPE)" $(WRITE)
	$(SHARE)/s3-notify $(LANDING_BUCKET) "$$(jq -r .notification_channel $@)" \
		$(LANDING_PREFIX)/$(DATASET)/ dbx2sf-$(DATASET) || { s=$$?; rm -f $@; exit $$s; }

# 10. Cleanup: drop the pipe (and its bucket notification), the stage and the integration, and
#     delete the landed objects of the dates whose parity matched. Only with CONFIRM=yes;
#     without it, say what would go. The target table stays: it is what was published.
MATCHED = $(patsubst $(STATE)/%/parity.jsonl,%,$(wildcard $(STATE)/*/parity.jsonl))
cleanup: | runbook-config
ifeq ($(CONFIRM),yes)
	-$(SHARE)/s3-notify -d $(LANDING_BUCKET) dbx2sf-$(DATASET)
	$(SF) -D pipe=$(PIPE) -D stage=$(STAGE) -D integration=$(INTEGRATION) -f $(SHARE)/sql/cleanup.sql >/dev/null
	@for d in $(MATCHED); do \
		jq -e -s 'length > 0 and all(.status == "match")' $(STATE)/$$d/parity.jsonl >/dev/null || continue; \
		echo "cleanup: deleting $(LANDING)/$(DATASET)/date=$$d/" >&2; \
		$(call TOOL,s3-ls-parquet) -a $(LANDING)/$(DATASET)/date=$$d/ | $(SHARE)/s3-delete || exit 1; \
		touch $(STATE)/$$d/cleaned; \
	done
	rm -f state/integration.jsonl $(STATE)/stage.done $(STATE)/pipe.jsonl
else
	@echo "cleanup: would drop pipe $(PIPE), stage $(STAGE), integration $(INTEGRATION)"
	@for d in $(MATCHED); do \
		jq -e -s 'length > 0 and all(.status == "match")' $(STATE)/$$d/parity.jsonl >/dev/null && \
		echo "cleanup: would delete $(LANDING)/$(DATASET)/date=$$d/"; \
	done; true
	@echo "cleanup: nothing done; make cleanup CONFIRM=yes does it"
endif

# The whole runbook on the local stack: stand-ins started, a sample Delta table of three dates
# seeded, integration to validate run, the parity table printed, the stand-ins stopped.
demo: deps
	$(MAKE) --no-print-directory all
	$(SHARE)/demo

.PHONY: runbook-config integration iam stage export table load validate backfill forget grant
.PHONY: pipe cleanup demo
.SECONDARY:

