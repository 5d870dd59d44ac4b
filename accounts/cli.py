"""Command-line tools: ``flask users …`` and ``flask demo …``.

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

from accounts import services
from accounts.demo import DEMO_LOGINS
from accounts.demo.load import load_demo
from accounts.models import Role
from shop.common import N_, DomainError
from shop.extensions import db

users_cli = AppGroup("users", help="Manage platform accounts.")
demo_cli = AppGroup("demo", help="The demo city.")


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
