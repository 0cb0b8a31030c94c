# make build  -> set up .venv on first use, then compile $(SPEC) (default: Inception-v4)
# make test   -> set up .venv on first use, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SPEC   ?= specs/inception_v4.yaml
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: build test setup graphviz bench clean golden ops-table schema

build: $(STAMP)
	$(BIN)/archspec build $(SPEC)

test: $(STAMP)
	$(BIN)/python -m pytest -q

setup: $(STAMP)

# torch==2.13.0 first: it is the CPU build that installs from local disk; the project's range accepts it.
$(STAMP): pyproject.toml | graphviz
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's graphviz provides `dot`, which diagram rendering needs.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing Debian's graphviz (for 'dot')"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; }

golden: $(STAMP)
	$(BIN)/python scripts/regen_golden.py

ops-table: $(STAMP)
	$(BIN)/python scripts/gen_ops_table.py

schema: $(STAMP)
	$(BIN)/python scripts/gen_schema.py

bench: $(STAMP)
	$(BIN)/python bench/bench_core.py

clean:
	rm -rf $(VENV) build .pytest_cache
