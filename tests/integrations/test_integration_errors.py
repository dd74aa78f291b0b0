"""error_from_response maps upstream responses to the shared error classes."""

from __future__ import annotations

import json

import pytest
import requests

from integrations.errors import (
    ConflictError,
    PermanentError,
    RateLimited,
    TransientError,
    UpstreamError,
    error_from_response,
)


def response(status: int, body: str | dict = "", headers: dict[str, str] | None = None
             ) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.reason = "Reason"
    resp.encoding = "utf-8"
    resp._content = (json.dumps(body) if isinstance(body, dict) else body).encode()
    resp.headers.update(headers or {})
    return resp


def test_429_plain_text_with_retry_after():
    err = error_from_response(response(429, "Rate limited, retry after 7 seconds",
                                       {"Retry-After": "7", "Content-Type": "text/plain"}))
    assert isinstance(err, RateLimited) and isinstance(err, UpstreamError)
    assert err.retry_after == 7.0 and err.status == 429
    assert err.message == "Rate limited, retry after 7 seconds"


@pytest.mark.parametrize("header, expected", [(None, 1.0), ("soon", 1.0), ("0.5", 0.5)])
def test_429_retry_after_default_and_fractions(header, expected):
    headers = {"Retry-After": header} if header else {}
    assert error_from_response(response(429, "", headers)).retry_after == expected


def test_409_json_is_conflict_with_code():
    err = error_from_response(response(409, {"error": "UpdateConflict",
                                             "description": "Safe Update prevented it"}))
    assert isinstance(err, ConflictError)
    assert err.code == "UpdateConflict" and err.message == "UpdateConflict: Safe Update prevented it"


def test_422_message_includes_details():
    err = error_from_response(response(422, {
        "error": "RecordInvalid", "description": "Record validation errors",
        "details": {"status": [{"description": "Status: closed prevents ticket update"}]}}))
    assert isinstance(err, PermanentError) and err.status == 422
    assert "closed prevents ticket update" in err.message and "status" in err.details


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_transient(status):
    err = error_from_response(response(status, "<html>\n<body>  <h1>Bad\n gateway</h1></body>"))
    assert isinstance(err, TransientError) and err.retry_after is None
    assert "\n" not in err.message


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_other_4xx_are_permanent(status):
    assert type(error_from_response(response(status, {"error": "X"}))) is PermanentError


def test_message_is_truncated_and_nested_error_read():
    assert len(error_from_response(response(500, "x" * 5000)).message) == 500
    err = error_from_response(response(403, {"error": {"title": "Forbidden",
                                                       "message": "You do not have access"}}))
    assert err.message == "Forbidden: You do not have access" and err.code == "Forbidden"


def test_empty_body_falls_back_to_reason():
    assert error_from_response(response(404)).message == "Reason"
