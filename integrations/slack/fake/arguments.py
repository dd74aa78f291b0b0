"""chat.postMessage arguments read as Slack reads them, refused with Slack's own error codes."""

from __future__ import annotations

from typing import Any

from integrations.fakes import Request, parse_json
from integrations.slack.fake.blocks import block_errors

MAX_TEXT = 40_000  # Slack refuses longer `text` with msg_too_long
STRING_ARGS = ("channel", "text", "thread_ts", "username", "icon_emoji", "icon_url", "parse",
               "markdown_text")
BOOL_ARGS = ("mrkdwn", "unfurl_links", "unfurl_media", "reply_broadcast", "link_names",
             "as_user")


class SlackError(Exception):
    """A Web API failure: HTTP 200 with {"ok": false, "error": code, ...}."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code, self.extra = code, extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


def _schema_error(code: str, messages: list[str]) -> SlackError:
    """Slack's shape for schema failures: bare messages in `errors` (blocks only) and
    '[ERROR] '-prefixed ones in response_metadata."""
    extra: dict[str, Any] = {"errors": messages} if code == "invalid_blocks" else {}
    return SlackError(code, **extra,
                      response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


def read(request: Request) -> tuple[dict[str, Any], str | None, bool]:
    """(arguments, token from the body, whether values carry JSON types) of a Web API call."""
    ctype = request.content_type
    if ctype == "application/json":
        try:
            args = request.json()
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(args, dict):
            raise SlackError("json_not_object")
        # Slack reads a JSON call's token from the Authorization header only.
        return args, None, True
    if ctype == "application/x-www-form-urlencoded" or not request.body:
        try:
            form = request.form()
        except ValueError:
            raise SlackError("invalid_form_data") from None
        args = {**request.query, **form}  # arguments may also come in the query string
        return args, args.pop("token", None), False
    if not ctype:
        raise SlackError("missing_post_type")
    raise SlackError("invalid_post_type")


def check_types(args: dict[str, Any]) -> None:
    """invalid_arguments for JSON values of the wrong type (form values are all strings)."""
    messages = [f"must provide a string [json-pointer:/{name}]" for name in STRING_ARGS
                if args.get(name) is not None and not isinstance(args[name], str)]
    messages += [f"must provide a boolean [json-pointer:/{name}]" for name in BOOL_ARGS
                 if args.get(name) is not None and not isinstance(args[name], bool)]
    if messages:
        raise _schema_error("invalid_arguments", messages)


def content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """(text, blocks) of a message, or the SlackError for what Slack would refuse in them."""
    text, blocks = args.get("text") or "", args.get("blocks")
    blocks = None if blocks == "" else blocks  # an empty form field is no field
    if isinstance(blocks, str):  # form bodies (and some JSON callers) send them JSON-encoded
        try:
            blocks = parse_json(blocks.encode())
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    errors = block_errors(blocks) if blocks else []
    if errors:
        raise _schema_error("invalid_blocks", errors)
    return text, blocks or None
