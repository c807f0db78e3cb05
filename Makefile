# One task runner for everything; `.ci/run` calls `make check` on a fresh machine.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := .make
WORKBENCH_UI := host/stephost_host/workbench/ui
WORKBENCH_PAGE := host/stephost_host/workbench/static/index.html

.PHONY: install workbench system-deps lint typecheck protos protos-check test check bench soak demo clean

install: $(STAMP)/system $(STAMP)/python $(STAMP)/node $(WORKBENCH_PAGE)

# Debian packages: Ruby and its gRPC (no gems are reachable), wrk for the benchmarks, and
# chromium for the browser tests (tests/browser drives it with playwright-core; never a download).
SYSTEM_PKGS := ruby ruby-grpc ruby-google-protobuf ruby-grpc-tools wrk chromium
$(STAMP)/system: Makefile  # a package added to SYSTEM_PKGS installs on the next make install
	@mkdir -p $(STAMP)
	@if dpkg -s $(SYSTEM_PKGS) >/dev/null 2>&1; then echo "system packages present"; \
	elif [ "$$(id -u)" = 0 ]; then echo "installing $(SYSTEM_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PKGS) >/dev/null; \
	else echo "please run: sudo apt-get install $(SYSTEM_PKGS)"; exit 1; fi
	@touch $@

$(STAMP)/python: pyproject.toml
	@mkdir -p $(STAMP)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

NODE_DIRS := sidecars/node tests/conformance/node tests/motia_client examples/ingress/node tests/browser \
             tests/projects/validation tests/typecheck host/stephost_host/workbench/ui
$(STAMP)/node: $(foreach d,$(NODE_DIRS),$(wildcard $(d)/package-lock.json))
	@mkdir -p $(STAMP)
	@for d in $(NODE_DIRS); do if [ -f $$d/package.json ]; then echo "npm ci in $$d"; \
	  (cd $$d && npm ci --no-audit --no-fund --loglevel=error) || exit 1; fi; done
	@touch $@

# The Workbench page: built into host/stephost_host/workbench/static (served by the host),
# again whenever its source changes.
$(WORKBENCH_PAGE): $(STAMP)/node $(WORKBENCH_UI)/index.html $(WORKBENCH_UI)/vite.config.js \
                   $(wildcard $(WORKBENCH_UI)/src/*) $(wildcard $(WORKBENCH_UI)/src/panels/*)
	cd $(WORKBENCH_UI) && npm run build --silent

workbench: $(WORKBENCH_PAGE)

# sidecars/python covers the Python sidecar's own tests (sidecars/python/tests) too.
lint: install
	$(VENV)/bin/ruff check host sdk_python proto/python sidecars/python tests bench
	$(VENV)/bin/ruff format --check host sdk_python proto/python sidecars/python tests bench

typecheck: install
	$(VENV)/bin/mypy

protos: install
	PYTHON=$(PY) proto/generate.sh

protos-check: install
	@tmp=$$(mktemp -d); PYTHON=$(PY) proto/generate.sh $$tmp; \
	status=0; for d in proto/python/stephost_wire/v1 sidecars/ruby/lib/stephost/gen sidecars/node/proto; do \
	  diff -r $$tmp/$$d $$d -x __pycache__ >/dev/null || { echo "stale stubs in $$d: run 'make protos'"; status=1; }; \
	done; rm -rf $$tmp; exit $$status

# Each sidecar's own unit tests first; pytest (integration, conformance) closes the run.
test: install
	cd sidecars/node && npm test --silent
	ruby sidecars/ruby/test/run.rb
	$(PY) -m pytest -q sidecars/python/tests
	$(PY) -m pytest -q -n 4 --dist loadfile --durations=15

check: lint typecheck protos-check test

# BASELINE=DIR: a checkout of an older commit with its own `make install` done; every figure
# is printed beside that code's from the same run, with the ratio.
bench: install
	$(PY) -m bench $(if $(BASELINE),--baseline $(BASELINE))

# Faults at random moments while 10,000 events cross a 3-language chain; lost must be 0.
soak: install
	$(PY) -m bench.soak

demo: install
	$(VENV)/bin/stephost dev examples/demo

clean:
	rm -rf $(STAMP) $(VENV) .pytest_cache .mypy_cache .ruff_cache
