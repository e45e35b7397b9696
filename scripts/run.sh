#!/usr/bin/env bash
# Set everything up and start the dashboard: migrate, seed the demo city when the database is
# empty, and serve on http://localhost:${PORT:-8501}. DATABASE_URL unset: SQLite under data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m db migrate
.venv/bin/python -m db seed --if-empty
exec .venv/bin/streamlit run dashboard.py --server.port "${PORT:-8501}" \
  --server.headless true --browser.gatherUsageStats false
