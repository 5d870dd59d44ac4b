"""Configuration: defaults here, overridden from the environment.

``create_app(config)`` layers a mapping over these; production refuses to start without a real secret.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _local_secret_key() -> str:
    """A secret generated once and kept in instance/, so local restarts keep their sessions."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(url: str) -> str:
    # SQLAlchemy 2.1 maps postgresql:// to psycopg 3; keep the common postgres:// spelling working too.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def from_environment() -> dict:
    """The settings read from the process environment (``SHOP_ENV=production`` for production)."""
    env = os.environ
    production = env.get("SHOP_ENV", "development") == "production"
    secret = env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when SHOP_ENV=production")
        secret = _local_secret_key()
    settings = {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(
            env.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'shop.sqlite3'}")
        ),
        "PRODUCTION": production,
        "SESSION_COOKIE_SECURE": production,
    }
    for key in ("MAIL_SERVER", "MAIL_SENDER"):
        if env.get(key):
            settings[key] = env[key]
    if env.get("MAIL_PORT"):
        settings["MAIL_PORT"] = int(env["MAIL_PORT"])
    if env.get("PUBLIC_URL"):
        settings["PUBLIC_URL"] = public_url(env["PUBLIC_URL"])
    if env.get("PROXY_COUNT"):
        settings["PROXY_COUNT"] = proxy_count(env["PROXY_COUNT"])
    return settings


def public_url(value: str) -> str:
    """The platform's address as users reach it (``PUBLIC_URL``): the only base of links in mail, never the
    Host header a client sent (which anyone can forge)."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL must be an http(s) address like https://cg.example.org, not {value!r}")
    return url


def proxy_count(value: str) -> int:
    """How many reverse proxies stand before the app (``PROXY_COUNT``): that many X-Forwarded-For entries
    are trusted for the client's address (werkzeug's ProxyFix); 0, none (the address is the peer's)."""
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigError(f"PROXY_COUNT must be a whole number, 0 or more, not {value!r}")
    return count


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Interface: Chinese first, English on request.
    "LANGUAGES": ("zh", "en"),
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    # Sessions: signed cookies, so any process serves any request.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "IDLE_TIMEOUT": timedelta(minutes=30),
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),
    # Login protection (GB/T 22239-2019 level 3).
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_DURATION": timedelta(minutes=15),
    "PASSWORD_HASH_METHOD": "scrypt",
    "INITIAL_PASSWORD_HASH_METHOD": "pbkdf2:sha256:2000",
    # Uploads (CSV / XLSX imports).
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 5000,
    "PAGE_SIZE": 50,
    # Mail: notices are also mailed when MAIL_SERVER is set.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_SENDER": "noreply@localhost",
    # The address links in mail point to (env PUBLIC_URL).
    "PUBLIC_URL": "http://127.0.0.1:5000",
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are trusted (env PROXY_COUNT).
    "PROXY_COUNT": 0,
    # An initial (opened or reset) password not replaced within this many days no longer opens the account.
    "INITIAL_PASSWORD_DAYS": 7,
    # An order received (accepted) but unpaid more than this many days after receipt is in arrears.
    "ARREARS_DAYS": 30,
}
