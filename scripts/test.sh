#!/usr/bin/env bash
# Installs everything (as scripts/install.sh does) plus the test extras, then runs the whole suite:
# unit tests and end-to-end tests against a real daemon, nginx, PostgreSQL, uv and gunicorn.
set -euo pipefail
cd "$(dirname "$0")/.."
SEAWAY_INSTALL_TARGET=".[test]" bash scripts/install.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
