"""Personal data encrypted at rest: bank accounts (``supplier.bank_account``, ``payment.payer_account``).

A column typed ``EncryptedString`` holds a Fernet token (AES-128-CBC + HMAC-SHA256, random IV, so the same
number encrypts differently each time); the model reads and writes the plain value. The key is ``DATA_KEY``:
one or more Fernet keys separated by commas, the first encrypting, all decrypting (to rotate: put the new key
first, re-save the rows, then drop the old one). Production refuses to start without it (shop/config.py).

Because tokens are random, such a column cannot be searched, sorted or compared in SQL: nothing does, and
nothing should (compare in Python after reading, if ever needed).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

#: Where ``init_app`` keeps the cipher of the app's ``DATA_KEY``.
EXTENSION = "data_cipher"


class DataKeyError(RuntimeError):
    """``DATA_KEY`` is missing or not a list of Fernet keys, or a stored value does not decrypt with it."""


def cipher_for(data_key: str) -> MultiFernet:
    """The cipher of a ``DATA_KEY`` value (comma-separated Fernet keys, the first one encrypting).

    :raise DataKeyError: empty, or a part is not a 32-byte url-safe base64 key.
    """
    parts = [part.strip() for part in (data_key or "").split(",") if part.strip()]
    if not parts:
        raise DataKeyError("DATA_KEY is empty")
    try:
        return MultiFernet([Fernet(part) for part in parts])
    except (ValueError, TypeError) as error:
        raise DataKeyError(
            "DATA_KEY must be Fernet keys (url-safe base64 of 32 bytes), comma-separated"
        ) from error


def init_app(app: Flask) -> None:
    """Check ``DATA_KEY`` once at start-up and keep its cipher (a bad key fails here, not on first use)."""
    app.extensions[EXTENSION] = cipher_for(app.config.get("DATA_KEY") or "")


def cipher() -> MultiFernet:
    """The current app's cipher (an app context is needed: requests, commands and migrations have one)."""
    return current_app.extensions[EXTENSION]


def encrypt(plain: str, data_cipher: MultiFernet | None = None) -> str:
    """The token of ``plain`` (ASCII text, about 100 characters for a 19-digit account)."""
    return (data_cipher or cipher()).encrypt(plain.encode()).decode("ascii")


def decrypt(token: str, data_cipher: MultiFernet | None = None) -> str:
    """The plain text of a stored token.

    :raise DataKeyError: the token was not made with any of the keys (wrong ``DATA_KEY``), or the column
        holds a plain value (a database not migrated to 0009) — never shown as if it were the value.
    """
    try:
        return (data_cipher or cipher()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise DataKeyError("a stored value does not decrypt with DATA_KEY (wrong key?)") from error


class EncryptedString(TypeDecorator):
    """A string stored encrypted; the database column is a ``VARCHAR(length)`` wide enough for the token."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else decrypt(value)
