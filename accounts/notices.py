"""In-app notices, mailed as well when an SMTP server is configured.

``notify`` only adds rows and queues mail on the session; the mail leaves after the transaction commits,
so a rolled-back action never sends anything.
"""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from accounts.models import Notice, User
from shop.common import N_  # noqa: F401  (re-exported for callers of notify)
from shop.extensions import db

log = logging.getLogger(__name__)


def notify(users, message: str, link: str | None = None, **params) -> list[Notice]:
    """Tell each of ``users`` that ``message`` (an English msgid with ``%(name)s`` params) happened."""
    notices = []
    for user in users:
        notice = Notice(user_id=user.id, message=message, params=params, link=link)
        db.session.add(notice)
        notices.append(notice)
        if user.email and current_app.config.get("MAIL_SERVER"):
            db.session.info.setdefault("outbox", []).append(_mail_for(user, message, params, link))
    return notices


def render(notice: Notice) -> str:
    return gettext(notice.message, **notice.params)


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notice.id)).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    )


def unread_count_for_current_user() -> int:
    if not current_user.is_authenticated:
        return 0
    return unread_count(current_user)


def _mail_for(user: User, message: str, params: dict, link: str | None) -> EmailMessage:
    with force_locale(user.locale or "zh"):
        text = gettext(message, **params)
        subject = gettext("Poverty-relief procurement platform: %(text)s", text=text[:60])
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_SENDER"]
    mail["To"] = user.email
    mail["Subject"] = subject
    mail.set_content(text + (f"\n\n{link}" if link else ""))
    return mail


def send_outbox(outbox: list[EmailMessage], host: str, port: int) -> None:
    try:
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            for mail in outbox:
                smtp.send_message(mail)
    except (OSError, smtplib.SMTPException):
        # The notices are stored already; a mail server that is down must not fail the user's action.
        log.exception("could not send %d notice mails", len(outbox))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    outbox = session.info.pop("outbox", None)
    if outbox:
        config = current_app.config
        send_outbox(outbox, config["MAIL_SERVER"], config["MAIL_PORT"])


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session):
    session.info.pop("outbox", None)
