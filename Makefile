# HessianRank — build, demo and test.  `make demo` and `make test` are the README's quick start.
SWIFT   ?= swift
CONFIG  ?= release
BIN     := .build/$(CONFIG)/hessrank
# Debian packages the build links against (GMP for exact arithmetic; LAPACK for float checks).
DEB_PACKAGES := libgmp-dev liblapacke-dev libopenblas-dev

.PHONY: deps build demo test test-slurm bench tables clean

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

# The example sweeps' tables and plots in docs/sweeps/ (rows already in the .jsonl files are
# reused; delete them to recompute everything).
SWEEPS := quickstart fc-width cnn-channels
tables: build
	@for s in $(SWEEPS); do \
	  $(BIN) table examples/sweeps/$$s.json --resume docs/sweeps/$$s.jsonl --out docs/sweeps/$$s.md \
	    --out docs/sweeps/$$s.tex --out docs/sweeps/$$s.csv --plot docs/sweeps/$$s.svg || exit $$?; \
	done

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
