"""Command-line tools: ``flask users …`` and ``flask demo …``."""

import time

import click
from flask.cli import AppGroup

from accounts import services
from accounts.demo import DEMO_LOGINS
from accounts.demo.load import load_demo
from accounts.models import Role
from shop.common import DomainError
from shop.extensions import db

users_cli = AppGroup("users", help="Manage platform accounts.")
demo_cli = AppGroup("demo", help="The demo city.")


@users_cli.command("create-operator")
@click.argument("username")
@click.option("--name", default="平台运营", help="Display name.")
def create_operator(username: str, name: str) -> None:
    """Open a platform operator account and print its initial password (changed at first login)."""
    try:
        _user, initial = services.create_user(None, username=username, name=name, role=Role.operator)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{username}\t{initial}")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo city (吕梁市) into an empty database; does nothing if it is already loaded."""
    started = time.perf_counter()
    try:
        result = load_demo()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
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
