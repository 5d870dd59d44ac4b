"""The OCDS 1.1.5 schemas kept beside this file, and a validator that never reaches the network.

The release package schema refers to the release schema by its public URL; ``validator()`` registers the
local copy under that URL (a ``referencing`` registry), so validation works on an offline intranet.
"""

import json
from functools import cache
from pathlib import Path

#: The folder of the schema files (with the standard's licence).
FOLDER = Path(__file__).resolve().parent / "ocds-1.1.5"
#: The URL the package schema's ``releases.items.$ref`` names.
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


def load(name: str) -> dict:
    """A schema file of the folder, parsed (``release-schema.json``, ``release-package-schema.json``)."""
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


@cache
def validator():
    """A Draft 4 validator of release packages (``jsonschema``, a test and tooling dependency: imported
    here, not at module level). ``validator().iter_errors(package)`` lists what is wrong."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    release = load("release-schema.json")
    package = load("release-package-schema.json")
    registry = Registry().with_resources(
        [
            (RELEASE_SCHEMA_URL, Resource.from_contents(release, default_specification=DRAFT4)),
            (package["id"], Resource.from_contents(package, default_specification=DRAFT4)),
        ]
    )
    return Draft4Validator(package, registry=registry)
