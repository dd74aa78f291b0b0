"""Roles are Django groups; every view and API endpoint names the roles it admits."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

AGENT = "agent"  # Education Services
LD_AGENT = "ld_agent"  # Learning & Development
MANAGER = "manager"
ADMIN = "admin"
ALL_ROLES = (AGENT, LD_AGENT, MANAGER, ADMIN)
ROLE_LABELS = {
    AGENT: "Agent (Education Services)",
    LD_AGENT: "L&D agent",
    MANAGER: "Manager",
    ADMIN: "Admin",
}
CONSOLE_ROLES = ALL_ROLES
REPORT_ROLES = (MANAGER, ADMIN)


def roles_of(user) -> frozenset[str]:
    """The user's role names, read once per request and kept on the user object."""
    if not user or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_edudesk_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {ADMIN}
        user._edudesk_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def role_required(*roles: str):
    """Decorator for HTML views: anonymous users go to the login page, others need a role."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: subclasses (or `allow(...)`) set `roles`."""

    roles: tuple[str, ...] = ()
    message = "Your role does not give access to this endpoint."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, *self.roles)


def allow(*roles: str) -> type[HasRole]:
    return type("Allow_" + "_".join(roles), (HasRole,), {"roles": roles})


class IsStaffRole(HasRole):
    roles = CONSOLE_ROLES


def roles_context(request) -> dict:
    user_roles = roles_of(getattr(request, "user", None))
    return {
        "user_roles": user_roles,
        "role_labels": [ROLE_LABELS[r] for r in ALL_ROLES if r in user_roles],
        "can_see_reports": bool(user_roles & set(REPORT_ROLES)),
        "can_configure": ADMIN in user_roles,
        "okta_enabled": bool(settings.OKTA_ISSUER_URL),
    }
