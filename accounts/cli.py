"""Command-line tools: ``flask users …`` and ``flask demo …``."""

import click
from flask.cli import AppGroup

from accounts import services
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
