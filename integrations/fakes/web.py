"""Requests and responses as fakes see them: parsed WSGI input in, status, headers and bytes out."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

Headers = list[tuple[str, str]]


class Response(NamedTuple):
    status: int
    headers: Headers
    body: bytes

    def with_headers(self, headers: Headers) -> Response:
        return self._replace(headers=[*self.headers, *headers])


def json_response(status: int, payload: Any, headers: Headers | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, [("Content-Type", "application/json; charset=utf-8"),
                             *(headers or [])], body)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8",
                  headers: Headers | None = None) -> Response:
    return Response(status, [("Content-Type", content_type), *(headers or [])], text.encode())


def empty_response(status: int = 204, headers: Headers | None = None) -> Response:
    return Response(status, list(headers or []), b"")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """The JSON value of `body`, refusing what real JSON parsers refuse (bad UTF-8, NaN,
    Infinity) with ValueError; Python's json module would otherwise accept the constants."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("body is not UTF-8") from exc
    return json.loads(text, parse_constant=_no_constants)


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as a dict (last value of a repeated name
    wins); raises ValueError on bytes that are not UTF-8 or pairs without '='."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("malformed form body") from exc
    return dict(pairs)


def int_param(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """query[name] as an int clamped to [lo, hi]; ValueError if it is not an integer."""
    try:
        value = int(query.get(name, default))
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer") from exc
    return min(max(value, lo), hi)


@dataclass(frozen=True)
class Request:
    """One HTTP request; header names are lower-case, `path` is percent-decoded."""

    method: str
    path: str
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(cls, method: str, target: str, headers: Mapping[str, str] | None = None,
              body: bytes = b"") -> Request:
        """A request from a raw target ("/path?query"), for calling a fake without a socket."""
        split = urlsplit(target)
        return cls(method.upper(), unquote(split.path), split.query,
                   {k.lower(): v for k, v in (headers or {}).items()}, body)

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        headers = {key[5:].replace("_", "-").lower(): value
                   for key, value in environ.items() if key.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        # PEP 3333 hands PATH_INFO over as latin-1-decoded bytes; undo that to get UTF-8 back.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        return cls(environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""), headers,
                   body)

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string))  # blank values count as absent

    @property
    def content_type(self) -> str:
        """The media type alone, lower-case: 'application/json' for 'Application/JSON; a=b'."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def host_url(self) -> str:
        """'http://<Host header>', so links point where the client connected; '' without one."""
        host = self.headers.get("host")
        return f"http://{host}" if host else ""

    def json(self) -> Any:
        return parse_json(self.body)

    def form(self) -> dict[str, str]:
        return parse_form(self.body)

    def bearer_token(self) -> str | None:
        scheme, _, cred = self.headers.get("authorization", "").partition(" ")
        return (cred.strip() or None) if scheme.lower() == "bearer" else None

    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) from a Basic Authorization header, or None if absent or garbled."""
        scheme, _, cred = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, secret = base64.b64decode(cred, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return (user, secret) if sep else None
