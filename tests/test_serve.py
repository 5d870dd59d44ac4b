"""``make serve``'s pieces: gunicorn.conf.py (workers, address, one log line per record with the request id)
and scripts/serve.sh's refusal without a database URL. Each runs in a child process: the settings read the
environment at import, and gunicorn's logging config would replace this process's handlers."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, logging, logging.config, runpy
conf = runpy.run_path("gunicorn.conf.py")
logging.config.dictConfig(conf["logconfig_dict"])
logging.getLogger("shop.somewhere").info("hello")
logging.getLogger("weasyprint").info("a chatty step")
print(json.dumps({key: conf[key] for key in ("bind", "workers", "wsgi_app", "accesslog", "timeout")}))
"""


def _probe(**env: str) -> tuple[dict, list[str]]:
    import json

    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    *lines, settings = result.stdout.strip().splitlines()
    return json.loads(settings), lines


def test_gunicorn_settings_follow_the_environment():
    settings, _ = _probe(PORT="8123", WEB_CONCURRENCY="3", GUNICORN_TIMEOUT="300")
    assert settings == {
        "bind": "127.0.0.1:8123",
        "workers": 3,
        "wsgi_app": "wsgi:app",
        "accesslog": None,  # the app writes each request's line itself, with its id
        "timeout": 300,
    }
    assert _probe(BIND="0.0.0.0:9000", PORT="1")[0]["bind"] == "0.0.0.0:9000"


def test_gunicorn_defaults_to_several_workers():
    env = {key: value for key, value in os.environ.items() if key != "WEB_CONCURRENCY"}
    result = subprocess.run(
        [sys.executable, "-c", "import runpy; print(runpy.run_path('gunicorn.conf.py')['workers'])"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) == 2 * os.cpu_count() + 1


def test_gunicorn_logs_one_line_per_record_on_stdout_with_the_request_id_slot():
    _, lines = _probe()
    assert len(lines) == 1  # weasyprint's INFO chatter is held back
    assert lines[0].endswith(" INFO [-] shop.somewhere: hello")


def test_serve_refuses_to_start_without_a_database_url():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        [str(ROOT / "scripts/serve.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
