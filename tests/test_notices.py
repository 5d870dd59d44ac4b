"""In-app notices and their mail: sent after the outermost commit only, through a real SMTP server.

The tests' sessions commit by releasing a savepoint on a connection whose outer transaction is rolled back
(conftest). SQLAlchemy fires ``after_commit`` for that release exactly as for a real COMMIT (the session's
own outermost transaction ended), so the sending path is the production one; one test also commits for
real, on a separate engine.
"""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts import notices
from accounts.models import Notice, Region, RegionLevel, Role, SupplierStatus, User
from shop.common import N_
from shop.extensions import db

MESSAGE = N_("Supplier %(name)s applied for admission and awaits your recommendation.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """An aiosmtpd handler keeping every envelope it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


@pytest.fixture
def smtp():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.port = controller.port
    yield collector
    controller.stop()


@pytest.fixture
def mail_on(app, smtp, monkeypatch):
    """The app mails notices through the test SMTP server."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
    monkeypatch.setitem(app.config, "MAIL_SENDER", "platform@example.org")
    return smtp


@pytest.fixture
def reader(make_user, users):
    return make_user(Role.purchaser, unit=users[Role.purchaser].unit, email="reader@example.org", locale="en")


# --- mail after commit -------------------------------------------------------------------------------------


def test_a_committed_notice_is_mailed(mail_on, reader):
    notices.notify([reader], MESSAGE, link="/suppliers/1", name="兴县合作社")
    assert mail_on.envelopes == []  # nothing leaves before the commit
    db.session.commit()
    assert [e.rcpt_tos for e in mail_on.envelopes] == [["reader@example.org"]]
    (mail,) = mail_on.messages()
    assert mail["From"] == "platform@example.org"
    assert "兴县合作社" in mail["Subject"]
    body = mail.get_content()
    assert "Supplier 兴县合作社 applied for admission" in body  # the reader's own language (English)
    assert "/suppliers/1" in body


def test_no_mail_without_a_mail_server(app, smtp, reader, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
    notices.notify([reader], MESSAGE, name="x")
    db.session.commit()
    assert smtp.envelopes == []
    assert db.session.scalar(select(Notice).where(Notice.user_id == reader.id)) is not None


def test_no_mail_to_a_user_without_an_address(mail_on, users):
    notices.notify([users[Role.operator]], MESSAGE, name="x")
    db.session.commit()
    assert mail_on.envelopes == []


def test_no_mail_after_a_rollback(mail_on, reader):
    notices.notify([reader], MESSAGE, name="x")
    db.session.rollback()
    db.session.commit()
    assert mail_on.envelopes == []


def test_a_released_savepoint_does_not_send_before_the_outer_commit(mail_on, reader):
    # SQLAlchemy fires after_commit when a savepoint is released too; the outer transaction may still fail.
    with db.session.begin_nested():
        notices.notify([reader], MESSAGE, name="inner")
    assert mail_on.envelopes == []
    db.session.rollback()
    db.session.commit()
    assert mail_on.envelopes == []


def test_a_rolled_back_savepoint_drops_only_its_own_mail(mail_on, reader, make_user, users):
    other = make_user(Role.purchaser, unit=users[Role.purchaser].unit, email="other@example.org")
    notices.notify([reader], MESSAGE, name="kept")
    with pytest.raises(ValueError), db.session.begin_nested():
        notices.notify([other], MESSAGE, name="dropped")
        raise ValueError
    db.session.commit()
    assert [e.rcpt_tos for e in mail_on.envelopes] == [["reader@example.org"]]


def test_a_failed_flush_in_a_savepoint_keeps_the_mail_queued_before_it(mail_on, reader):
    notices.notify([reader], MESSAGE, name="kept")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Region(code=reader.unit.region.code, name="duplicate", level=RegionLevel.city))
        db.session.flush()
    db.session.commit()
    assert [e.rcpt_tos for e in mail_on.envelopes] == [["reader@example.org"]]


def test_send_outbox_sends_every_mail(smtp, app):
    with app.test_request_context():
        mails = [
            notices._mail_for(_Addressee(f"u{n}@example.org"), MESSAGE, {"name": n}, None) for n in range(3)
        ]
    assert notices.send_outbox(mails, "127.0.0.1", smtp.port) == 3
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [
        "u0@example.org",
        "u1@example.org",
        "u2@example.org",
    ]


def test_a_real_commit_on_a_separate_engine_sends_and_a_closed_session_does_not(smtp, app):
    engine = create_engine("sqlite://")
    with app.test_request_context():
        mail = notices._mail_for(_Addressee("real@example.org"), MESSAGE, {"name": "x"}, None)
    try:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            notices.queue_mail(session, mail, "127.0.0.1", smtp.port)
            session.commit()  # a real COMMIT, not a savepoint release
        assert [e.rcpt_tos for e in smtp.envelopes] == [["real@example.org"]]

        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            notices.queue_mail(session, mail, "127.0.0.1", smtp.port)
            session.close()  # ended without a commit: the mail is forgotten
            session.execute(text("SELECT 1"))
            session.commit()
        assert len(smtp.envelopes) == 1
    finally:
        engine.dispose()


def test_a_mail_server_that_is_down_does_not_fail_the_sending(app):
    with app.test_request_context():
        mail = notices._mail_for(_Addressee("down@example.org"), MESSAGE, {"name": "x"}, None)
    assert notices.send_outbox([mail], "127.0.0.1", free_port()) == 0


class _Addressee:
    def __init__(self, address: str):
        self.email, self.locale = address, "en"


# --- through the views -------------------------------------------------------------------------------------


@pytest.fixture
def applicant(make_supplier, make_user):
    supplier = make_supplier(status=SupplierStatus.applied)
    make_user(Role.supplier, supplier=supplier, email="farm@example.org", locale="en")
    return supplier


def test_a_recommendation_mails_the_supplier(mail_on, applicant, users, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://cg.example.org")
    response = login_as(users[Role.finance]).post(f"/suppliers/{applicant.id}/recommend", data={"reason": ""})
    assert response.status_code == 302
    assert applicant.status == SupplierStatus.recommended
    (mail,) = [m for m in mail_on.messages() if m["To"] == "farm@example.org"]
    # An address on the configured site, not a bare path.
    assert f"https://cg.example.org/suppliers/{applicant.id}" in mail.get_content()


def test_mail_links_use_the_public_url_never_the_requests_host(mail_on, applicant, users, login_as, app):
    """A forged Host header must not plant a link to another site in the platform's own mail."""
    client = login_as(users[Role.finance])
    # The session cookie goes along to the forged host, as a client forging the header would send it.
    cookie = client.get_cookie("session", domain="localhost")
    client.set_cookie("session", cookie.value, domain="evil.example.com")
    response = client.post(
        f"/suppliers/{applicant.id}/recommend", data={"reason": ""}, headers={"Host": "evil.example.com"}
    )
    assert response.status_code == 302
    (mail,) = [m for m in mail_on.messages() if m["To"] == "farm@example.org"]
    body = mail.get_content()
    assert "evil.example.com" not in body
    assert f"{app.config['PUBLIC_URL']}/suppliers/{applicant.id}" in body
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5000"  # the default


def test_mail_links_need_no_request(mail_on, reader, app):
    """A notice sent outside any request (a command, a job) still gets a full address."""
    with app.app_context():
        mail = notices._mail_for(reader, MESSAGE, {"name": "x"}, "/suppliers/7")
    assert "http://127.0.0.1:5000/suppliers/7" in mail.get_content()


def test_a_mail_server_that_is_down_does_not_fail_the_action(app, applicant, users, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    response = login_as(users[Role.finance]).post(f"/suppliers/{applicant.id}/recommend", data={"reason": ""})
    assert response.status_code == 302
    assert applicant.status == SupplierStatus.recommended
    supplier_user = db.session.scalar(select(User).where(User.supplier_id == applicant.id))
    assert db.session.scalar(select(Notice).where(Notice.user_id == supplier_user.id)) is not None


def test_the_notice_list_shows_the_notice_in_english(reader, login_as):
    notices.notify([reader], MESSAGE, link="/notices", name="Farm-7")
    db.session.commit()
    client = login_as(reader)
    client.post("/lang/en")
    page = client.get("/notices")
    assert page.status_code == 200
    assert "Supplier Farm-7 applied for admission and awaits your recommendation." in page.get_data(
        as_text=True
    )


def test_marking_a_notice_read(reader, login_as):
    (notice,) = notices.notify([reader], MESSAGE, link="/notices", name="x")
    (unlinked,) = notices.notify([reader], MESSAGE, name="y")
    db.session.commit()
    assert notices.unread_count(reader) == 2
    client = login_as(reader)
    response = client.post(f"/notices/{notice.id}/read")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notices"
    assert db.session.get(Notice, notice.id).read_at is not None
    assert notices.unread_count(reader) == 1
    assert client.post("/notices/read-all").status_code == 302
    assert db.session.get(Notice, unlinked.id).read_at is not None
    assert notices.unread_count(reader) == 0


def test_another_users_notice_is_not_found(reader, users, login_as):
    (notice,) = notices.notify([reader], MESSAGE, name="x")
    db.session.commit()
    client = login_as(users[Role.purchaser])
    assert client.post(f"/notices/{notice.id}/read").status_code == 404
    assert db.session.get(Notice, notice.id).read_at is None
