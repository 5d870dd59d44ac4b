"""Reviewing a submitted filing in two stages (DESIGN.md rule 3).

A unit with a supervising unit (``BudgetUnit.parent``): its parent's manager endorses (submitted →
endorsed) or returns it; then a finance bureau whose region's subtree holds the unit approves (endorsed →
approved) or returns it. A unit without a supervising unit goes straight to the finance bureau.

Each decision locks the version's row and checks that it still waits for this reviewer, so a decision made
from a stale page (someone decided in between) is refused instead of applied twice. The unit's managers are
told of every decision (``accounts.notices``). Functions flush, never commit.
"""

from datetime import date

from sqlalchemy import select

from accounts import audit
from accounts.models import Role, User
from accounts.notices import notify
from quotas import access
from quotas.access import Reviewer
from quotas.filing.errors import QuotaError
from quotas.models import FilingStatus, QuotaFiling
from shop.common import N_, lock_row, utcnow
from shop.extensions import db

#: The longest return reason kept (the form says so too).
REASON_MAX = 500


class ReviewError(QuotaError):
    """A review decision was refused; nothing changed. ``field`` names the form field at fault, if any."""


def approve(actor: User, filing: QuotaFiling, *, today: date, link: str | None = None) -> QuotaFiling:
    """The reviewer's approval: the supervising unit's manager endorses (→ endorsed, on to the finance
    bureau), the finance bureau approves (→ approved, locked). The unit's managers are told, with ``link``
    (the filing's page) in the notice.

    :raise ReviewError: ``actor`` does not review this unit; the version no longer (or not yet) waits for
        ``actor``.
    """
    stage = _lock_and_check(actor, filing)
    now = utcnow()
    if stage == Reviewer.supervisor:
        filing.status = FilingStatus.endorsed
        filing.endorsed_by = actor
        filing.endorsed_at = now
        action = "quota_filing.endorse"
        message = N_(
            "Your reserved-share filing for %(year)s (version %(version)s) was endorsed by the supervising"
            " unit and now waits for the finance bureau."
        )
    else:
        filing.status = FilingStatus.approved
        filing.approved_by = actor
        filing.approved_at = now
        action = "quota_filing.approve"
        message = N_("Your reserved-share filing for %(year)s (version %(version)s) was approved.")
    db.session.flush()
    audit.record(actor, action, filing, unit=filing.unit.code, year=filing.year, version=filing.version)
    notify(_managers(filing), message, link=link, year=filing.year, version=filing.version)
    return filing


def return_filing(
    actor: User, filing: QuotaFiling, reason: str, *, today: date, link: str | None = None
) -> QuotaFiling:
    """Send the version back to the unit with ``reason`` for refiling (→ returned); the unit refiles as a
    new version. The unit's managers are told, with the reason.

    :raise ReviewError: no reason, or one too long; as ``approve``.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(
            N_("Give the reason for returning the filing, so the unit knows what to change."), "reason"
        )
    if len(reason) > REASON_MAX:
        raise ReviewError(
            N_("The reason is too long (at most %(max)s characters)."), "reason", max=REASON_MAX
        )
    _lock_and_check(actor, filing)
    filing.status = FilingStatus.returned
    filing.returned_by = actor
    filing.returned_at = utcnow()
    filing.return_reason = reason
    db.session.flush()
    audit.record(
        actor,
        "quota_filing.return",
        filing,
        unit=filing.unit.code,
        year=filing.year,
        version=filing.version,
        reason=reason,
    )
    notify(
        _managers(filing),
        N_("Your reserved-share filing for %(year)s (version %(version)s) was returned: %(reason)s"),
        link=link,
        year=filing.year,
        version=filing.version,
        reason=reason,
    )
    return filing


def _lock_and_check(actor: User, filing: QuotaFiling) -> Reviewer:
    stage = access.reviewer_of(actor, filing.unit)
    if stage is None:
        raise ReviewError(N_("You do not review the filings of %(name)s."), name=filing.unit.name)
    lock_row(filing)
    expected = access.stage_status(stage, filing.unit)
    if filing.status == expected:
        return stage
    if stage == Reviewer.finance and filing.status == FilingStatus.submitted:
        raise ReviewError(
            N_(
                "Version %(version)s of the filing of %(name)s first waits for its supervising unit's review."
            ),
            version=filing.version,
            name=filing.unit.name,
        )
    raise ReviewError(
        N_(
            "Version %(version)s of the filing of %(name)s no longer waits for your review: it is %(status)s"
            " now. The page you decided on was out of date."
        ),
        version=filing.version,
        name=filing.unit.name,
        status=filing.status,
    )


def _managers(filing: QuotaFiling) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.unit_id == filing.unit_id, User.role == Role.unit_manager, User.enabled.is_(True)
            )
        )
    )
