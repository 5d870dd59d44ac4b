"""The tamper-evident audit log: entries are sealed into a hash chain when their transaction commits, and
``flask audit verify`` proves the chain unbroken or names the seq and entry of every break.

Tampering tests switch the append-only triggers off inside the test's transaction (rolled back afterwards):
on PostgreSQL ``ALTER TABLE … DISABLE TRIGGER`` (or ``session_replication_role = replica``, which also lifts
the foreign keys), on SQLite ``DROP TRIGGER`` (SQLite's DDL is transactional) and deferred foreign keys.
"""

import itertools
from datetime import datetime

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from accounts import audit
from accounts.audit_chain import GENESIS, Problem, canonical, entry_hash, seal_unsealed, verify
from accounts.cli import SEAL_ACTION
from accounts.models import AuditChain, AuditEntry, AuditSeal, Role
from shop.extensions import db

_serial = itertools.count(1)


def head() -> tuple[int, str]:
    return tuple(db.session.execute(select(AuditChain.seq, AuditChain.hash).where(AuditChain.id == 1)).one())


def seal_of(entry_id: int) -> AuditSeal | None:
    return db.session.scalar(select(AuditSeal).where(AuditSeal.entry_id == entry_id))


def write(count: int, **details) -> list[AuditEntry]:
    """``count`` entries recorded and committed (into the test's transaction), sealed by the commit."""
    entries = [audit.record(None, f"test.entry{next(_serial)}", **details) for _ in range(count)]
    db.session.commit()
    return entries


def problems() -> list[Problem]:
    verdict = verify(db.session)
    assert verdict.problem_count == len(verdict.problems)
    return verdict.problems


def dialect() -> str:
    return db.session.get_bind().dialect.name


def allow_changes(table: str) -> None:
    """Lift the append-only trigger(s) of ``table`` until the test's transaction rolls back."""
    if dialect() == "postgresql":
        db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change"))
    else:
        db.session.execute(text(f"DROP TRIGGER {table}_no_update"))
        db.session.execute(text(f"DROP TRIGGER {table}_no_delete"))


def lift_foreign_keys() -> None:
    """Let a sealed entry be deleted (its seal refers to it) until the test's transaction rolls back."""
    if dialect() == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))  # no triggers, no FKs
    else:
        db.session.execute(text("PRAGMA defer_foreign_keys = ON"))  # checked at a COMMIT that never comes
        allow_changes("audit_entry")


# --- the hash ----------------------------------------------------------------------------------------------


class Row:
    def __init__(self, **values):
        self.__dict__.update(values)


def row(**changes) -> Row:
    values = {
        "id": 7,
        "at": datetime(2026, 11, 29, 12, 0, 0),
        "actor_id": None,
        "action": "supplier.admit",
        "object_type": "supplier",
        "object_id": 3,
        "details": {"名称": "兴县合作社", "amount": "12.50", "a": [1, 2.5, None]},
        "ip": "10.0.0.1",
    }
    return Row(**(values | changes))


def test_the_serialisation_is_canonical_json_with_microseconds_and_the_previous_hash():
    assert (
        canonical(row(), GENESIS)
        == (
            '[7,"2026-11-29T12:00:00.000000",null,"supplier.admit","supplier",3,'
            '{"a":[1,2.5,null],"amount":"12.50","名称":"兴县合作社"},"10.0.0.1","' + GENESIS + '"]'
        ).encode()
    )
    assert entry_hash(row(), GENESIS) == entry_hash(
        row(details={"amount": "12.50", "a": [1, 2.5, None], "名称": "兴县合作社"}), GENESIS
    )


@pytest.mark.parametrize(
    "change",
    [
        {"id": 8},
        {"at": datetime(2026, 11, 29, 12, 0, 0, 1)},
        {"actor_id": 1},
        {"action": "supplier.reject"},
        {"object_type": "user_account"},
        {"object_id": 4},
        {"details": {"amount": "12.51"}},
        {"ip": "10.0.0.2"},
    ],
)
def test_every_field_of_the_entry_and_the_previous_hash_change_the_hash(change):
    assert entry_hash(row(**change), GENESIS) != entry_hash(row(), GENESIS)
    assert entry_hash(row(), "1" * 64) != entry_hash(row(), GENESIS)


# --- sealing -----------------------------------------------------------------------------------------------


