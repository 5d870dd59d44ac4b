"""The reserved-share pages: every blueprint of quotas, registered by the composition root."""

blueprints: list = []
