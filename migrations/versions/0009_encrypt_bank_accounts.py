"""bank accounts encrypted at rest

``supplier.bank_account`` and ``payment.payer_account`` (widened to 255 by 0008) now hold Fernet tokens made
with ``DATA_KEY`` (shop/crypto.py); the models read them through ``EncryptedString``. Upgrade encrypts the
plain values (8 to 34 digits, as every form and import checks them); downgrade decrypts the tokens. Either
way a value already in the target form is left alone, so a half-finished run can be run again. Run with the
same ``DATA_KEY`` the app will use (``flask db upgrade`` reads the app's configuration).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from shop.crypto import cipher_for

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ENCRYPTED = (("supplier", "bank_account"), ("payment", "payer_account"))
#: Rows updated per statement batch: bounded memory whatever the table size.
BATCH = 1000


def upgrade():
    cipher = cipher_for(current_app.config["DATA_KEY"])
    _convert(lambda value: cipher.encrypt(value.encode()).decode("ascii"), plain=True)


def downgrade():
    cipher = cipher_for(current_app.config["DATA_KEY"])
    _convert(lambda value: cipher.decrypt(value.encode("ascii")).decode(), plain=False)


def _convert(change, *, plain: bool) -> None:
    """Apply ``change`` to every value that is plain digits (``plain``) or is not (a token)."""
    bind = op.get_bind()
    for table_name, column_name in ENCRYPTED:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, sa.String))
        column = table.c[column_name]
        last_id = 0
        while True:
            rows = bind.execute(
                sa.select(table.c.id, column).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)
            ).all()
            if not rows:
                break
            last_id = rows[-1].id
            changed = [
                {"row_id": row.id, "value": change(row[1])}
                for row in rows
                if row[1] is not None and row[1].isdigit() == plain
            ]
            if changed:
                bind.execute(
                    table.update()
                    .where(table.c.id == sa.bindparam("row_id"))
                    .values({column_name: sa.bindparam("value")}),
                    changed,
                )
