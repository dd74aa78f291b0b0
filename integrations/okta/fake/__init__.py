"""A loopback fake of Okta as an OpenID provider (discovery, JWKS, code flow with PKCE)."""

from integrations.okta.fake.app import FakeOkta

__all__ = ["FakeOkta"]
