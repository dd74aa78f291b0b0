"""`python -m integrations.okta.fake`: serve a fake Okta OpenID provider on loopback until stopped."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from integrations.fakes import cli
from integrations.okta.fake import FakeOkta


def build(a: argparse.Namespace, knobs: dict[str, Any]) -> FakeOkta:
    knobs.pop("token")  # the client secret has its own option here
    fake = FakeOkta(client_id=a.client_id, client_secret=a.client_secret,
                    redirect_uris=set(a.redirect_uri) or None, **knobs)
    for entry in a.user:
        email, _, groups = entry.partition(":")
        fake.add_user(email, groups=[g for g in groups.split(",") if g],
                      given_name=email.split("@")[0].title(), password=a.password)
    return fake


def announce(fake: FakeOkta, a: argparse.Namespace) -> Iterable[str]:
    yield f"OKTA_ISSUER_URL={fake.issuer} OKTA_CLIENT_ID={a.client_id} " \
          f"OKTA_CLIENT_SECRET={a.client_secret}"
    for login, user in fake.users.items():
        yield f"user {login}: groups {', '.join(user['groups']) or '(none)'}"


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Serve a fake Okta: OpenID discovery, JWKS, the authorization-code flow "
                   "with PKCE, RS256 ID tokens and userinfo.",
                   prog="python -m integrations.okta.fake")
    p.add_argument("--client-id", default="edudesk")
    p.add_argument("--client-secret", default="fake-okta-secret")
    p.add_argument("--redirect-uri", action="append", default=[], metavar="URI",
                   help="a registered sign-in redirect URI (repeatable; default: any)")
    p.add_argument("--user", action="append", default=[], metavar="EMAIL[:GROUP,GROUP]",
                   help="a person in the directory and their Okta groups (repeatable)")
    p.add_argument("--password", default=None,
                   help="the password every --user signs in with (default: any)")
    cli.run(p, build, argv, announce)


if __name__ == "__main__":
    main()
