"""Recording payments and refunds from the order page (filled in by the payments work)."""

from flask import Blueprint

bp = Blueprint("payments", __name__)
