#!/usr/bin/env bash
# `make serve`: the platform as in production, with gunicorn's worker processes (gunicorn.conf.py) on the
# database DATABASE_URL names (PostgreSQL). Applies the migrations first; outside production
# (SHOP_ENV != production) it loads the demo city when the database has no account yet (SERVE_DEMO=no
# skips that). Logs go to stdout. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
  echo "make serve needs DATABASE_URL, e.g. DATABASE_URL=postgresql://shop@localhost/shop make serve" >&2
  echo "(make run serves a SQLite database for development)" >&2
  exit 2
fi
case "$DATABASE_URL" in
  postgres://* | postgresql://* | postgresql+psycopg://*) ;;
  *) echo "make serve: warning: DATABASE_URL is not PostgreSQL; several workers on SQLite queue on its one writer" >&2 ;;
esac
export FLASK_APP=shop.app:create_app
# Also makes instance/secret_key (outside production) before the workers start: each reads the same one.
.venv/bin/flask db upgrade
if [ "${SHOP_ENV:-development}" != production ] && [ "${SERVE_DEMO:-auto}" != no ]; then
  if .venv/bin/python - <<'PY'
import sys

from sqlalchemy import func, select

from accounts.models import User
from shop.app import create_app
from shop.extensions import db

with create_app().app_context():
    sys.exit(0 if db.session.scalar(select(func.count()).select_from(User)) == 0 else 1)
PY
  then
    .venv/bin/flask demo load
    echo; echo "Demo logins (role, username, password):"; .venv/bin/flask demo users; echo
  fi
fi
exec .venv/bin/gunicorn -c gunicorn.conf.py
