"""Command-line tools: ``flask users …``, ``flask demo …`` and ``flask audit …``.

Everything these commands print is English, refusals included: a ``DomainError`` ends the command with
its message rendered as the web pages render it (``translated()``) under the English locale, so its
parameters are filled in and enumeration members shown by their names ("Unit manager", not "unit_manager"),
e.g. ``Error: The username admin is already taken.``
"""

import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from accounts import audit, audit_chain, services
from accounts.demo import DEMO_LOGINS
from accounts.demo.load import load_demo
from accounts.models import AuditSeal, Role
from shop.common import N_, DomainError
from shop.extensions import db

users_cli = AppGroup("users", help="Manage platform accounts.")
demo_cli = AppGroup("demo", help="The demo city.")
audit_cli = AppGroup("audit", help="The audit log's tamper-evident chain.")

#: The audit action of ``flask audit seal``.
SEAL_ACTION = "audit.seal"


class DemoRefusedInProduction(DomainError):
    pass


def refusal(error: DomainError) -> click.ClickException:
    """The command's error for ``error``: its message in English, parameters filled in."""
    with force_locale("en"):
        return click.ClickException(error.translated())


@users_cli.command("create-operator")
@click.argument("username")
@click.option("--name", default="平台运营", help="Display name.")
def create_operator(username: str, name: str) -> None:
    """Open a platform operator account and print its initial password (changed at first login)."""
    try:
        _user, initial = services.create_user(None, username=username, name=name, role=Role.operator)
    except DomainError as error:
        db.session.rollback()
        raise refusal(error) from error
    db.session.commit()
    click.echo(f"{username}\t{initial}")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo city (吕梁市) into an empty database; does nothing if it is already loaded.

    Refused in production (``SHOP_ENV=production``): every demo account's password is published.
    """
    if current_app.config.get("PRODUCTION"):
        raise refusal(
            DemoRefusedInProduction(
                N_(
                    "The demo city is never loaded in production: the password of every demo account is"
                    " public."
                )
            )
        )
    started = time.perf_counter()
    try:
        result = load_demo()
    except DomainError as error:
        db.session.rollback()
        raise refusal(error) from error
    if not result.loaded:
        click.echo("The demo city is already loaded; nothing changed.")
        return
    db.session.commit()
    counts = result.counts
    click.echo(
        f"Demo city loaded in {time.perf_counter() - started:.1f} s: {counts['counties']} counties"
        f" ({counts['poverty_counties']} poverty counties), {counts['budget_units']} budget units,"
        f" {counts['unit_managers']} unit managers, {counts['purchasers']} purchasers,"
        f" {counts['suppliers']} suppliers ({counts['suppliers_admitted']} admitted)."
        " `flask demo users` prints the logins."
    )


@demo_cli.command("users")
def demo_users() -> None:
    """Print the demo logins, one per line: role, username and password separated by tabs."""
    for login in DEMO_LOGINS:
        click.echo(f"{login.role.value}\t{login.username}\t{login.password}")


@audit_cli.command("verify")
@click.option("--show", default=100, show_default=True, help="Print at most this many problems (all count).")
def audit_verify(show: int) -> None:
    """Prove the audit log unbroken: every entry sealed, every seal's hash matching its entry and the seal
    before it, seq 1 … N without gaps, the head at the last seal. Reads in batches (constant memory).

    Prints ``chain unbroken: N entries`` and the head's hash (keep a copy elsewhere: it pins the whole log),
    or each problem (seq, entry id, what is wrong) and exits with status 1.
    """
    shown = 0

    def report(problem: audit_chain.Problem) -> None:
        nonlocal shown
        if shown < show:
            click.echo(f"broken: {problem}")
        shown += 1

    verdict = audit_chain.verify(db.session, report)
    if verdict.unbroken:
        head = f"head seq {verdict.head_seq}, hash {verdict.head_hash}"
        click.echo(f"chain unbroken: {verdict.entries} entries ({head})")
        return
    if verdict.problem_count > show:
        click.echo(f"… and {verdict.problem_count - show} more")
    click.echo(f"chain BROKEN: {verdict.problem_count} problems, {verdict.entries} seals checked")
    raise SystemExit(1)


@audit_cli.command("seal")
def audit_seal() -> None:
    """Seal the audit entries that have no seal yet, in id order: entries written before the chain existed
    (a database upgraded to migration 0008), or inserted around the session (raw SQL bulk loads).

    Run ``flask audit verify`` first: this blesses whatever unsealed rows the table holds. The run is itself
    audited (``audit.seal``, with the number of entries and their id range).
    """
    first = next(iter(audit_chain.unsealed_ids(db.session, limit=1)), None)
    count = audit_chain.seal_unsealed(db.session)
    if count:
        last = db.session.scalar(select(AuditSeal.entry_id).order_by(AuditSeal.seq.desc()).limit(1))
        audit.record(None, SEAL_ACTION, entries=count, first_entry=first, last_entry=last)
    db.session.commit()
    click.echo(f"{count} audit entries sealed.")
