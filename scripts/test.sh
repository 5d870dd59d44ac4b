#!/usr/bin/env bash
# The whole suite, twice: on SQLite, then on a throwaway PostgreSQL server. Fails if either fails
# (pytest exits 5, and so fails, when no test ran).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== tests on SQLite"
env -u TEST_DATABASE_URL .venv/bin/pytest "$@" || status=1
echo "== tests on PostgreSQL"
scripts/with-postgres.sh .venv/bin/pytest "$@" || status=1
exit $status
