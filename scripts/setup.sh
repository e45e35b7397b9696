#!/usr/bin/env bash
# Prepare a fresh machine: a virtual environment with the pinned packages, and (as root, when
# missing) the Debian packages the tests need: Chromium for the browser tests, PostgreSQL 15.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.requirements 2>/dev/null)" != "$want" ]; then
  echo "==> installing Python packages"
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > .venv/.requirements
fi

if [ "${1:-}" = "--system" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/lib/postgresql/15/bin/pg_ctl ] || missing+=(postgresql-15)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)  # the PDF pack
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
      exit 1
    fi
    echo "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}" fonts-dejavu-core
  fi
fi
