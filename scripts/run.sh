#!/usr/bin/env bash
# Set everything up and start the dashboard: migrate, seed the demo city when the database is
# empty, and serve on http://localhost:${PORT:-8501}. DATABASE_URL unset: SQLite under data/.
# CITYDESK_SIMULATE=1 also plays the city live beside it (python -m db simulate, at
# CITYDESK_SIMULATE_SPEED times real life), and CITYDESK_OPEN311_URL follows the city's dispatch
# system (python -m db sync, every CITYDESK_OPEN311_EVERY seconds); both stop with the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m db migrate
if [[ -z "${CITYDESK_OPEN311_URL:-}" ]]; then  # a real city's tickets come from its own system
  .venv/bin/python -m db seed --if-empty
fi
serve=(.venv/bin/streamlit run dashboard.py --server.port "${PORT:-8501}"
       --server.headless true --browser.gatherUsageStats false)
if [[ "${CITYDESK_SIMULATE:-0}" != "1" && -z "${CITYDESK_OPEN311_URL:-}" ]]; then
  exec "${serve[@]}"
fi
mkdir -p data
helpers=()
trap 'kill "${helpers[@]}" 2>/dev/null || true' EXIT
if [[ "${CITYDESK_SIMULATE:-0}" == "1" ]]; then
  .venv/bin/python -m db simulate --speed "${CITYDESK_SIMULATE_SPEED:-10}" > data/simulate.log 2>&1 &
  helpers+=($!)
  echo "the city is moving: python -m db simulate (pid $!), progress in data/simulate.log"
fi
if [[ -n "${CITYDESK_OPEN311_URL:-}" ]]; then
  .venv/bin/python -m db sync "$CITYDESK_OPEN311_URL" --every "${CITYDESK_OPEN311_EVERY:-60}" \
    > data/sync.log 2>&1 &
  helpers+=($!)
  echo "following the dispatch system: python -m db sync (pid $!), progress in data/sync.log"
fi
"${serve[@]}" &
dashboard=$!
trap 'kill "$dashboard" 2>/dev/null || true' INT TERM
wait "$dashboard"