def test_entries_written_by_views_are_sealed_when_the_request_commits(client, login_as, users, make_user):
    seq_before, _hash = head()
    manager = users[Role.unit_manager]
    buyer = make_user(Role.purchaser, unit=manager.unit)
    login_as(manager)  # account.login, committed by the login view
    response = client.post(f"/people/{buyer.id}/reset-password")
    assert response.status_code == 200
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries][-2:] == ["account.login", "account.reset_password"]
    seals = [seal_of(entry.id) for entry in entries]
    assert [seal.seq for seal in seals] == list(range(seq_before + 1, seq_before + len(entries) + 1))
    assert seals[0].prev_hash == _hash
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(seals))
    assert head() == (seals[-1].seq, seals[-1].hash)
    assert problems() == []


def test_a_rolled_back_transaction_leaves_no_seal_and_the_head_where_it_was():
    write(2)
    before = head()
    entry = audit.record(None, "test.rolled_back")
    db.session.flush()
    entry_id = entry.id
    db.session.rollback()
    assert head() == before and seal_of(entry_id) is None
    (kept,) = write(1)
    assert seal_of(kept.id).seq == before[0] + 1
    assert problems() == []


def test_a_rolled_back_savepoint_takes_its_entries_but_not_the_others_of_the_transaction():
    before = head()
    first = audit.record(None, "test.kept")
    savepoint = db.session.begin_nested()
    audit.record(None, "test.dropped")
    db.session.flush()
    savepoint.rollback()
    last = audit.record(None, "test.kept_too")
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEntry.action).join(AuditSeal, AuditSeal.entry_id == AuditEntry.id)
    )
    assert sorted(actions) == ["test.kept", "test.kept_too"]
    assert [seal_of(first.id).seq, seal_of(last.id).seq] == [before[0] + 1, before[0] + 2]
    assert problems() == []


def test_a_released_savepoint_is_not_a_commit_the_seal_comes_with_the_transaction_commit():
    before = head()
    with db.session.begin_nested():
        entry = audit.record(None, "test.in_savepoint")
    assert seal_of(entry.id) is None and head() == before  # no head lock taken mid-transaction
    db.session.commit()
    assert seal_of(entry.id).seq == before[0] + 1


def test_entries_inserted_in_bulk_through_the_session_are_sealed_at_commit():
    write(1)
    db.session.execute(insert(AuditEntry), [{"action": "test.bulk", "details": {"n": n}} for n in range(5)])
    db.session.commit()
    bulk = db.session.scalars(select(AuditEntry.id).where(AuditEntry.action == "test.bulk")).all()
    assert len(bulk) == 5 and all(seal_of(entry_id) is not None for entry_id in bulk)
    assert problems() == []


def test_details_of_every_json_kind_and_microseconds_survive_the_round_trip():
    db.session.add(
        AuditEntry(
            at=datetime(2026, 1, 2, 3, 4, 5, 678901),
            action="test.kinds",
            details={
                "float": 0.1,
                "big": 10**15 + 1,
                "zh": "吕梁市",
                "nested": {"b": [True, None], "a": 1.0},
            },
        )
    )
    db.session.add(AuditEntry(at=datetime(2026, 1, 2, 3, 4, 5), action="test.whole_second", details={}))
    db.session.commit()
    assert problems() == []


# --- verifying: what tampering looks like -------------------------------------------------------------------


def test_an_altered_entry_is_caught_at_its_seq(app):
    first, altered, last = write(3, amount="10.00")
    allow_changes("audit_entry")
    db.session.execute(
        update(AuditEntry.__table__).where(AuditEntry.id == altered.id).values(details={"amount": "1000.00"})
    )
    seq = seal_of(altered.id).seq
    assert problems() == [Problem(seq, altered.id, "the entry's content does not match its hash (altered)")]
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"broken: seq {seq}, entry {altered.id}: the entry's content does not match" in result.output
    assert "chain BROKEN: 1 problems" in result.output


def test_an_entry_rewritten_with_a_recomputed_seal_is_caught_at_the_next_seal():
    _first, forged, after = write(3)
    allow_changes("audit_entry")
    allow_changes("audit_seal")
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.id == forged.id).values(ip="6.6.6.6"))
    seal = db.session.execute(select(AuditSeal.__table__).where(AuditSeal.entry_id == forged.id)).one()
    entry = db.session.execute(select(AuditEntry.__table__).where(AuditEntry.id == forged.id)).one()
    db.session.execute(
        update(AuditSeal.__table__)
        .where(AuditSeal.seq == seal.seq)
        .values(hash=entry_hash(entry, seal.prev_hash))
    )
    assert problems() == [
        Problem(seal.seq + 1, after.id, "prev_hash differs from the previous seal's hash"),
    ]


