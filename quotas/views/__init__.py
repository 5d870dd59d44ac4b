"""The reserved-share pages: every blueprint of quotas, registered by the composition root."""

from quotas.views.filing_views import bp as filings_bp
from quotas.views.policy_views import bp as policies_bp
from quotas.views.report_views import bp as reports_bp
from quotas.views.review_views import bp as filing_review_bp
from quotas.views.unit_views import bp as completion_bp

blueprints: list = [policies_bp, filings_bp, filing_review_bp, reports_bp, completion_bp]
