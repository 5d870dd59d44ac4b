"""``flask quotas …``: reports and the ledger check."""

from flask.cli import AppGroup

quotas_cli = AppGroup("quotas", help="Reserved shares: reports and the purchase-ledger check.")
