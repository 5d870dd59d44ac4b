"""``flask orders …``: periodic order housekeeping (run from cron or a systemd timer)."""

import click
from flask.cli import AppGroup

from shop.extensions import db
from shop.orders.transitions import AUTO_CLOSE_AFTER, close_received_orders

orders_cli = AppGroup("orders", help="Order housekeeping.")


@orders_cli.command("close-received")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=AUTO_CLOSE_AFTER.days,
    show_default=True,
    help="Close orders accepted more than this many days ago.",
)
def close_received(days: int) -> None:
    """Close the orders whose goods were accepted more than DAYS days ago (each gets its event and audit
    entry; returns can no longer be asked for). Safe to run as often as you like."""
    from datetime import timedelta

    closed = close_received_orders(after=timedelta(days=days))
    db.session.commit()
    click.echo(f"closed {closed} order(s) accepted more than {days} day(s) ago")
