"""In-app notices, mailed as well when an SMTP server is configured.

``notify`` only adds rows and queues mail on the session; the mail leaves after the outermost transaction
commits, so a rolled-back action never sends anything. Releasing a savepoint (``begin_nested``) is not
the end of the transaction: SQLAlchemy fires ``after_commit`` for it too, so the sender waits for the
outermost commit. Rolling a savepoint back drops only the mail queued inside it.
"""

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from accounts.models import Notice, User
from shop.common import N_  # noqa: F401  (re-exported for callers of notify)
from shop.extensions import db

log = logging.getLogger(__name__)

#: The key in ``Session.info`` holding the mail waiting for the commit.
OUTBOX = "notice_outbox"


@dataclass(frozen=True)
class QueuedMail:
    """A mail waiting for its transaction to commit, with the server it goes to.

    ``transaction`` is the innermost transaction open when it was queued: rolling that back (or one of
    its parents) drops the mail.
    """

    mail: EmailMessage
    host: str
    port: int
    transaction: SessionTransaction | None


def notify(users, message: str, link: str | None = None, **params) -> list[Notice]:
    """Tell each of ``users`` that ``message`` (an English msgid with ``%(name)s`` params) happened.

    Adds one ``Notice`` per user to the session (the caller commits) and, when ``MAIL_SERVER`` is set,
    queues a mail for each user with an email address; the mail is sent after the commit.
    """
    notices = []
    config = current_app.config
    for user in users:
        notice = Notice(user_id=user.id, message=message, params=params, link=link)
        db.session.add(notice)
        notices.append(notice)
        if user.email and config.get("MAIL_SERVER"):
            mail = _mail_for(user, message, params, link)
            queue_mail(db.session(), mail, config["MAIL_SERVER"], config["MAIL_PORT"])
    return notices


def render(notice: Notice) -> str:
    return gettext(notice.message, **notice.params)


def unread_count(user: User) -> int:
    """How many of the user's notices are unread, counted now."""
    return db.session.execute(_UNREAD, {"user_id": user.id}).scalar_one()


def unread_count_for_current_user() -> int:
    """The signed-in user's unread notices (every page's header shows them): as the user loader read them
    with the account (``User.loaded_unread_notices``), unless a commit or rollback expired it since."""
    if not current_user.is_authenticated:
        return 0
    loaded = current_user.loaded_unread_notices
    return unread_count(current_user) if loaded is None else loaded


#: The unread count as a column of a select from ``User`` (for ``with_expression``).
UNREAD_COUNT = (
    select(func.count(Notice.id)).where(Notice.user_id == User.id, Notice.read_at.is_(None)).scalar_subquery()
)
# Built once: building the statement anew cost more than running it.
_UNREAD = select(func.count(Notice.id)).where(
    Notice.user_id == bindparam("user_id"), Notice.read_at.is_(None)
)


def _mail_for(user: User, message: str, params: dict, link: str | None) -> EmailMessage:
    with force_locale(user.locale or "zh"):
        text = gettext(message, **params)
        subject = gettext("Poverty-relief procurement platform: %(text)s", text=text[:60])
    if link and link.startswith("/"):
        # A path alone is not clickable in a mail client. The address is the configured one, never the
        # request's: its Host header is the client's to choose, and a forged one would plant a link to
        # another site in the platform's own mail.
        link = current_app.config["PUBLIC_URL"].rstrip("/") + link
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_SENDER"]
    mail["To"] = user.email
    mail["Subject"] = subject
    mail.set_content(text + (f"\n\n{link}" if link else ""))
    return mail


def queue_mail(session: Session, mail: EmailMessage, host: str, port: int) -> None:
    """Send ``mail`` through ``host:port`` once ``session``'s outermost transaction commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(OUTBOX, []).append(QueuedMail(mail, host, port, transaction))


def send_outbox(outbox: list[EmailMessage], host: str, port: int) -> int:
    """Send the mails through one SMTP connection; returns how many the server accepted.

    Never raises for a mail problem: the notices are stored already, and a mail server that is down or
    refuses one address must not fail the user's action (it is logged instead).
    """
    sent = 0
    try:
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            for mail in outbox:
                try:
                    smtp.send_message(mail)
                except smtplib.SMTPRecipientsRefused:
                    log.warning("notice mail refused for %s", mail["To"])
                else:
                    sent += 1
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %d notice mails", len(outbox) - sent)
    return sent


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    outbox: list[QueuedMail] = session.info.pop(OUTBOX, None) or []
    servers: dict[tuple[str, int], list[EmailMessage]] = {}
    for queued in outbox:
        servers.setdefault((queued.host, queued.port), []).append(queued.mail)
    for (host, port), mails in servers.items():
        send_outbox(mails, host, port)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    outbox: list[QueuedMail] | None = session.info.get(OUTBOX)
    if not outbox:
        return
    # What the database rolled back: the nearest savepoint or the outermost transaction (a failed flush
    # reports its own inner transaction, whose rollback is that of the savepoint it sits in).
    boundary = previous_transaction
    while boundary.parent is not None and not boundary.nested:
        boundary = boundary.parent
    if not boundary.nested:
        session.info.pop(OUTBOX, None)
        return
    session.info[OUTBOX] = [q for q in outbox if not _inside(q.transaction, boundary)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without committing sends nothing, not even on a later commit.
    if transaction.parent is None:
        session.info.pop(OUTBOX, None)
