"""Signing in and staying safe: lockouts, idle sessions, API tokens, access requests, the audit view."""
