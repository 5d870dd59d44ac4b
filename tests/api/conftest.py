"""Fixtures for the JSON API tests: tokens and a client that sends them."""

import pytest

from accounts.tokens import create_token
from shop.extensions import db


@pytest.fixture
def make_token():
    """``make_token(user, name="test")`` -> the token text (its row is committed, i.e. a savepoint)."""

    def make(user, name="test") -> str:
        _row, token = create_token(user, name)
        db.session.commit()
        return token

    return make


class ApiClient:
    """The Flask test client with ``Authorization: Bearer <token>`` on every call (``token=None``: none)."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        merged = dict(headers or {})
        if self.token is not None:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def get(self, path, headers=None, **kwargs):
        return self.client.get(path, headers=self._headers(headers), **kwargs)

    def post(self, path, headers=None, **kwargs):
        return self.client.post(path, headers=self._headers(headers), **kwargs)

    def open(self, path, headers=None, **kwargs):
        return self.client.open(path, headers=self._headers(headers), **kwargs)


@pytest.fixture
def api_client(client, make_token):
    """``api_client(user)`` -> an ``ApiClient`` authenticated as ``user`` (a fresh token)."""

    def make(user, token: str | None = None) -> ApiClient:
        return ApiClient(client, token or make_token(user))

    return make
