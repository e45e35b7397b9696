.PHONY: run test seed bench lint

run:   ## set up, seed the demo city if empty, start the dashboard
	bash scripts/run.sh

test:  ## set up, lint, run every test (SQLite, PostgreSQL, Chromium)
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .
