"""Okta, the OpenID provider people sign in with; only its test provider lives here (fake/)."""