def test_a_seal_pointing_to_a_wrong_prev_hash_is_caught():
    _first, second, _third = write(3)
    allow_changes("audit_seal")
    seq = seal_of(second.id).seq
    db.session.execute(update(AuditSeal.__table__).where(AuditSeal.seq == seq).values(prev_hash="f" * 64))
    found = problems()
    assert Problem(seq, second.id, "prev_hash differs from the previous seal's hash") in found
    assert {problem.seq for problem in found} == {seq}


def test_a_deleted_seal_is_caught_as_a_gap_and_an_unsealed_entry():
    _first, unsealed, third = write(3)
    seq = seal_of(unsealed.id).seq
    allow_changes("audit_seal")
    db.session.execute(delete(AuditSeal.__table__).where(AuditSeal.seq == seq))
    assert problems() == [
        Problem(seq + 1, third.id, f"seal {seq} is missing before this one"),
        Problem(None, unsealed.id, "the audit entry has no seal"),
    ]


def test_a_deleted_entry_is_caught_at_its_seal():
    _first, deleted, _third = write(3)
    seq = seal_of(deleted.id).seq
    lift_foreign_keys()
    db.session.execute(delete(AuditEntry.__table__).where(AuditEntry.id == deleted.id))
    assert problems() == [Problem(seq, deleted.id, "the sealed audit entry is missing (deleted)")]


def test_the_newest_entry_deleted_with_its_seal_is_caught_by_the_head():
    *_earlier, newest = write(3)
    seq = seal_of(newest.id).seq
    allow_changes("audit_seal")
    lift_foreign_keys()
    db.session.execute(delete(AuditSeal.__table__).where(AuditSeal.seq == seq))
    db.session.execute(delete(AuditEntry.__table__).where(AuditEntry.id == newest.id))
    assert problems() == [Problem(seq, None, f"the head is at seq {seq} but the last seal is seq {seq - 1}")]


def test_a_head_moved_by_hand_is_caught():
    write(2)
    seq, _hash = head()
    db.session.execute(update(AuditChain.__table__).where(AuditChain.id == 1).values(hash="0" * 64))
    assert problems() == [Problem(seq, None, "the head's hash differs from the last seal's hash")]


def test_the_walk_in_small_batches_checks_the_links_across_batches_too():
    entries = write(7)
    whole = verify(db.session, batch=2)
    assert whole.unbroken and whole.entries == head()[0]
    allow_changes("audit_seal")
    seq = seal_of(entries[4].id).seq  # the first of a batch when the walk reads two at a time from seq 1
    db.session.execute(update(AuditSeal.__table__).where(AuditSeal.seq == seq).values(prev_hash="e" * 64))
    verdict = verify(db.session, batch=2)
    assert Problem(seq, entries[4].id, "prev_hash differs from the previous seal's hash") in verdict.problems


def test_the_walk_reads_the_seals_a_batch_at_a_time(count_queries):
    for count in (3, 14):
        write(count)
        sealed = head()[0]
        with count_queries() as queries:
            verdict = verify(db.session, batch=4)
        assert verdict.unbroken and verdict.entries == sealed
        # The head, one statement per batch of seals (the last one short, maybe empty), the anti-join.
        assert len(queries) == 1 + (sealed // 4 + 1) + 1


# --- the commands ------------------------------------------------------------------------------------------


def test_flask_audit_verify_says_unbroken_and_exits_0(app):
    write(4)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    assert f"chain unbroken: {total} entries (head seq {head()[0]}, hash {head()[1]})" in result.output


def test_entries_written_around_the_session_are_reported_then_sealed_by_flask_audit_seal(app):
    write(2)
    db.session.connection().exec_driver_sql(
        "INSERT INTO audit_entry (at, action, details)"
        " VALUES ('2026-11-29 12:00:00.000000', 'test.raw', '{}')"
    )
    db.session.commit()
    raw = db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "test.raw"))
    assert problems() == [Problem(None, raw, "the audit entry has no seal")]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1
    result = runner.invoke(args=["audit", "seal"])
    assert result.exit_code == 0 and "1 audit entries sealed." in result.output
    assert problems() == []
    record = db.session.scalar(select(AuditEntry).where(AuditEntry.action == SEAL_ACTION))
    assert record.details == {"entries": 1, "first_entry": raw, "last_entry": raw}
    assert seal_of(record.id) is not None
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_seal_unsealed_on_a_sealed_log_changes_nothing():
    write(2)
    before = head()
    assert seal_unsealed(db.session) == 0
    assert head() == before


def test_the_demo_city_loaded_by_the_command_verifies_unbroken(app):
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "chain unbroken" in result.output
