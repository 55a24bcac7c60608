# ESS Quartiers — every target works on a fresh machine with only the repository.
# `make demo` and `make test` install what they need first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUTILS := .outils
UV := $(OUTILS)/bin/uv
UV_VERSION := 0.13.9
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: install demo test test-rapide bench lint clean

install: $(VENV)/.installe

# uv lives in its own small venv: `uv sync` keeps .venv exactly as the lock file says and
# would remove a uv (or pip) installed inside it, breaking the next install.
$(UV):
	$(PYTHON) -m venv $(OUTILS)
	$(OUTILS)/bin/python -m pip install -q "uv==$(UV_VERSION)"

$(VENV)/.installe: pyproject.toml uv.lock package.json package-lock.json scripts/installer-systeme.sh | $(UV)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(UV) sync --frozen --quiet --compile-bytecode
	@$(BIN)/python -m compileall -q src >/dev/null
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	bash scripts/installer-systeme.sh
	@touch $@

demo: install
	$(BIN)/essq demo --port $(PORT)

test: install
	$(BIN)/pytest -n 2 -q

test-rapide: install
	$(BIN)/pytest -n 2 -q -m "not lent and not browser"

bench: install
	bash scripts/installer-systeme.sh --bench
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/ruff format --check --no-cache src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUTILS) node_modules .pytest_cache .mypy_cache .ruff_cache
