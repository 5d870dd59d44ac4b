"""The marketplace's part of the demo city: ~600 products of the demo suppliers and a handful of orders.

``register()`` adds the marketplace's step to ``flask demo load`` (the composition root calls it: accounts,
which owns the loader, never imports shop).
"""


def register() -> None:
    """Append the marketplace step to the demo loader's steps (idempotent)."""
    from accounts.demo.load import register_step
    from shop.demo.load import add_marketplace

    register_step(add_marketplace)
