"""The blueprints of the accounts package, registered by the composition root."""

from accounts.views.admin import bp as admin_bp
from accounts.views.audit import bp as audit_bp
from accounts.views.auth import bp as auth_bp
from accounts.views.home import bp as home_bp
from accounts.views.people import bp as people_bp
from accounts.views.suppliers import bp as suppliers_bp
from accounts.views.tokens import bp as tokens_bp
from accounts.views.units import bp as units_bp

blueprints = [auth_bp, home_bp, suppliers_bp, people_bp, audit_bp, units_bp, admin_bp, tokens_bp]
