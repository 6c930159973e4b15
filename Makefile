# dbx2sf — build, install, test, and the publishing runbook.
# Knobs for the build live here; knobs for the runbook live in ./config.mk (see share/config.mk).

# Where this Makefile is, before any include: make -f path/to/Makefile works from anywhere.
HERE      := $(dir $(abspath $(firstword $(MAKEFILE_LIST))))
SELF      := $(abspath $(firstword $(MAKEFILE_LIST)))
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
		share/prune-runs share/step share/status share/doctor share/sync $(DESTDIR)$(PREFIX)/share/dbx2sf/
	install -m 644 share/sql/*.sql $(DESTDIR)$(PREFIX)/share/dbx2sf/sql/

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$t $(DESTDIR)$(MANPREFIX)/man1/$$t.1; done
	rm -f $(DESTDIR)$(MANPREFIX)/man7/dbx2sf.7
	rm -rf $(DESTDIR)$(PREFIX)/share/dbx2sf

clean:
	rm -f bin/* src/lib/*.o src/lib/libdbx2sf.a
	rm -rf tests/unit/bin

# Chaos (not in check, ~10 min): a range backfill killed at random moments, re-run each time;
# CHAOS_SEED=N replays a run's choices.
chaos: deps
	$(MAKE) --no-print-directory all
	tests/run-bats tests/chaos/chaos.bats

.PHONY: all build-headers deps unit standins standins-test check chaos install uninstall clean

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
#   make status | doctor              where each date is; whether everything needed is there
#
# Many tables: one file per published table, tables/<name>.mk (its SOURCE_TABLE DATE_COLUMN
# DATASET TARGET_TABLE STAGE PIPE TARGET_FILE_SIZE …), the shared settings in config.mk. Each
# table runs as a sub-make, TABLE=<name>, reading config.mk then its file: the single-table
# runbook below, as it is, sharing the jobserver (-j runs table-dates side by side). TABLES=a b
# narrows a goal to some tables. Without tables/, config.mk alone is the one table.
# ---------------------------------------------------------------------------------------------

-include config.mk
ALL_TABLES := $(patsubst tables/%.mk,%,$(wildcard tables/*.mk))
ifneq ($(TABLE),)
include tables/$(TABLE).mk
endif
# MULTI: the top of a many-table run, which hands the table goals to one sub-make per table.
MULTI  := $(if $(TABLE),,$(ALL_TABLES))
TABLES ?= $(ALL_TABLES)
NAME    = $(or $(TABLE),$(DATASET))
SUBMAKE = $(MAKE) --no-print-directory -f $(SELF)
# A table's facts come from a sub-make of its own, outside the jobserver (it runs no step).
FACTS   = MAKEFLAGS= $(MAKE) -s --no-print-directory -f $(SELF) table-facts TABLE=

# A step's output is written whole or not at all: to a temporary name of its own run (the
# shell's pid, so that a recipe orphaned by a killed make never renames another run's file),
# renamed on success, removed on failure (with the tool's exit status kept). FRESH, a date
# step's first line, makes the directory and sweeps temporaries that killed runs left behind.
# Pipelines fail when any part of them fails.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c
# A date's step also records how long it took (<step>.time) or why it failed (<step>.failed:
# the exit status and the tool's last line on stderr), and says so in one progress line on
# stderr (share/step); make's own echo of commands is off unless V=1.
WRITE        = >$@.tmp.$$$$ 2>$@.tmp.$$$$.err && mv -f $@.tmp.$$$$ $@ && { $(STEP) $@ 0 $@.tmp.$$$$.err; } || \
	{ s=$$?; rm -f $@.tmp.$$$$; $(STEP) $@ $$s $@.tmp.$$$$.err; exit $$s; }
FRESH        = @mkdir -p $(@D) && rm -f $@.tmp.* && date +%s%N >$@.tmp.start
SWEEP        = @mkdir -p $(@D) && rm -f $@.tmp.*
STEP         = $(SHARE)/step $(call q,$(NAME)) $(call q,$(firstword $(DATES))) $(words $(DATES))

# Every setting reaches the shell single-quoted: $(call q,$(X)).
comma := ,
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
# Many tables: the top checks the shared settings, then each table file's in a sub-make (named
# after its file), and that no two tables share a dataset, stage, target table or pipe.
CONFIG_VARS = SOURCE_TABLE DATE_COLUMN LANDING DATASET TARGET_FILE_SIZE TARGET_TABLE STAGE \
	INTEGRATION AWS_ROLE_NAME AWS_ACCOUNT_ID DBX_PROFILE DBX_WAREHOUSE SF_CONNECTION \
	READER_ROLE PIPE KEY SCHEMA_EVOLUTION DATE FROM TO
runbook-config:
	@test -f config.mk || { echo "config.mk: missing here; start from $(SHARE)/config.mk" >&2; exit 78; }
	@GOALS=$(call q,$(MAKECMDGOALS)) TABLE=$(call q,$(TABLE)) MULTI=$(call q,$(MULTI)) TABLES=$(call q,$(TABLES)) \
		$(SHARE)/config-check $(foreach n,$(CONFIG_VARS),$(call q,$(n)=$($(n))))
	$(if $(MULTI),@for t in $(ALL_TABLES); do $(FACTS)$$t || exit; done | \
		$(SHARE)/config-check -u)

# One line of a table's facts, for status, doctor and the checks above:
#   name dataset stage target-table source-table date-column pipe|- schema-evolution
TABLE_FACTS = $(if $(MULTI),for t in $(TABLES); do $(FACTS)$$t || exit; done,echo \
	$(call q,$(NAME) $(DATASET) $(STAGE) $(TARGET_TABLE) $(SOURCE_TABLE) $(DATE_COLUMN) $(or $(PIPE),-) \
	$(or $(SCHEMA_EVOLUTION),strict)))
table-facts: | runbook-config
	@$(TABLE_FACTS)

# 1. The storage integration, and what AWS must trust: Snowflake's IAM user and external id.
integration: state/integration.jsonl
state/integration.jsonl: | runbook-config
	$(SWEEP)
	$(SF) -D integration=$(call q,$(INTEGRATION)) -D role_arn=$(call q,$(ROLE_ARN)) -D landing=$(call q,$(LANDING)) \
		-f $(SHARE)/sql/integration.sql $(WRITE)

# 2. The role Snowflake assumes: trust policy and least-privilege read policy, as JSON; with
#    APPLY=1 also applied through the IAM API.
iam: state/iam-trust.json state/iam-read-policy.json
	$(if $(filter 1,$(APPLY)),$(SHARE)/iam-apply $(call q,$(AWS_ROLE_NAME)) state/iam-trust.json state/iam-read-policy.json,@echo "iam: policies written to state/; make iam APPLY=1 applies them")
state/iam-trust.json: state/integration.jsonl
	$(SWEEP)
	jq -s -f $(SHARE)/iam-trust.jq $< $(WRITE)
#    Many tables: one role reads every table's dataset (a new table file remakes the policy).
POLICY_PREFIXES = $(if $(MULTI),"$$(for t in $(ALL_TABLES); do $(FACTS)$$t || exit; done | \
	awk '{ print "$(LANDING_PREFIX)/" $$2 }')",$(call q,$(LANDING_PREFIX)/$(DATASET)))
state/iam-read-policy.json: $(if $(MULTI),$(ALL_TABLES:%=tables/%.mk)) | runbook-config
	$(SWEEP)
	jq -n --arg bucket $(call q,$(LANDING_BUCKET)) --arg prefix $(POLICY_PREFIXES) \
		-f $(SHARE)/iam-read-policy.jq $(WRITE)

ifeq ($(MULTI),)
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

# 6. Per date: load exactly those files, atomically (DELETE + COPY in one transaction). The
#    files' schema is first compared with the table's: SCHEMA_EVOLUTION says whether a
#    difference stops the load (strict) or is applied to the table before it (add); see
#    dbx2sf(7), Schema evolution.
load: $(foreach d,$(DATES),$(STATE)/$(d)/load.jsonl) | runbook-config
$(STATE)/%/load.jsonl: $(STATE)/%/files.jsonl | $(STATE)/table.done $(STATE)/stage.done
	$(FRESH)
	$(call TOOL,sf-copy) $(if $(SF_CONNECTION),-c $(call q,$(SF_CONNECTION))) -p $(call q,$(DATE_COLUMN)) -k date \
		-e $(call q,$(or $(SCHEMA_EVOLUTION),strict)) -s $(call q,$(STAGE)=$(LANDING)/$(DATASET)/) \
		-t $(call q,$(TARGET_TABLE)) $< $(WRITE)

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
#    The target is profiled against the table's columns as they are now (DESC TABLE, read
#    afresh into a temporary file each time): a column the date's files lack must be all NULL
#    for the date, so an older date is proven again after a later date added a column.
$(STATE)/%/target.jsonl: $(STATE)/%/load.jsonl
	$(FRESH)
	c=$@.tmp.$$$$.columns; { $(SF) -D table=$(call q,$(TARGET_TABLE)) 'DESC TABLE <% table %>' >$$c && \
		$(call TOOL,parity-check) -s snowflake -t $(call q,$(TARGET_TABLE)) -p $(call q,$(DATE_COLUMN)) -T $$c \
		-d $(call q,$*) $(@D)/files.jsonl | $(SF) -f -; s=$$?; rm -f $$c; (exit $$s); } $(WRITE)
$(STATE)/%/parity.jsonl: $(STATE)/%/source.jsonl $(STATE)/%/target.jsonl $(STATE)/%/files.jsonl
	$(FRESH)
	$(call TOOL,parity-check) -p date $^ >$@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@ && { $(STEP) $@ 0 /dev/null; } || \
		{ s=$$?; mv -f $@.tmp.$$$$ $(@D)/parity-failed.jsonl; cat $(@D)/parity-failed.jsonl >&2; \
		jq -r 'select(.status != "match") | "\(.status): \(.diff // [] | map(.metric) | join(", "))"' \
		$(@D)/parity-failed.jsonl 2>/dev/null | head -n 1 >$@.tmp.$$$$.err; $(STEP) $@ $$s $@.tmp.$$$$.err; \
		echo "validate: $*: no parity; make diff DATE=$* names the rows that differ" >&2; exit $$s; }

# The rows behind a mismatch: row-diff of one date, keyed by KEY, the source read at the Delta
# version the date was exported from (when export.json has one). Prints one line per differing
# key; exit 1 when some differ.
diff: | runbook-config
	@test -n $(call q,$(DATE)) && test -n $(call q,$(KEY)) || { echo "diff: needs DATE=YYYY-MM-DD and KEY (config.mk)" >&2; exit 64; }
	$(call TOOL,row-diff) $(if $(SF_CONNECTION),-c $(call q,$(SF_CONNECTION))) $(DBXOPT) -s $(call q,$(SOURCE_TABLE)) \
		-t $(call q,$(TARGET_TABLE)) -C $(call q,$(DATE_COLUMN)) -d $(call q,$(DATE)) -K $(call q,$(KEY)) \
		$$(jq -r 'select(.version != null) | "-V", .version' $(STATE)/$(DATE)/export.json) $(STATE)/$(DATE)/files.jsonl

# The parity of each date, one line each (a table's, with its name first).
backfill: validate | runbook-config
	@cat $(foreach d,$(DATES),$(STATE)/$(d)/parity.jsonl) | jq -r '[$(if $(TABLE),"$(TABLE)"$(comma)) .partition, .status] | @tsv'

# Publish again exactly the published dates whose source changed (share/sync says how it finds
# them, one line a date); never-published dates are left to backfill. make -n sync: the plan only.
sync: | runbook-config
	+@$(if $(wildcard $(HERE)bin/dbx-exec),PATH=$(call q,$(HERE)bin):"$$PATH") $(SHARE)/sync \
		$(if $(findstring n,$(firstword -$(MAKEFLAGS))),-n) $(DBXOPT) -s $(call q,$(STATE)) -t $(call q,$(SOURCE_TABLE)) \
		-c $(call q,$(DATE_COLUMN)) $(if $(TABLE),-l $(call q,$(TABLE))) -m $(call q,$(SELF)) $(DATES)

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
	$(SWEEP)
	$(call TOOL,sf-copy) -P $(call q,$(PIPE)) -p $(call q,$(DATE_COLUMN)) -k date -s $(call q,$(STAGE)=$(LANDING)/$(DATASET)/) \
		-t $(call q,$(TARGET_TABLE)) $(SCHEMA_FILES) | $(SF) -f - >/dev/null
	$(SF) -D pipe=$(call q,$(PIPE)) "DESC PIPE <% pipe %>" $(WRITE)
	$(SHARE)/s3-notify $(call q,$(LANDING_BUCKET)) "$$(jq -r .notification_channel $@)" \
		$(call q,$(LANDING_PREFIX)/$(DATASET)/) $(call q,dbx2sf-$(DATASET)) || { s=$$?; rm -f $@; exit $$s; }

# 10. Cleanup: drop the pipe (and its bucket notification), the stage and the integration, and
#     delete the landed objects of the dates whose parity matched. Only with CONFIRM=yes;
#     without it, say what would go. The target table stays: it is what was published.
#     One table of many keeps the integration: the others read through it.
#     prune deletes only the superseded run directories of matched dates (those other than the
#     one each date was proven from), under the same CONFIRM rule.
MATCHED = $(patsubst %/parity.jsonl,%,$(wildcard $(STATE)/*/parity.jsonl))
DATASET_URL = $(call q,$(LANDING)/$(DATASET))
cleanup: | runbook-config
ifeq ($(CONFIRM),yes)
	-$(SHARE)/s3-notify -d $(call q,$(LANDING_BUCKET)) $(call q,dbx2sf-$(DATASET))
	$(SF) -D pipe=$(call q,$(PIPE)) -D stage=$(call q,$(STAGE)) $(if $(TABLE),,-D integration=$(call q,$(INTEGRATION))) \
		-f $(SHARE)/sql/cleanup$(if $(TABLE),-table).sql >/dev/null
	@for d in $(MATCHED); do \
		$(SHARE)/prune-runs -l cleanup -a -y $(DATASET_URL) $$d && touch $$d/cleaned || exit 1; \
	done
	rm -f $(if $(TABLE),,state/integration.jsonl) $(STATE)/stage.done $(STATE)/pipe.jsonl
