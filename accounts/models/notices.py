"""In-app notices: what happened that a user should know about."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shop.common import utcnow
from shop.extensions import db

UNREAD = "read_at IS NULL"


class Notice(db.Model):
    __tablename__ = "notice"
    #: Every page's header counts the user's unread notices: this index holds only those, so the count reads
    #: a few entries however many notices the user has read over the years.
    __table_args__ = (
        Index(
            "ix_notice_unread",
            "user_id",
            sqlite_where=text(UNREAD),
            postgresql_where=text(UNREAD),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: An English msgid, translated when shown so each reader sees their own language.
    message: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Where the notice leads (a path inside the site), if anywhere.
    link: Mapped[str | None] = mapped_column(String(255))
    read_at: Mapped[datetime | None]
