"""The OpenAPI document is valid and describes the API; schemathesis sends generated requests (valid and
invalid) to every operation of the app in-process and finds no server error.

Bounded: a few examples per operation and mode (``SCHEMATHESIS_EXAMPLES``, default 10), no deadline, so
that the whole run stays well under a minute and a half on either database.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from accounts.models import Role

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))


def test_document_is_valid_openapi(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path in (
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/ship",
        "/api/v1/orders/{order_id}/receive",
        "/api/v1/orders/{order_id}/cancel",
        "/api/v1/orders/{order_id}/payment",
        "/api/v1/me",
    ):
        assert path in paths, path
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    # Money is a string in every schema, never a number.
    assert document["components"]["schemas"]["Order"]["properties"]["total"]["type"] == "string"


@pytest.fixture
def api_schema(app, users, make_product, make_order, make_token):
    """The document as schemathesis loads it from the app, with some data for generated ids to find."""
    product = make_product(supplier=users[Role.supplier].supplier, stock=1000)
    make_order({product: 1})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def bearer(users, make_token):
    """The header for each operation: the supplier's token for shipping, the purchaser's for the rest."""
    purchaser = make_token(users[Role.purchaser])
    supplier = make_token(users[Role.supplier])
    return lambda path: {"Authorization": f"Bearer {supplier if path.endswith('/ship') else purchaser}"}


def test_no_server_error(api_schema, bearer):
    """Every operation in turn (schemathesis' pytest integration, ``from_fixture``, does not run under
    pytest 9: it reads a private attribute pytest removed), each with its own bounded Hypothesis run."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    failures = []
    for operation in operations:
        # Valid requests, then invalid ones (wrong types, missing and unknown fields): 4xx, never 5xx.
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            def run(case):
                case.call_and_validate(headers=bearer(case.path), checks=[not_a_server_error])

            try:
                run()
            except Exception as error:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)
