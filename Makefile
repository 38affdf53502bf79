# Reelcraft: `make run` opens the studio (demo mode without keys); `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# System libraries Qt/QtMultimedia need headless, plus PostgreSQL for the team-mode tests
# and a real Secret Service for the keychain test (STACK.md).
APT_PACKAGES := libpulse0 libxcb-icccm4 libxcb-keysyms1 xvfb fonts-dejavu-core \
	libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libglib2.0-0 libxcb-cursor0 postgresql gnome-keyring dbus
export QT_QPA_PLATFORM ?= offscreen
export QT_LOGGING_RULES ?= qt.multimedia*=false;qt.rhi*=false

.PHONY: setup system-deps run test lint typecheck imports pytest bench price-list clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

# Bytecode compiled ahead, as an installed wheel has it: the studio's start-up is a budget,
# and an environment with PYTHONDONTWRITEBYTECODE would otherwise recompile on every launch.
setup: $(STAMP)
	@$(BIN)/python -m compileall -q shared desktop reelcraft service resources >/dev/null

# Installs the apt packages when it can (root, or passwordless sudo); otherwise says what to run.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "Missing system packages: $$missing"; \
	     echo "Install them with: sudo apt-get install -y $$missing"; exit 0; fi; \
	echo "Installing system packages: $$missing"; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing

run: setup system-deps
	$(BIN)/reelcraft

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check shared service desktop reelcraft

typecheck: setup
	$(BIN)/mypy shared service desktop reelcraft

imports: setup
	$(BIN)/lint-imports

pytest: setup system-deps
	REELCRAFT_REQUIRE_PG=1 $(BIN)/pytest -q -p no:cacheprovider

test: setup system-deps lint typecheck imports pytest

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The studio's first screen is priced from shared/price_list_snapshot.py: regenerate it after
# changing resources/catalogue or the quote engine (a test says so when it is stale).
price-list: setup
	$(BIN)/python -m shared.listing
	$(BIN)/ruff format -q shared/price_list_snapshot.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
