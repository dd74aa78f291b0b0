"""Okta sign-in: OpenID Connect users get their roles from Okta group names."""

from django.conf import settings
from django.contrib.auth.models import Group
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .roles import ALL_ROLES


def roles_from_claims(claims: dict) -> set[str]:
    """Okta groups named in OKTA_ROLE_GROUPS ("okta-group=role,...") map to EduDesk roles."""
    mapping = settings.OKTA_ROLE_GROUPS
    return {mapping[g] for g in claims.get("groups", []) if mapping.get(g) in ALL_ROLES}


class OktaBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        return self.UserModel.objects.filter(email__iexact=email) if email else \
            self.UserModel.objects.none()

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(
            username=claims.get("preferred_username") or claims["email"],
            email=claims["email"], first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""))
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        # Okta is the source of truth for roles: each sign-in brings them up to date.
        wanted = roles_from_claims(claims)
        role_groups = Group.objects.filter(name__in=ALL_ROLES)
        user.groups.remove(*[g for g in role_groups if g.name not in wanted])
        user.groups.add(*[g for g in role_groups if g.name in wanted])
        return user
