# Upkeep's build, test and run entry points. Requires GNU make and Go.
# `make test` is what CI runs (through .ci/run).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.NOTPARALLEL:
.DEFAULT_GOAL := test

export PATH := $(PATH):/usr/local/go/bin

GO ?= go
FUZZTIME ?= 10s
# Every package of the module; recursive (=) so only the targets that use it compute it.
PKGS = $(shell $(GO) list ./...)
GOFILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*')

.PHONY: run demo repo-demo test deps fmt-check vet staticcheck unit fuzz bench bench-downtime build clean screenshots
.PHONY: package check-package

## run: the main job in one command (upkeep demo): repository, demo ERP and agent in ./upkeep-demo; scan, apply, history
run: demo

## demo: `make demo DEMO_FLAGS="--serve"` keeps them running for the tray; "--reset" starts over
demo:
	@command -v gcc >/dev/null || bash scripts/ensure-deps.sh  # cgo (go-sqlite3) needs a C compiler
	$(GO) run ./cmd/upkeep demo $(DEMO_FLAGS)

## repo-demo: serve the demo central repository alone on 127.0.0.1:8480 from ./.upkeep-demo
repo-demo:
	$(GO) run ./cmd/upkeep-repo serve --demo

## test: install missing system packages, then gofmt, vet, staticcheck and race-enabled tests
test: deps fmt-check vet staticcheck unit

deps:
	bash scripts/ensure-deps.sh

fmt-check:
	@unformatted="$$(gofmt -l $(GOFILES))"; \
	if [[ -n "$$unformatted" ]]; then \
		echo "gofmt: these files are not formatted (run gofmt -w on them):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi; \
	echo "gofmt: ok"

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 40m $(PKGS)  # a package's tests on a loaded machine may pass 10 min (the default)

## fuzz: run every Fuzz* function for FUZZTIME (default 10s) each
fuzz:
	@found=0; \
	for pkg in $(PKGS); do \
		listed="$$($(GO) test -list '^Fuzz' "$$pkg")"; \
		for fn in $$(grep '^Fuzz' <<<"$$listed" || true); do \
			found=$$((found + 1)); \
			echo "== $$pkg $$fn ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
		done; \
	done; \
	echo "fuzz: ran $$found Fuzz functions for $(FUZZTIME) each"

## bench: run every benchmark once with allocation counts
bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

## screenshots: run the real tray against a real agent over the demo ERP under Xvfb; PNGs in docs/screenshots/
screenshots:
	bash scripts/screenshots.sh

## bench-downtime: a one-module Tryton update's downtime, upkeep apply beside the bare procedure (SQLite and PostgreSQL, 3 runs each)
bench-downtime:
	$(GO) run ./bench/downtime -runs 3

## build: build every command into ./bin/
build:
	mkdir -p bin
	$(GO) build -tags no_emoji -o ./bin/ ./cmd/...  # no_emoji: the tray skips an unused 38 MB font

## package: the .deb and .rpm of upkeep, upkeep-tray and upkeep-repo in bin/packages/ (nfpm, pinned in the script)
package:
	bash packaging/linux/package.sh

## check-package: as root on Debian, build the packages, dpkg -i them, check them, then dpkg -r and dpkg -P
check-package:
	bash packaging/linux/check-deb.sh

clean:
	rm -rf bin
