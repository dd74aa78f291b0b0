"""DRF authentication with EduDesk's API tokens (`Authorization: Token <key>`)."""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .tokens import token_for_key


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing and 401 challenge, with tokens that expire and can be revoked."""

    def authenticate_credentials(self, key):
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token
