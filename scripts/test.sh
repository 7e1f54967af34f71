#!/usr/bin/env bash
# Set up, then run the whole test suite (lint and type checks first). Extra args go to pytest.
# Usage: scripts/test.sh [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Browser tests drive Debian's chromium with Playwright (Playwright cannot download browsers here).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed and cannot be installed here; browser tests will be skipped" >&2
  fi
fi
# PostGIS tests start a private server from Debian's postgresql + postgis packages.
scripts/postgis.sh install
echo "== ruff" >&2
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check --quiet src tests benchmarks scripts
echo "== mypy" >&2
.venv/bin/mypy
echo "== pytest" >&2
exec .venv/bin/python -m pytest "$@"
