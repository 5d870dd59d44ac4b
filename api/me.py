"""``GET /api/v1/me``: who the token belongs to (the smallest endpoint; a template for others)."""

import marshmallow as ma

from api.auth import current_api_user
from api.core import ApiBlueprint

blp = ApiBlueprint("api_me", __name__, description="The account the token belongs to")


class MeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.Function(lambda user: user.role.value, required=True, metadata={"type": "string"})
    unit_id = ma.fields.Integer(allow_none=True, required=True)
    supplier_id = ma.fields.Integer(allow_none=True, required=True)
    region_id = ma.fields.Integer(allow_none=True, required=True)


@blp.route("/me")
@blp.auth()
@blp.response(200, MeSchema)
def me():
    """The account the token belongs to: its role and organisation."""
    return current_api_user()
