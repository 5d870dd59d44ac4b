"""The main menu at the top of every signed-in page.

An entry is shown when its endpoint exists and the user's role may open it (``policy.allowed_roles``). That
depends on the role alone, so each role's menu is worked out once (per language and script root, for the
labels and addresses) instead of asking the policy about every entry on every page. Adding an entry is one
line in ``MENU``; an endpoint that does not exist (yet) is left out.
"""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from accounts import policy

#: (endpoint, label), in menu order.
MENU = (
    ("home.index", _l("Home")),
    ("catalogue.index", _l("Catalogue")),
    ("cart.index", _l("Cart")),
    ("orders.index", _l("Orders")),
    ("invoices.index", _l("Invoices")),
    ("payments.arrears_list", _l("Arrears")),
    ("payments.owed", _l("Owed to you")),
    ("payments.refunds", _l("Refunds to pay back")),
    ("completion.index", _l("Reserved share")),
    ("filings.mine", _l("Reserved-share filing")),
    ("filing_review.queue", _l("Review filings")),
    ("reports.index", _l("Reserved-share reports")),
    ("filings.reminders", _l("Units that have not filed")),
    ("policies.index", _l("Quota policies")),
    ("products.index", _l("My products")),
    ("review.queue", _l("Product review")),
    ("review.categories", _l("Categories")),
    ("people.index", _l("Purchaser accounts")),
    ("units.index", _l("Budget units")),
    ("units.regions", _l("Regions")),
    ("suppliers.index", _l("Suppliers")),
    ("suppliers.mine", _l("My supplier")),
    ("admin.accounts", _l("Account administration")),
    ("audit.index", _l("Audit log")),
    ("tokens.index", _l("API tokens")),
)
_ENDPOINTS = frozenset(endpoint for endpoint, _ in MENU)


@dataclass(frozen=True, slots=True)
class Entry:
    endpoint: str
    url: str
    label: str
    #: The part of the endpoint before the dot (the blueprint): pages outside the menu highlight their
    #: section's ``.index`` entry.
    section: str
    is_index: bool


@dataclass(frozen=True, slots=True)
class Shown:
    """An entry as one page shows it."""

    url: str
    label: str
    active: bool


def main_menu() -> list[Shown]:
    """The current user's menu entries, the current page's highlighted: the page itself when it is in the
    menu (even one the role may not open, whose refusal highlights nothing), else its section's ``.index``
    entry. Empty for a visitor who is not signed in."""
    if not current_user.is_authenticated:
        return []
    entries = _entries(current_user.role)
    endpoint = request.endpoint or ""
    if endpoint in _ENDPOINTS:
        return [Shown(entry.url, entry.label, entry.endpoint == endpoint) for entry in entries]
    section = endpoint.split(".")[0]
    return [Shown(entry.url, entry.label, entry.section == section and entry.is_index) for entry in entries]


def _entries(role) -> tuple[Entry, ...]:
    """The role's entries with their labels in the current language, built once per app for each role,
    language and script root."""
    cache = current_app.extensions.setdefault("main_menu", {})
    key = (role, str(get_locale()), request.script_root)
    entries = cache.get(key)
    if entries is None:
        entries = cache[key] = tuple(
            Entry(
                endpoint, url_for(endpoint), str(label), endpoint.split(".")[0], endpoint.endswith(".index")
            )
            for endpoint, label in MENU
            if _may_open(role, endpoint)
        )
    return entries


def _may_open(role, endpoint: str) -> bool:
    """``policy.can_access`` for a signed-in user of ``role``."""
    allowed = policy.allowed_roles(endpoint)
    return allowed == policy.PUBLIC or (allowed is not None and role in allowed)
