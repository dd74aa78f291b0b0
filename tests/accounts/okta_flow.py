"""The OpenID Connect round trip driven without a browser: EduDesk's test client on one side,
the fake Okta over real HTTP on the other."""

from urllib.parse import parse_qs, urlsplit

import requests


def sign_in(client, fake, login: str, password: str = ""):
    """Start at EduDesk, sign in at (fake) Okta, come back with the code; EduDesk's answer to
    the callback is returned, as are the parameters EduDesk sent to Okta (`.authorize`)."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302, start
    authorize_url = start["Location"]
    assert authorize_url.startswith(fake.issuer + "/oauth2/v1/authorize?")
    form = requests.get(authorize_url, timeout=5, allow_redirects=False)
    assert form.status_code == 200 and "Fake Okta sign-in" in form.text, form.text
    back = requests.post(f"{fake.issuer}/oauth2/v1/authorize", timeout=5, allow_redirects=False,
                         data={"authorize_query": urlsplit(authorize_url).query,
                               "username": login, "password": password})
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    response.authorize = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    return response
