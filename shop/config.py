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


def _local_data_key() -> str:
    """A data key (shop/crypto.py) generated once and kept in instance/, like the secret key. Losing this
    file loses the bank accounts encrypted with it: back it up with the database."""
    from cryptography.fernet import Fernet

    path = INSTANCE / "data_key"
    if not path.exists():
        # Written aside then linked into place: two processes starting at once agree on one key (the second
        # link fails and that process reads the first one's), and nobody reads a half-written file.
        INSTANCE.mkdir(parents=True, exist_ok=True)
        draft = INSTANCE / f".data_key.{os.getpid()}"
        draft.write_bytes(Fernet.generate_key())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
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
    data_key = env.get("DATA_KEY")
    if not data_key:
        if production:
            raise ConfigError("DATA_KEY must be set when SHOP_ENV=production (see shop/crypto.py)")
        data_key = _local_data_key()
    settings = {
        "SECRET_KEY": secret,
        "DATA_KEY": data_key,
        "SQLALCHEMY_DATABASE_URI": _database_url(
            env.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'shop.sqlite3'}")
        ),
        "PRODUCTION": production,
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        # Plain-HTTP requests are redirected to HTTPS (and HSTS sent) only in production, where TLS ends at
        # the proxy (PROXY_COUNT makes the forwarded scheme trusted) or at the server itself.
        "FORCE_HTTPS": production,
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
    if env.get("REPORTS_DATABASE_URL"):
        settings["REPORTS_DATABASE_URL"] = _database_url(env["REPORTS_DATABASE_URL"])
    if env.get("UPLOAD_FOLDER"):
        # Several app servers share one folder (a network mount) for uploaded pictures and return photos.
        settings["UPLOAD_FOLDER"] = env["UPLOAD_FOLDER"]
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
    # Sessions: signed cookies, so any process serves any request. Never readable by scripts, never sent
    # with another site's requests (SameSite), Secure in production (from_environment). Flask-Login's
    # remember-me cookie is not used (login_user is never asked to remember), but is set up the same way.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "IDLE_TIMEOUT": timedelta(minutes=30),
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),
    # Login protection (GB/T 22239-2019 level 3).
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_DURATION": timedelta(minutes=15),
    # Failed logins from one client address (any usernames) within the window before that address is
    # refused (HTTP 429) until the oldest ages out of the window; counted in the database by every process.
    "LOGIN_IP_MAX_FAILURES": 20,
    "LOGIN_IP_WINDOW": timedelta(minutes=15),
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
    # The database finance reports read (a streaming replica; env REPORTS_DATABASE_URL); None: the main one.
    "REPORTS_DATABASE_URL": None,
    # Redirect plain HTTP to HTTPS and send HSTS (on in production: from_environment).
    "FORCE_HTTPS": False,
    # An initial (opened or reset) password not replaced within this many days no longer opens the account.
    "INITIAL_PASSWORD_DAYS": 7,
    # An order received (accepted) but unpaid more than this many days after receipt is in arrears.
    "ARREARS_DAYS": 30,
}
