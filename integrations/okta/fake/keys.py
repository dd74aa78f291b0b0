"""The fake provider's signing key: a fresh RSA key per run, its JWKS, and RS256 ID tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class SigningKey:
    """An RSA key made at start (never stored), published in the JWKS under `kid`."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_urlsafe(12)

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict[str, Any], *, tamper: bool = False) -> str:
        """An RS256 JWT of `claims`; `tamper` changes one signature byte afterwards, as a
        token altered in transit would arrive."""
        token = jwt.encode(claims, self.private_key, algorithm="RS256",
                           headers={"kid": self.kid})
        if not tamper:
            return token
        head, body, signature = token.split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[len(raw) // 2] ^= 0x01
        return ".".join([head, body, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")])


def s256(verifier: str) -> str:
    """PKCE's S256 code challenge of a code verifier (RFC 7636, 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
