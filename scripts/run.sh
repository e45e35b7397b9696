#!/usr/bin/env bash
# Set everything up and start the dashboard: migrate, seed the demo city when the database is
# empty, and serve on http://localhost:${PORT:-8501}. DATABASE_URL unset: SQLite under data/.
# CITYDESK_SIMULATE=1 also plays the city live beside it (python -m db simulate, at
# CITYDESK_SIMULATE_SPEED times real life), and stops it when the dashboard stops.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m db migrate
.venv/bin/python -m db seed --if-empty
serve=(.venv/bin/streamlit run dashboard.py --server.port "${PORT:-8501}"
       --server.headless true --browser.gatherUsageStats false)
if [[ "${CITYDESK_SIMULATE:-0}" != "1" ]]; then
  exec "${serve[@]}"
fi
mkdir -p data
.venv/bin/python -m db simulate --speed "${CITYDESK_SIMULATE_SPEED:-10}" > data/simulate.log 2>&1 &
simulator=$!
trap 'kill "$simulator" 2>/dev/null || true' EXIT
echo "the city is moving: python -m db simulate (pid $simulator), progress in data/simulate.log"
"${serve[@]}" &
dashboard=$!
trap 'kill "$dashboard" 2>/dev/null || true' INT TERM
wait "$dashboard"
