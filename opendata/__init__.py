"""Open data: the platform's orders published in the Open Contracting Data Standard (OCDS) 1.1.

One contracting process per order (see ``opendata.releases`` for how an order maps onto a release and
why), packaged per year and region (``opendata.package``), read in batches (``opendata.loading``), written
with exact amounts (``opendata.encoding``), validated against the standard's schemas kept in
``opendata/schema`` (``opendata.schema.validator``). ``flask ocds export`` writes a package
(``opendata.cli``); the API serves the same releases page by page (``api/ocds.py``).

May import accounts, shop and quotas; none of them imports this package.
"""

import os
import re

from flask import Flask

#: "ocds-" and six letters or digits, as the Open Contracting Partnership assigns prefixes.
PREFIX = re.compile(r"ocds-[a-z0-9]{6}")

#: Settings and their defaults; each may be set in the environment of the same name.
DEFAULTS = {
    # A registered publisher has its own prefix from the Open Contracting Partnership ("ocds-" and six
    # characters); this default only marks data as coming from an unregistered installation.
    "OCDS_OCID_PREFIX": "ocds-cgfp00",
    "OCDS_PUBLISHER_NAME": "脱贫地区农副产品采购平台",
    "OCDS_PLATFORM_NAME": "脱贫地区农副产品采购平台",
    # The licence of the published data (a URL), e.g. https://creativecommons.org/licenses/by/4.0/.
    "OCDS_LICENSE": "",
    "OCDS_PUBLICATION_POLICY": "",
}


def init_app(app: Flask) -> None:
    """Settings (environment over defaults; a value the app was created with wins) and the CLI group."""
    from opendata.cli import ocds_cli
    from shop.config import ConfigError

    for key, default in DEFAULTS.items():
        app.config.setdefault(key, os.environ.get(key, default))
    if not PREFIX.fullmatch(app.config["OCDS_OCID_PREFIX"]):
        raise ConfigError(
            f"OCDS_OCID_PREFIX must be 'ocds-' and six lowercase letters or digits, "
            f"not {app.config['OCDS_OCID_PREFIX']!r}"
        )
    app.cli.add_command(ocds_cli)
