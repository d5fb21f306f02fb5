# HessianRank — build, demo and test.  `make demo` and `make test` are the README's quick start.
SHELL   := /bin/bash
SWIFT   ?= swift
CONFIG  ?= release
BIN     := .build/$(CONFIG)/hessrank
# Debian packages the build links against (GMP for exact arithmetic; LAPACK for float checks).
DEB_PACKAGES := libgmp-dev liblapacke-dev libopenblas-dev

.PHONY: deps build demo test test-slurm fuzz bench tables audit clean

# Install missing system packages with apt-get when root; otherwise print the exact command.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get install -y $$missing || (apt-get update && apt-get install -y $$missing)) >/dev/null; \
	  else \
	    echo "missing system packages; run:  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

# The main job on a bundled example: exact Hessian ranks of a CNN, every applicable rank
# formula certified TIGHT / HOLDS / VIOLATED, and the certificate re-checked from scratch.
demo: build
	$(BIN) certify examples/configs/cnn1d-c1-d12-k3-m2-K2-n100.json --certificate .build/demo-certificate.json
	$(BIN) check .build/demo-certificate.json

test: deps
	$(SWIFT) test -c $(CONFIG) --disable-xctest

# A longer fuzz campaign of every parser (FUZZ_ITERATIONS per parser, FUZZ_SEED to vary it).
# The input being parsed is kept in .build/fuzz/<parser>.current; after a crash it is copied to
# Tests/FuzzTests/Regressions/<parser>/ so that every later test run replays it.
FUZZ_ITERATIONS ?= 20000
FUZZ_SEED ?= $(shell date +%s)
fuzz: deps
	@mkdir -p .build/fuzz
	@echo "fuzz campaign: $(FUZZ_ITERATIONS) inputs per parser, seed $(FUZZ_SEED)"
	@FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) FUZZ_SEED=$(FUZZ_SEED) FUZZ_KEEP=$(CURDIR)/.build/fuzz \
	  $(SWIFT) test -c $(CONFIG) --disable-xctest --filter ParserFuzzTests 2>&1 | grep -E "^fuzz |✘|passed|failed" ; \
	status=$${PIPESTATUS[0]}; \
	if [ "$$status" != 0 ]; then \
	  for f in .build/fuzz/*.current; do \
	    p=$$(basename $$f .current); mkdir -p Tests/FuzzTests/Regressions/$$p; \
	    cp $$f Tests/FuzzTests/Regressions/$$p/seed-$(FUZZ_SEED); \
	  done; \
	  echo "failing inputs kept under Tests/FuzzTests/Regressions/"; exit 1; \
	fi

# The example sweeps' tables and plots in docs/sweeps/ (rows already in the .jsonl files are
# reused; delete them to recompute everything).
SWEEPS := quickstart fc-width cnn-channels
tables: build
	@for s in $(SWEEPS); do \
	  $(BIN) table examples/sweeps/$$s.json --resume docs/sweeps/$$s.jsonl --out docs/sweeps/$$s.md \
	    --out docs/sweeps/$$s.tex --out docs/sweeps/$$s.csv --plot docs/sweeps/$$s.svg || exit $$?; \
	done

# The bound audit: every catalog entry at every config of examples/sweeps/audit.json inside its
# hypotheses (2 seeds, modular ranks, a few minutes on 2 cores). Recomputed from scratch (the
# catalog may have changed); writes docs/audit/<sweep>.jsonl and .md, the summary in docs/audit.md,
# the catalog table of docs/bounds.md and the counts `hessrank bounds` shows (Sources/RankBounds/BoundAuditCounts.swift),
# then rebuilds. Exit status 1 from the table (a VIOLATED row) is reported by the summary.
AUDIT_SWEEPS := audit audit-one-conv-2d
audit: build
	@mkdir -p docs/audit
	$(BIN) bounds --json > .build/audit-catalog.json
	@for s in $(AUDIT_SWEEPS); do \
	  rm -f docs/audit/$$s.jsonl; \
	  $(BIN) table examples/sweeps/$$s.json --resume docs/audit/$$s.jsonl --out docs/audit/$$s.md; \
	  status=$$?; [ $$status -le 1 ] || exit $$status; \
	done
	python3 examples/sweeps/audit-summary.py .build/audit-catalog.json docs/audit.md \
	  Sources/RankBounds/BoundAuditCounts.swift docs/bounds.md $(AUDIT_SWEEPS:%=docs/audit/%.jsonl)
	$(SWIFT) build -c $(CONFIG)

bench: deps
	$(SWIFT) build -c release --product hessrank-bench
	.build/release/hessrank-bench

clean:
	rm -rf .build

# The Slurm workflow (examples/slurm/) on a real one-node Slurm started on this machine:
# installs Debian's Slurm and munge when missing (root), kills and requeues a task, merges,
# compares with a single-process table, stops everything it started.
test-slurm: build
	examples/slurm/test-local-slurm.sh $(BIN)
