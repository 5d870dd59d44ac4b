"""Each role's home page shows what awaits the user; every package contributes panels here.

A panel is a function ``(user) -> Panel | None`` registered for some roles. Packages higher up (shop,
quotas) register theirs when the composition root imports them, so accounts never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.models import Role, User

PanelFunction = Callable[[User], "Panel | None"]
_panels: list[tuple[frozenset[Role], int, PanelFunction]] = []


@dataclass
class Panel:
    title: str
    #: How many things wait for the user; 0 shows the panel as "nothing to do".
    count: int
    link: str | None = None
    link_text: str | None = None
    #: A few (label, url-or-None) pairs to show in the panel.
    items: list[tuple[str, str | None]] = field(default_factory=list)


def home_panel(*roles: Role, order: int = 50):
    """Register a panel for users with one of ``roles`` (lower ``order`` comes first)."""

    def decorate(function: PanelFunction) -> PanelFunction:
        _panels.append((frozenset(roles), order, function))
        _panels.sort(key=lambda entry: entry[1])
        return function

    return decorate


def panels_for(user: User) -> list[Panel]:
    result = []
    for roles, _order, function in _panels:
        if user.role in roles:
            panel = function(user)
            if panel is not None:
                result.append(panel)
    return result
