"""The tamper-evident chain over the audit log: sealing entries when their transaction commits, and verifying.

Every audit entry gets one :class:`~accounts.models.AuditSeal`: ``seq`` 1, 2, 3 … without gaps, ``prev_hash``
(the hash of seal ``seq`` - 1, or 64 zeros for the first) and ``hash``, the SHA-256 of the entry's content and
``prev_hash`` (:func:`entry_hash`). Changing an entry afterwards changes the hash its seal should have;
rewriting that seal breaks the next seal's ``prev_hash``; so a forger must rewrite every later seal and the
head, which the triggers refuse and which a copy of the head's hash kept elsewhere exposes.

Sealing is automatic: listeners on SQLAlchemy's ``Session`` class (every session: Flask-SQLAlchemy's, the
tests', scripts') remember the entries each flush inserts, and just before the outermost commit
(``before_commit``) the session flushes, locks the head row (:class:`~accounts.models.AuditChain`, id 1, with
``SELECT … FOR UPDATE``; on SQLite the write lock already serialises writers), writes the seals in entry-id
order and moves the head. The head lock is the last lock a transaction takes, held only for those few
statements, so it never waits for another lock while holding it (no deadlock with stock or counter rows),
and it commits or rolls back with the entries (a rolled-back savepoint or transaction leaves no seal and no
gap). Entries inserted in bulk through ``Session.execute(insert(AuditEntry), …)`` are noticed and sealed by
:func:`seal_unsealed` at commit; entries written around the session (raw SQL, COPY) must be sealed by calling
:func:`seal_unsealed` (or ``flask audit seal``) before committing.

:func:`verify` walks the seals in ``seq`` order in batches (constant memory, however long the log), and
reports every broken link; ``flask audit verify`` prints them.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.event import listens_for
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from accounts.models import AuditChain, AuditEntry, AuditSeal

#: ``prev_hash`` of the first seal, and the head's hash while nothing is sealed.
GENESIS = "0" * 64
#: The one row of ``audit_chain``.
HEAD_ID = 1
#: Rows read (or sealed) per statement: bounds memory and the size of an ``IN`` list.
BATCH = 5000

_entry = AuditEntry.__table__
_seal = AuditSeal.__table__
_head = AuditChain.__table__
#: The entry's content that the hash covers, in this order.
_CONTENT = (
    _entry.c.id,
    _entry.c.at,
    _entry.c.actor_id,
    _entry.c.action,
    _entry.c.object_type,
    _entry.c.object_id,
    _entry.c.details,
    _entry.c.ip,
)
#: ``session.info`` keys: ids of the entries flushed in the current transaction; a bulk insert happened.
_PENDING = "audit_chain.pending"
_BULK = "audit_chain.bulk"


class ChainMissing(RuntimeError):
    """The ``audit_chain`` head row is absent: the database predates migration 0008."""


# --- the hash ----------------------------------------------------------------------------------------------


def canonical(row: Any, prev_hash: str) -> bytes:
    """The bytes hashed for entry ``row`` (anything with the ``_CONTENT`` attributes) after ``prev_hash``.

    A JSON array with sorted keys, no spaces and UTF-8 text, of the values as the database returns them
    (sealing reads the entry back rather than trusting the objects in memory), so that sealing and
    verifying serialise alike on SQLite and PostgreSQL: ``at`` always with its microseconds.
    """
    at = row.at.isoformat(timespec="microseconds") if row.at is not None else None
    content = [
        row.id,
        at,
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.details,
        row.ip,
        prev_hash,
    ]
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(row: Any, prev_hash: str) -> str:
    """The hex SHA-256 a seal of ``row`` following ``prev_hash`` carries."""
    return hashlib.sha256(canonical(row, prev_hash)).hexdigest()


# --- sealing -----------------------------------------------------------------------------------------------


def seal(session: Session, entry_ids: Iterable[int]) -> int:
    """Seal the entries ``entry_ids`` that exist and are not sealed yet, in id order, after the head; flushes
    nothing of the caller's, never commits. Returns how many were sealed.

    Takes the head's row lock until the transaction ends: call it last, just before committing.

    :raise ChainMissing: no head row (migration 0008 not applied).
    """
    ids = sorted(set(entry_ids))
    if not ids:
        return 0
    head = session.execute(
        select(_head.c.seq, _head.c.hash).where(_head.c.id == HEAD_ID).with_for_update()
    ).one_or_none()
    if head is None:
        raise ChainMissing("the audit chain has no head row: run the database migrations")
    seq, prev_hash = head
    sealed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        entries = session.execute(
            select(*_CONTENT)
            .where(_entry.c.id.in_(chunk), ~exists().where(_seal.c.entry_id == _entry.c.id))
            .order_by(_entry.c.id)
        ).all()
        seals = []
        for row in entries:
            seq += 1
            digest = entry_hash(row, prev_hash)
            seals.append({"seq": seq, "entry_id": row.id, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
        if seals:
            session.execute(insert(_seal), seals)
            sealed += len(seals)
    if sealed:
        session.execute(update(_head).where(_head.c.id == HEAD_ID).values(seq=seq, hash=prev_hash))
    return sealed


def unsealed_ids(session: Session, after: int = 0, limit: int = BATCH) -> list[int]:
    """Up to ``limit`` ids of entries without a seal, above ``after``, in id order (an anti-join)."""
    query = (
        select(_entry.c.id)
        .where(_entry.c.id > after, ~exists().where(_seal.c.entry_id == _entry.c.id))
        .order_by(_entry.c.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def seal_unsealed(session: Session) -> int:
    """Seal every entry that has no seal, in id order, in batches; never commits. Returns how many.

    For entries written around the session's bookkeeping (bulk loads) and those written before the chain
    existed (a database upgraded to migration 0008). Takes the head lock: call it just before committing.
    """
    sealed, after = 0, 0
    while ids := unsealed_ids(session, after):
        sealed += seal(session, ids)
        after = ids[-1]
    return sealed


@listens_for(Session, "after_flush")
def _remember_new_entries(session: Session, _flush_context) -> None:
    """Note the ids of the entries this flush inserted (``session.new`` still lists them here)."""
    ids = [obj.id for obj in session.new if isinstance(obj, AuditEntry)]
    if ids:
        session.info.setdefault(_PENDING, set()).update(ids)


@listens_for(Session, "do_orm_execute")
def _notice_bulk_entries(state: ORMExecuteState) -> None:
    """Note an ``insert(AuditEntry)`` run through the session: its rows are sealed by an anti-join."""
    if state.is_insert and getattr(state.statement.table, "name", None) == _entry.name:
        state.session.info[_BULK] = True


@listens_for(Session, "before_commit")
def _seal_on_commit(session: Session) -> None:
    """Seal what this transaction wrote, last, just before the outermost commit (a savepoint's release is
    not a commit: the seals wait for the transaction's end, so the head lock is taken once and late)."""
    if session.in_nested_transaction():
        return
    session.flush()  # the commit would flush anyway; entries still pending get their ids now
    pending = session.info.pop(_PENDING, None)
    bulk = session.info.pop(_BULK, False)
    if pending:
        # Ids of entries rolled back with a savepoint are in ``pending`` too: ``seal`` skips absent rows.
        seal(session, pending)
    if bulk:
        seal_unsealed(session)


@listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back (or committed) transaction's notes must not leak into the session's next one."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_BULK, None)


# --- verifying ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One break in the chain: where (``seq`` and/or ``entry_id``, when known) and what is wrong."""

    seq: int | None
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        where = [f"seq {self.seq}" if self.seq is not None else None]
        where.append(f"entry {self.entry_id}" if self.entry_id is not None else None)
        place = ", ".join(part for part in where if part)
        return f"{place}: {self.message}" if place else self.message


@dataclass
class Verdict:
    """The outcome of :func:`verify`: seals checked, the head, how many problems were found, and the problems
    themselves when no ``report`` callback took them."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def unbroken(self) -> bool:
        return self.problem_count == 0


def verify(session: Session, report: Callable[[Problem], None] | None = None, batch: int = BATCH) -> Verdict:
    """Check the whole chain, calling ``report`` for each problem found (or listing them in the verdict);
    reads only, in batches of ``batch`` rows, so memory stays constant however long the log.

    Checks: seals numbered 1 … head without gaps; each seal's ``prev_hash`` equal to the previous seal's
    ``hash``; each seal's ``hash`` equal to the hash recomputed from its entry (which must exist); the head
    equal to the last seal; every entry sealed. The head is read first and the walk stops at it, so entries
    committed meanwhile (sealed after the head that was read) are no false alarm.
    """
    verdict = Verdict()

    def found(seq: int | None, entry_id: int | None, message: str) -> None:
        verdict.problem_count += 1
        problem = Problem(seq, entry_id, message)
        if report is not None:
            report(problem)
        else:
            verdict.problems.append(problem)

    head = session.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == HEAD_ID)).one_or_none()
    if head is None:
        found(None, None, "the chain's head row (audit_chain id 1) is missing")
        head_seq, head_hash = None, None
    else:
        head_seq, head_hash = head
        verdict.head_seq, verdict.head_hash = head_seq, head_hash

    seals = _seal.outerjoin(_entry, _entry.c.id == _seal.c.entry_id)
    columns = (_seal.c.seq, _seal.c.entry_id, _seal.c.prev_hash, _seal.c.hash, *_CONTENT)
    expected, prev_hash = 1, GENESIS
    while True:
        query = select(*columns).select_from(seals).where(_seal.c.seq >= expected)
        if head_seq is not None:
            query = query.where(_seal.c.seq <= head_seq)
        rows = session.execute(query.order_by(_seal.c.seq).limit(batch)).all()
        for row in rows:
            if row.seq != expected:
                gap = (
                    f"seal {expected} is"
                    if row.seq == expected + 1
                    else f"seals {expected}..{row.seq - 1} are"
                )
                found(row.seq, row.entry_id, f"{gap} missing before this one")
            elif row.prev_hash != prev_hash:
                found(row.seq, row.entry_id, "prev_hash differs from the previous seal's hash")
            if row.id is None:
                found(row.seq, row.entry_id, "the sealed audit entry is missing (deleted)")
            elif entry_hash(row, row.prev_hash) != row.hash:
                found(row.seq, row.entry_id, "the entry's content does not match its hash (altered)")
            verdict.entries += 1
            expected, prev_hash = row.seq + 1, row.hash
        if len(rows) < batch:
            break
    last = expected - 1
    if head_seq is not None:
        if head_seq != last:
            found(head_seq, None, f"the head is at seq {head_seq} but the last seal is seq {last}")
        elif head_hash != prev_hash:
            found(head_seq, None, "the head's hash differs from the last seal's hash")

    after = 0
    while ids := unsealed_ids(session, after, batch):
        for entry_id in ids:
            found(None, entry_id, "the audit entry has no seal")
        after = ids[-1]
    return verdict
