"""Release packages (OCDS 1.1): a year's orders, of a region's units or of the whole platform.

- ``iter_releases(year, region)``: the releases one by one, read in batches (``opendata.loading``): memory
  stays bounded and the number of queries grows with the batches, never with the orders.
- ``release_package(year, region, published=…, uri_base=…)``: the whole package as a dict (amounts as
  ``Decimal``: write it with ``opendata.encoding``), for tests and small exports.
- ``write_package(out, year, region, …)``: the same package written to a text stream release by release,
  for the ~25,000 orders of a city's year.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import urlencode

from flask import current_app

from accounts.models import Region
from opendata import encoding
from opendata.loading import BATCH_SIZE, batches
from opendata.releases import release, timestamp

#: The OCDS version the packages follow (the schemas in ``opendata/schema/ocds-1.1.5``).
VERSION = "1.1"
#: Party scale (``parties[].details.scale``) comes from this extension in OCDS 1.1.
SCALE_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_partyDetails_scale_extension/"
    "master/extension.json"
)


@dataclass(frozen=True)
class Settings:
    """What the publisher configures (``OCDS_*`` settings, ``PUBLIC_URL``)."""

    prefix: str
    platform: str
    publisher: str
    public_url: str
    license: str | None = None
    publication_policy: str | None = None


def settings() -> Settings:
    """The publisher's settings from the application's configuration."""
    config = current_app.config
    return Settings(
        prefix=config["OCDS_OCID_PREFIX"],
        platform=config["OCDS_PLATFORM_NAME"],
        publisher=config["OCDS_PUBLISHER_NAME"],
        public_url=config["PUBLIC_URL"].rstrip("/"),
        license=config.get("OCDS_LICENSE") or None,
        publication_policy=config.get("OCDS_PUBLICATION_POLICY") or None,
    )


def iter_releases(
    year: int, region: Region | None = None, *, config: Settings | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[dict]:
    """The release of every order placed in Beijing's calendar ``year`` by a unit of ``region``'s subtree
    (every unit when None), in order of the orders' ids."""
    config = config or settings()
    for batch in batches(year, region, batch_size):
        for order in batch:
            yield release(
                order, prefix=config.prefix, platform=config.platform, verify_base=config.public_url
            )


def release_page(
    year: int,
    region: Region | None = None,
    *,
    after: int = 0,
    limit: int = 100,
    config: Settings | None = None,
) -> tuple[list[dict], int | None]:
    """The releases of up to ``limit`` orders of ``year`` (and ``region``) with an id above ``after``, and
    the id to continue after (None on the last page): one batch, a fixed number of queries."""
    config = config or settings()
    batch = next(batches(year, region, limit + 1, after=after), [])
    page = batch[:limit]
    releases = [
        release(order, prefix=config.prefix, platform=config.platform, verify_base=config.public_url)
        for order in page
    ]
    return releases, page[-1].id if len(batch) > limit else None


def package_uri(uri_base: str, year: int, region: Region | None, **more) -> str:
    """The address of the package of ``year`` (and ``region``) under ``uri_base``: the API's, which serves
    the same releases."""
    query = {"year": year}
    if region is not None:
        query["region"] = region.code
    query.update({key: value for key, value in more.items() if value is not None})
    return f"{uri_base.rstrip('/')}/api/v1/ocds/releases?{urlencode(query)}"


def package_metadata(
    year: int, region: Region | None, *, published: datetime, uri_base: str, config: Settings | None = None
) -> dict:
    """Everything of the package but its releases, in the schema's order."""
    config = config or settings()
    if published.tzinfo is not None:
        published = published.astimezone(UTC).replace(tzinfo=None)
    metadata = {
        "uri": package_uri(uri_base, year, region),
        "version": VERSION,
        "extensions": [SCALE_EXTENSION],
        "publishedDate": timestamp(published),
        "publisher": {"name": config.publisher},
    }
    if config.license:
        metadata["license"] = config.license
    if config.publication_policy:
        metadata["publicationPolicy"] = config.publication_policy
    return metadata


def release_package(year: int, region: Region | None = None, *, published: datetime, uri_base: str) -> dict:
    """The package of every release of ``year`` (and ``region``) as one dict. An empty year gives an empty
    ``releases`` list, which the schema refuses (``minItems`` 1): callers say "nothing to publish"."""
    config = settings()
    package = package_metadata(year, region, published=published, uri_base=uri_base, config=config)
    package["releases"] = list(iter_releases(year, region, config=config))
    return package


def write_releases(out: TextIO, metadata: dict, releases: Iterable[dict]) -> int:
    """Write the package of ``metadata`` and ``releases`` to ``out`` as JSON, one release at a time;
    returns how many releases were written."""
    out.write(encoding.dumps(metadata)[:-1])  # the object stays open for the releases
    out.write(',"releases":[')
    count = 0
    for item in releases:
        if count:
            out.write(",\n")
        out.write(encoding.dumps(item))
        count += 1
    out.write("]}\n")
    return count


def write_package(
    out: TextIO, year: int, region: Region | None = None, *, published: datetime, uri_base: str
) -> int:
    """Write the package of ``year`` (and ``region``) to ``out``, release by release (memory bounded);
    returns the number of releases."""
    config = settings()
    metadata = package_metadata(year, region, published=published, uri_base=uri_base, config=config)
    return write_releases(out, metadata, iter_releases(year, region, config=config))
