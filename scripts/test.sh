#!/usr/bin/env bash
# Set everything up and run the whole suite: lint, then the tests against SQLite and a real
# PostgreSQL server (started on loopback by the fixtures unless TEST_DATABASE_URL names one),
# then the browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system

echo "==> ruff"
.venv/bin/ruff check .

echo "==> tests (SQLite and PostgreSQL), one worker per core"
.venv/bin/python -m pytest -m "not browser" -q -n auto --durations=10 "$@"

echo "==> browser tests (Chromium), one worker per core, each test file on one worker"
.venv/bin/python -m pytest -m browser -q -n auto --dist loadfile --durations=10 "$@"
