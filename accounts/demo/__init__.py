"""The demo city: a deterministic 吕梁市 (Shanxi) modelled on the city report in DESIGN.md.

``flask demo load`` builds it (``accounts.demo.load.load_demo``); ``flask demo users`` prints the logins
below. Every demo account shares one documented password, so a newcomer can try each role at once.
"""

from typing import NamedTuple

from accounts.models import Role

#: The one password of every demo account (meets the password policy). Documented, so never use the demo
#: database for anything real.
DEMO_PASSWORD = "Demo@2026"


class DemoLogin(NamedTuple):
    role: Role
    username: str
    password: str = DEMO_PASSWORD


#: One login per role, in the order ``flask demo users`` prints them. The loader gives these usernames to:
#: a purchaser and the manager of 吕梁市教育局 (a supervising unit), an admitted supplier in 兴县, the
#: city's finance bureau and the platform operator.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(Role.purchaser, "demo_purchaser"),
    DemoLogin(Role.unit_manager, "demo_manager"),
    DemoLogin(Role.supplier, "demo_supplier"),
    DemoLogin(Role.finance, "demo_finance"),
    DemoLogin(Role.operator, "demo_operator"),
)


def demo_username(role: Role) -> str:
    """The demo login's username for ``role``."""
    return next(login.username for login in DEMO_LOGINS if login.role == role)
