#!/usr/bin/env bash
# Set up, then run the whole test suite (lint and type checks first). Extra args go to pytest.
# Usage: scripts/test.sh [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== ruff" >&2
.venv/bin/ruff check src tests benchmarks scripts
echo "== mypy" >&2
.venv/bin/mypy
echo "== pytest" >&2
exec .venv/bin/python -m pytest "$@"
