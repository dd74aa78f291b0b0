"""A kit for loopback fakes of upstream HTTP APIs: server, service base, helpers and CLI."""

from integrations.fakes.paging import Page, cursor_page, decode_cursor, encode_cursor, offset_page
from integrations.fakes.server import WSGIServer
from integrations.fakes.service import FakeService, RequestRecord
from integrations.fakes.web import (
    Request,
    Response,
    empty_response,
    int_param,
    json_response,
    parse_form,
    parse_json,
    text_response,
)
from integrations.fakes.windows import SlidingWindow, take

__all__ = [
    "FakeService", "Page", "Request", "RequestRecord", "Response", "SlidingWindow", "WSGIServer",
    "cursor_page", "decode_cursor", "empty_response", "encode_cursor", "int_param",
    "json_response", "offset_page", "parse_form", "parse_json", "take", "text_response",
]
