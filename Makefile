# cityhall: `make run` sets everything up and serves the app; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= 1
# Test processes (pytest-xdist): one per core by default; each has its own test database.
TEST_WORKERS ?= auto

.PHONY: run test setup install db lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## setup: install, compile the message catalogues, migrate, load the registry, workflows and demo data, make the DEMO signing keys (var/pki), load the indicator catalogue and the demo history
setup: install
	mkdir -p var/static
	$(BIN)/cityhall compile_catalogues
	$(BIN)/cityhall migrate --no-input -v 0
	$(BIN)/cityhall load_units
	$(BIN)/cityhall load_workflows
	$(BIN)/cityhall load_categories
	$(BIN)/cityhall load_procedures
	$(BIN)/cityhall load_demo
	$(BIN)/cityhall load_demo_reports
	$(BIN)/cityhall load_demo_dossiers
	$(BIN)/cityhall demo_pki
	$(BIN)/cityhall load_demo_plans
	$(BIN)/cityhall load_demo_documents
	$(BIN)/cityhall load_indicators
	$(BIN)/cityhall indicators rebuild --if-empty
	$(BIN)/cityhall load_demo_history
	$(BIN)/cityhall load_demo_reported

run: setup
	$(BIN)/cityhall collectstatic --no-input -v 0
	@mkdir -p var/mail
	@echo ""
	@$(BIN)/cityhall demo_logins
	@echo ""
	@echo "  E-mail sent in development is written to var/mail/, one file a message."
	@echo "  Thư điện tử gửi đi khi phát triển được ghi vào var/mail/, mỗi thư một tệp."
	@echo ""
	@# One background worker (the jobs the apps registered: deadline sweeps, Open311 intake,
	@# queued tasks, notifications) beside the web server; on exit it gets SIGTERM, finishes
	@# its batch and stops (the shell has it ignore Ctrl-C, which stops the web server).
	@# The 'serving on' line waits until the server listens.
	@$(BIN)/cityhall worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT; \
	  $(BIN)/python scripts/wait_for_port.py 127.0.0.1 $(PORT) \
	    "  cityhall is serving on http://127.0.0.1:$(PORT)/ · cityhall đang chạy tại http://127.0.0.1:$(PORT)/" & \
	  $(BIN)/cityhall runserver 127.0.0.1:$(PORT)

test: install
	mkdir -p var/static
	$(BIN)/cityhall compile_catalogues
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

## lint: ruff, then the import contracts (the layers of docs/architecture.md, in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## typecheck: mypy with the django-stubs plugin over cityhall/, tests/ and bench/ (settings in pyproject.toml)
typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
