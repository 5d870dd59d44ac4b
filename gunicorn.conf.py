"""gunicorn's settings for ``make serve`` and the benchmarks (``gunicorn -c gunicorn.conf.py``).

Environment: ``PORT`` (8000) or ``BIND`` (``127.0.0.1:$PORT``; behind nginx on another host, e.g.
``0.0.0.0:8000``), ``WEB_CONCURRENCY`` (worker processes; 2 × cores + 1), ``GUNICORN_TIMEOUT`` (seconds a
request may take before its worker is restarted; 120: the longest request, a month's ZIP of up to 5,000
kept invoice PDFs, sends about 80 a second), ``LOG_LEVEL`` (INFO).

Workers are separate processes that share nothing but the database: sessions are signed cookies, the
counters and locks are rows, and every cache in the app is per process and only an optimisation.

Logs: everything on stdout, one line per record, each with the request id (``shop/logs.py``); gunicorn's own
access log is off, because the app writes the request's line itself (with its id and user).
"""

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 2
# A connection queue longer than the default 2048 only hides overload; a shorter one sheds load sooner.
backlog = 512
# Recycle workers now and then (a slow leak in a library cannot grow without bound); jittered so that they
# do not all restart at once.
max_requests = 5000
max_requests_jitter = 500
# The app (and its database pools) are created in each worker after the fork, never shared across it.
preload_app = False

accesslog = None
_level = os.environ.get("LOG_LEVEL", "INFO").upper()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shop.logs.RequestIdFilter"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["request_id"],
        }
    },
    "root": {"level": _level, "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        # Chatty at INFO (a line per step of each PDF, per font subset): their warnings are enough.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
