"""Invoices, credit notes and order documents (filled in by the invoices work)."""

from flask import Blueprint

bp = Blueprint("invoices", __name__)
