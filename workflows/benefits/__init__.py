"""Tier benefits that exist [000 §4.1]: popular routes with priority booking, campaigns, member events."""
