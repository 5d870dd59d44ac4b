#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on a free loopback port; the cluster is always
# removed afterwards. The command sees TEST_DATABASE_URL (and DATABASE_URL) pointing at an empty database.
# Autovacuum is off: the tests roll back thousands of transactions, and an automatic ANALYZE that runs while a
# long test transaction (the demo load) fills a table can overwrite, in place, the row counts that the
# transaction's own ANALYZE gathered (it sees those rows as uncommitted, so as absent); the load's INSERT …
# SELECT steps then plan for empty tables (the likely cause of a CI run where the load took 159 s, not 17 s).
# The benchmarks run VACUUM ANALYZE themselves, as autovacuum would have long before anyone measures.
#   scripts/with-postgres.sh .venv/bin/pytest
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGTMP=$(mktemp -d /tmp/shop-pg.XXXXXX)
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  as_postgres "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}
trap cleanup EXIT INT TERM
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGTMP"
as_postgres "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c autovacuum=off" \
  start >/dev/null
as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres app_test
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/app_test"
export DATABASE_URL="$TEST_DATABASE_URL"
echo "PostgreSQL $(basename "$(dirname "$PGBIN")") on 127.0.0.1:$PGPORT"
"$@"