else
	@echo "cleanup: would drop pipe $(PIPE), stage $(STAGE)$(if $(TABLE),,, integration $(INTEGRATION))"
	@$(SHARE)/prune-runs -l cleanup -a $(DATASET_URL) $(MATCHED) 2>&1
	@echo "cleanup: nothing done; make cleanup CONFIRM=yes does it"
endif

prune: | runbook-config
	@$(SHARE)/prune-runs $(if $(filter yes,$(CONFIRM)),-y) $(DATASET_URL) $(MATCHED)
	$(if $(filter yes,$(CONFIRM)),,@echo "prune: nothing done; make prune CONFIRM=yes does it" >&2)

else
# Many tables: each table goal runs one sub-make per table (goal@table), side by side under -j.
TABLE_GOALS = stage table export load validate backfill forget grant pipe prune cleanup sync
$(foreach g,$(TABLE_GOALS),$(eval $(g): $(addprefix $(g)@,$(TABLES))))
TABLE_RUNS = $(foreach g,$(TABLE_GOALS),$(addprefix $(g)@,$(TABLES)))
$(TABLE_RUNS): | runbook-config
	+@$(SUBMAKE) TABLE=$(lastword $(subst @, ,$@)) $(firstword $(subst @, ,$@))

# The shared integration goes last, and only when every table goes with it.
KEPT = $(filter-out $(TABLES),$(ALL_TABLES))
DROP_INTEGRATION = $(SF) -D integration=$(call q,$(INTEGRATION)) "DROP INTEGRATION IF EXISTS <% integration %>" >/dev/null && \
	rm -f state/integration.jsonl
