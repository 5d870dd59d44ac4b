"""The audit chain under real concurrency: transactions committing audit entries at once (each also holding a
counter's row lock, as orders and invoices do) get one contiguous chain, without deadlock, on SQLite and
PostgreSQL (real commits on a database of their own, tests/real_world.py)."""

import pytest
from sqlalchemy import func, select

from accounts import audit
from accounts.audit_chain import verify
from accounts.models import AuditEntry, AuditSeal
from shop.counters import next_value
from shop.extensions import db
from tests.real_world import dispose, make_app, run_together

pytestmark = pytest.mark.real_commits


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = make_app(tmp_path_factory, "app_audit_chain", connections=15)
    yield app
    dispose(app)


def test_concurrent_commits_seal_one_contiguous_chain_without_deadlock(real_app):
    """Twelve threads at once, each taking a counter's row lock before writing entries over two flushes;
    every third rolls back. The head lock, taken last, never deadlocks with the counter's, and the committed
    entries get seq 1 … N with no gap."""
    threads = 12

    def work(index: int) -> int:
        next_value("audit-chain-test")
        audit.record(None, "test.concurrent", thread=index, part=1)
        db.session.flush()
        audit.record(None, "test.concurrent", thread=index, part=2)
        if index % 3 == 2:
            db.session.rollback()
            return 0
        db.session.commit()
        audit.record(None, "test.concurrent", thread=index, part=3)  # a second transaction
        db.session.commit()
        return 3

    written = sum(run_together(real_app, work, [(n,) for n in range(threads)], timeout=120))
    with real_app.app_context():
        assert written == 24
        seqs = db.session.scalars(select(AuditSeal.seq).order_by(AuditSeal.seq)).all()
        assert seqs == list(range(1, written + 1))
        assert db.session.scalar(select(func.count(AuditEntry.id))) == written
        verdict = verify(db.session)
        assert verdict.unbroken, verdict.problems
        assert verdict.entries == written and verdict.head_seq == written
