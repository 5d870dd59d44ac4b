"""Every error under /api/ is JSON ``{code, message, details}`` with the right status, never a page."""

from accounts.models import Role


def test_unknown_path_and_method(api_client, users):
    api = api_client(users[Role.purchaser])
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    response = api.open("/api/v1/me", method="DELETE")
    assert response.status_code == 405
    assert response.json["code"] == "method_not_allowed"


def test_malformed_json(api_client, users):
    response = api_client(users[Role.purchaser]).post(
        "/api/v1/orders", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["code"] == "malformed_json"


def test_wrong_types_and_unknown_fields(api_client, users):
    api = api_client(users[Role.purchaser])
    response = api.post(
        "/api/v1/orders",
        json={"lines": [{"product_id": "one", "quantity": 1.5}], "delivery": {"address": 3}, "extra": True},
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"
    fields = response.json["details"]["json"]
    assert set(fields["lines"]["0"]) == {"product_id", "quantity"}
    assert "extra" in fields
    assert "address" in fields["delivery"]


def test_bad_query_parameter(api_client, users):
    response = api_client(users[Role.purchaser]).get("/api/v1/products?limit=1000&colour=red")
    assert response.status_code == 422
    assert set(response.json["details"]["query"]) == {"limit", "colour"}


def test_web_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_openapi_document_and_docs_page_are_public(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"/api/v1/orders" in response.data
    assert b"<script" not in response.data
