# policywatch — developer entry points. Prerequisites: Python 3.11-3.13, Java 17+, Maven (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || echo python3.11)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: install install-dev test lint demo web browser stack-up stack-down compose-plugin clean

# The CLI: the package and its runtime dependencies, no Airflow, nothing that needs a C compiler.
install: $(STAMP)

# Re-installs only when pyproject.toml changes (the stamp is newer otherwise).
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found: install Python 3.11, 3.12 or 3.13 (or make PYTHON=/path/to/python3)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

# Tests and lint: the dev tools, Airflow (dags/ and tests/integration/test_dags.py) and, where a C compiler
# exists, jieba-fast (tests/unit/test_textseg.py then compares it with pure jieba).
install-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,airflow]'
	@$(BIN)/python -m pip install --quiet -e '.[fast]' 2>/dev/null || echo "note: jieba-fast not built (no C compiler?): segmentation uses pure jieba"
	@touch $(DEV_STAMP)

# The tests start the local stack when none is running (and stop it again at the end).
test: install-dev browser
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

# ruff, then the layer contracts in pyproject.toml ([tool.importlinter]; see ARCHITECTURE.md).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

demo: install
	$(BIN)/policywatch stack up
	$(BIN)/policywatch init
	$(BIN)/policywatch stack status
	$(BIN)/policywatch replay seeds/
	$(BIN)/policywatch process all --until-idle
	$(BIN)/policywatch status
	$(BIN)/policywatch search '起步区 地区生产总值'
	@echo; echo "Browse the demo data: make web  (then open http://127.0.0.1:$(WEB_PORT)/)"

# The web interface over the indexed documents (make demo first); 127.0.0.1 only unless a login is set.
WEB_PORT ?= 8000
web: install
	$(BIN)/policywatch web --port $(WEB_PORT)

# Debian's chromium and chromium-driver for the browser test, installed only when missing (as root in CI,
# through sudo otherwise).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; }

stack-up: install
	$(BIN)/policywatch stack up

stack-down: install
	$(BIN)/policywatch stack down

# `docker compose` for a docker client that lacks the plugin: built from the Go module (needs Go).
COMPOSE_VERSION ?= v2.40.3
compose-plugin:
	@docker compose version >/dev/null 2>&1 && { docker compose version; exit 0; } || true; \
	command -v go >/dev/null || { echo "error: Go is needed to build the compose plugin (or install docker-compose-plugin)"; exit 1; }; \
	set -e; dir=$$(go mod download -json github.com/docker/compose/v2@$(COMPOSE_VERSION) | $(PYTHON) -c 'import json,sys;print(json.load(sys.stdin)["Dir"])'); \
	tmp=$$(mktemp -d); cp -r "$$dir"/. "$$tmp"; chmod -R u+w "$$tmp"; \
	mkdir -p $$HOME/.docker/cli-plugins; \
	(cd "$$tmp" && go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$(COMPOSE_VERSION)" -o $$HOME/.docker/cli-plugins/docker-compose ./cmd); \
	rm -rf "$$tmp"; docker compose version

clean:
	rm -rf .pytest_cache .ruff_cache build dist *.egg-info
