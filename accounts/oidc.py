"""The Okta round trip's two ends (mozilla-django-oidc's views), absent while Okta is not
configured, and a failed sign-in told on the sign-in page instead of an error page."""

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)

from edudesk import okta


class _OnlyWithOkta:
    def dispatch(self, request, *args, **kwargs):
        if not okta.is_enabled():
            raise Http404("Okta sign-in is not configured.")
        return super().dispatch(request, *args, **kwargs)


class OktaSignInView(_OnlyWithOkta, OIDCAuthenticationRequestView):
    """Sends the browser to Okta with state, nonce and a PKCE challenge kept in the session."""


class OktaCallbackView(_OnlyWithOkta, OIDCAuthenticationCallbackView):
    """Where Okta sends the browser back with a code (or an error)."""

    def get(self, request):
        if request.GET.get("error"):
            description = request.GET.get("error_description") or request.GET["error"]
            okta.record_failure(request, f"Okta answered {request.GET['error']}: {description}"[:200])
        try:
            return super().get(request)
        except SuspiciousOperation:
            # A state this browser never sent: a replayed or forged callback, or a sign-in
            # finished in another tab.
            okta.record_failure(request, "unknown state in the callback")
            return self.login_failure()

    def login_failure(self):
        reason = getattr(self.request, "okta_failure", "")
        messages.error(self.request, "Okta sign-in did not complete" +
                       (f": {reason}." if reason else ".") + " Try again, or ask an admin.")
        return redirect("login")


class OktaSignOutView(_OnlyWithOkta, OIDCLogoutView):
    """mozilla-django-oidc's session refresh expects this route to exist."""
