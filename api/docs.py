"""The OpenAPI document (``/api/v1/openapi.json``) and a docs page rendered from it on the server
(``/api/v1/docs``: no script, no CDN)."""

from flask import Blueprint, jsonify, render_template

from accounts import policy
from api.core import PREFIX, app_api

bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)

_METHODS = ("get", "post", "put", "patch", "delete")


@bp.route("/openapi.json")
@policy.public
def openapi_json():
    """The OpenAPI document, generated from the endpoints' code and schemas."""
    return jsonify(app_api().spec.to_dict())


@bp.route("/docs")
@policy.public
def docs():
    """Every operation with its parameters, body and answers, and the schemas, from the document."""
    spec = app_api().spec.to_dict()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                parameters = item.get("parameters", []) + operation.get("parameters", [])
                operations.append(
                    {"method": method.upper(), "path": path, "op": operation, "parameters": parameters}
                )
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=operations,
        schemas=spec.get("components", {}).get("schemas", {}),
    )


def schema_name(schema: dict | None) -> str:
    """A schema reference's short name, or its type, for the docs page."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {schema_name(schema.get('items'))}"
    kind = schema.get("type", "object")
    return " | ".join(kind) if isinstance(kind, list) else kind


bp.add_app_template_filter(schema_name, "schema_name")
