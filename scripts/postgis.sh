#!/usr/bin/env bash
# A private PostGIS server for tests and benchmarks (see tests/postgis_server.py).
# Usage: scripts/postgis.sh install          # Debian's postgresql + postgis (as root with apt-get)
#        scripts/postgis.sh start DIR        # new cluster in DIR (must not exist); prints its URL
#        scripts/postgis.sh url DIR          # the URL of the server in DIR (password included)
#        scripts/postgis.sh stop DIR         # stop it and remove DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
exec "$PY" tests/postgis_server.py "$@"
