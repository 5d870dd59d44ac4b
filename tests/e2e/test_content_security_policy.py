"""The browser enforces the Content-Security-Policy (shop/security.py), and the console check of
tests/e2e/conftest.py sees what it blocks: run on a context of its own, outside that check."""

from playwright.sync_api import Browser

from tests.e2e.conftest import CSP_VIOLATION_MARKERS


def test_the_browser_refuses_an_injected_inline_script_and_style(browser: Browser, live_server):
    context = browser.new_context()
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        page.goto(f"{live_server}/login")
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true";
                document.body.appendChild(script);
                document.body.setAttribute("style", "background: red");
            }"""
        )
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.injected === undefined")
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
        refused = [text for text in messages if any(marker in text for marker in CSP_VIOLATION_MARKERS)]
        assert len(refused) >= 2, messages
    finally:
        context.close()
