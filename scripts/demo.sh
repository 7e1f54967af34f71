#!/usr/bin/env bash
# Set up, then score the bundled Hanoi demo: ranked list (CSV, GeoPackage), HTML map, manifest.
# Usage: scripts/demo.sh [OUTPUT_DIR]      (default: landplan-demo/, replaced if it exists)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out="${1:-landplan-demo}"
exec .venv/bin/landplan demo --output "$out" --overwrite
