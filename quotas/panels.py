"""Home-page panels of reserved shares: the filing reminder of a unit's manager, the review queue of
supervising units and finance bureaus, and finance's count of units that have not filed.

Imported by ``quotas.views.filing_views`` (so the panels exist whenever the blueprints do). Each panel runs
a fixed number of queries whatever the number of units or filings.
"""

from datetime import date

from flask import url_for
from flask_babel import gettext as _

from accounts.home import Panel, home_panel
from accounts.models import Role, User
from quotas.filing import queries, services
from quotas.models import FilingStatus
from quotas.rules import counting_filing, effective_policy
from shop.common import beijing_today


def deadline_text(deadline: date, today: date) -> str:
    """ "12 days left (deadline 2026-03-31)", "due today", or "3 days overdue (deadline …)"."""
    days = (deadline - today).days
    if days > 0:
        return _("%(days)s days left (deadline %(date)s)", days=days, date=deadline.isoformat())
    if days == 0:
        return _("Due today (deadline %(date)s)", date=deadline.isoformat())
    return _("%(days)s days overdue (deadline %(date)s)", days=-days, date=deadline.isoformat())


def filing_reminder(user: User, today: date) -> Panel | None:
    """For a unit manager: this year's (and, if its deadline is near, next year's) filing, when the unit has
    not submitted one and the deadline is at most ``REMINDER_DAYS`` away or past, or when its newest
    version was returned."""
    unit = user.unit
    items: list[tuple[str, str | None]] = []
    for year in (today.year, today.year + 1):
        link = url_for("filings.page", unit_id=unit.id, year=year)
        newest = services.newest_version(unit.id, year)
        if newest is not None and newest.status == FilingStatus.returned:
            items.append(
                (
                    _(
                        "%(year)s: version %(version)s was returned for refiling",
                        year=year,
                        version=newest.version,
                    ),
                    link,
                )
            )
            continue
        policy = effective_policy(unit.region, year)
        days = (policy.filing_deadline - today).days
        if days > queries.REMINDER_DAYS or counting_filing(unit.id, year) is not None:
            continue
        items.append(
            (
                _(
                    "%(year)s: not submitted yet, %(when)s",
                    year=year,
                    when=deadline_text(policy.filing_deadline, today),
                ),
                link,
            )
        )
    if not items:
        return None
    return Panel(
        title=_("Reserved-share filing"),
        count=len(items),
        link=url_for("filings.mine"),
        link_text=_("File the reserved share"),
        items=items,
    )


@home_panel(Role.unit_manager, order=15)
def unit_filing(user: User) -> Panel | None:
    return filing_reminder(user, beijing_today())


@home_panel(Role.unit_manager, Role.finance, order=16)
def filings_to_review(user: User) -> Panel | None:
    """Finance always sees its queue; a unit manager only when a subordinate unit's filing waits."""
    count = queries.count_waiting(user)
    if user.role == Role.unit_manager and not count:
        return None
    return Panel(
        title=_("Filings waiting for your review"),
        count=count,
        link=url_for("filing_review.queue"),
        link_text=_("Review filings"),
    )


@home_panel(Role.finance, order=17)
def units_not_filed(user: User) -> Panel:
    today = beijing_today()
    cap = 1000
    count = queries.count_unfiled(user, today.year, cap=cap)
    policy = effective_policy(user.region, today.year)
    items = [(deadline_text(policy.filing_deadline, today), None)]
    if count >= cap:
        items.append((_("%(count)s or more units: the count stops there.", count=cap), None))
    return Panel(
        title=_("Units that have not filed for %(year)s", year=today.year),
        count=count,
        link=url_for("filings.reminders", year=today.year),
        link_text=_("Units that have not filed"),
        items=items,
    )