cleanup:
ifeq ($(CONFIRM),yes)
	$(if $(KEPT),@echo "cleanup: integration $(INTEGRATION) kept: $(KEPT) still read through it",$(DROP_INTEGRATION))
else
	$(if $(KEPT),,@echo "cleanup: would drop integration $(INTEGRATION)")
endif
.PHONY: $(TABLE_RUNS)
endif

# Where each table and date is, from the state alone (no service is called): one line per
# date and the totals per table (FORMAT=json: JSON lines); exit 1 unless every date asked for
# matched. Without DATE or FROM/TO, every date in the state.
status: | runbook-config
	@facts=$$($(TABLE_FACTS)) && printf '%s\n' "$$facts" | FORMAT=$(call q,$(FORMAT)) $(SHARE)/status $(DATES)

# Read-only checks of everything the runbook needs, one line each: ok, or what is wrong and the
# fix. Exit 0 when every check passed.
DOCTOR_VARS = LANDING INTEGRATION AWS_ROLE_NAME AWS_ACCOUNT_ID DBX_PROFILE DBX_WAREHOUSE SF_CONNECTION
doctor: | runbook-config
	@facts=$$($(TABLE_FACTS)) && printf '%s\n' "$$facts" | $(SHARE)/doctor $(foreach n,$(DOCTOR_VARS),$(call q,$(n)=$($(n))))

# The whole runbook on the local stack: stand-ins started, a sample Delta table of three dates
# seeded, integration to validate run, the parity table printed, the stand-ins stopped.
demo: deps
	$(MAKE) --no-print-directory all
	$(SHARE)/demo

.PHONY: runbook-config integration iam stage export table load validate diff backfill forget grant
.PHONY: pipe cleanup prune demo status doctor table-facts sync
.SECONDARY:

# Make's own echo of the runbook's commands, off unless V=1 (make -n still shows them): the
# progress lines say what happened.
ifneq ($(V),1)
.SILENT: integration iam stage export table load validate diff backfill forget grant pipe cleanup prune \
	state/integration.jsonl state/iam-trust.json state/iam-read-policy.json \
	$(addprefix $(STATE)/,stage.done table.done pipe.jsonl) \
	$(foreach d,$(DATES),$(addprefix $(STATE)/$(d)/,export.json files.jsonl load.jsonl source.jsonl target.jsonl parity.jsonl))
endif

