"""Password sign-in: behind django-axes' lock, and off altogether when PASSWORD_LOGIN is."""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class PasswordBackend(AxesStandaloneBackend, ModelBackend):
    """Username and password, checked only while neither the account nor the address is
    locked, so a locked attempt costs no password hashing at all.

    One backend for the lock and the password (instead of axes' backend plus Django's) so
    that permission checks and session look-ups run once.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None or not settings.PASSWORD_LOGIN:
            return None  # an Okta callback, or password sign-in switched off
        try:
            AxesStandaloneBackend.authenticate(self, request, username=username,
                                               password=password, **kwargs)
        except AxesBackendPermissionDenied:
            # Refused by the lock, not by the password: the sign-in receivers log it without
            # recording another failure (see accounts.signals).
            request.refused_while_locked = True
            raise
        return ModelBackend.authenticate(self, request, username=username, password=password,
                                         **kwargs)
