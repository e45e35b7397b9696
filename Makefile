.PHONY: run test seed bench lint screenshots

run:   ## set up, seed the demo city if empty, start the dashboard
	bash scripts/run.sh

test:  ## set up, lint, run every test (SQLite, PostgreSQL, Chromium)
	bash scripts/test.sh

bench: ## set up, build the benchmark's databases once (data/bench/), print the table
	bash scripts/setup.sh --system
	.venv/bin/python -m bench $(ARGS)

lint:
	.venv/bin/ruff check .

screenshots: ## refresh the README's screenshots (docs/screenshots/) through the browser tests
	bash scripts/setup.sh --system
	CITYDESK_SCREENSHOTS=$(CURDIR)/docs/screenshots .venv/bin/python -m pytest -m browser -q
