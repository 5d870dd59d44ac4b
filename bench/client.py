"""A minimal browser for the benchmarks: one ``http.client`` connection, the session cookie kept, the form's
CSRF token read from the page. Standard library only, so the benchmark needs nothing beyond the app's own
requirements."""

import http.client
import re
import time
from urllib.parse import urlencode

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.cookie: str | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict[str, str], str]:
        """Send one request; returns (status, headers, body). Redirects are not followed."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A sync gunicorn worker closes the connection after each response; open a new one.
                self.connection.close()
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def csrf_token(self, page: str) -> str:
        match = _CSRF.search(page)
        if not match:
            raise RuntimeError("no csrf_token on the page")
        return match.group(1)

    def log_in(self, username: str, password: str) -> None:
        """Sign in through the login form; raises unless the app redirects to the home page."""
        _, _, page = self.request("GET", "/login")
        status, headers, _ = self.request(
            "POST",
            "/login",
            {"username": username, "password": password, "csrf_token": self.csrf_token(page)},
        )
        if status != 302 or headers.get("location", "").rstrip("/").endswith("login"):
            raise RuntimeError(f"login of {username} failed: {status}")


def wait_until_up(host: str, port: int, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server on {host}:{port} did not answer {path}")
        time.sleep(0.3)
