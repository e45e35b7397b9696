#!/usr/bin/env bash
# Set everything up and start the dashboard: migrate, seed the demo city when the database is
# empty, and serve on http://localhost:${PORT:-8501}. DATABASE_URL unset: SQLite under data/.
# CITYDESK_SIMULATE=1 also plays the city live beside it (python -m db simulate, at
# CITYDESK_SIMULATE_SPEED times real life); CITYDESK_OPEN311_URL follows the city's dispatch
# system (python -m db sync, every CITYDESK_OPEN311_EVERY seconds); CITYDESK_VK_TOKEN and
# CITYDESK_TELEGRAM_TOKEN, when set, start the social networks' connectors (python -m db
# intake --from vk|telegram); CITYDESK_NOTIFY_RULES, a rules file, starts the alerts (python -m db
# notify, a pass every 60 s; see docs/alerts.md). Each runs beside the dashboard and stops when it
# stops.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m db migrate
if [[ -z "${CITYDESK_OPEN311_URL:-}" ]]; then  # a real city's tickets come from its own system
  .venv/bin/python -m db seed --if-empty
fi
serve=(.venv/bin/streamlit run dashboard.py --server.port "${PORT:-8501}"
       --server.headless true --browser.gatherUsageStats false)
if [[ "${CITYDESK_SIMULATE:-0}" != "1" && -z "${CITYDESK_OPEN311_URL:-}"
      && -z "${CITYDESK_VK_TOKEN:-}" && -z "${CITYDESK_TELEGRAM_TOKEN:-}"
      && -z "${CITYDESK_NOTIFY_RULES:-}" ]]; then
  exec "${serve[@]}"
fi
mkdir -p data
beside=()
trap 'kill "${beside[@]}" 2>/dev/null || true' EXIT
if [[ "${CITYDESK_SIMULATE:-0}" == "1" ]]; then
  .venv/bin/python -m db simulate --speed "${CITYDESK_SIMULATE_SPEED:-10}" > data/simulate.log 2>&1 &
  beside+=($!)
  echo "the city is moving: python -m db simulate (pid $!), progress in data/simulate.log"
fi
if [[ -n "${CITYDESK_OPEN311_URL:-}" ]]; then
  .venv/bin/python -m db sync "$CITYDESK_OPEN311_URL" --every "${CITYDESK_OPEN311_EVERY:-60}" \
    > data/sync.log 2>&1 &
  beside+=($!)
  echo "following the dispatch system: python -m db sync (pid $!), progress in data/sync.log"
fi
if [[ -n "${CITYDESK_NOTIFY_RULES:-}" ]]; then
  .venv/bin/python -m db notify --rules "$CITYDESK_NOTIFY_RULES" > data/notify.log 2>&1 &
  beside+=($!)
  echo "alerting: python -m db notify (pid $!), log in data/notify.log"
fi
for network in vk telegram; do
  token_variable="CITYDESK_${network^^}_TOKEN"
  if [[ -n "${!token_variable:-}" ]]; then
    .venv/bin/python -m db intake --from "$network" > "data/$network.log" 2>&1 &
    beside+=($!)
    echo "watching $network: python -m db intake --from $network (pid $!), log in data/$network.log"
  fi
done
"${serve[@]}" &
dashboard=$!
trap 'kill "$dashboard" 2>/dev/null || true' INT TERM
wait "$dashboard"
