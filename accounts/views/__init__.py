"""The blueprints of the accounts package, registered by the composition root."""

from accounts.views.auth import bp as auth_bp
from accounts.views.home import bp as home_bp

blueprints = [auth_bp, home_bp]
