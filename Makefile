# One entry point for people and CI. Only python3, git and make are assumed.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser-deps test lint run bench clean

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

browser-deps:
	@scripts/browser-deps

test: $(STAMP) browser-deps
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The bot when Slack credentials are configured (environment or .env), else the local sandbox.
run: $(STAMP)
	@INTERVIEW_BOT=$(VENV)/bin/interview-bot scripts/run $(ARGS)

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	$(PY) benchmarks/planner.py
	$(PY) benchmarks/freebusy.py
	$(PY) benchmarks/reminders.py
	-$(PY) benchmarks/booking.py  # PostgreSQL only: needs TEST_DATABASE_URL
	$(PY) benchmarks/calendar_sync.py
	-$(PY) benchmarks/candidate_page.py  # exits 1 when a target is missed; the report still prints
	-$(PY) benchmarks/slack_ack.py  # exits 1 when a target is missed; the report still prints
	-$(PY) benchmarks/sandbox.py  # make run to page, click to DM (needs Chromium)

clean:
	rm -rf $(VENV)
