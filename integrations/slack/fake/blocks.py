"""Enough of Slack's Block Kit schema to refuse the malformed blocks Slack refuses, in its words."""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_BLOCK_ID = 255
TEXT_TYPES = ("plain_text", "mrkdwn")
# type -> keys allowed besides "type" and "block_id"; None: not checked here beyond the type.
BLOCK_KEYS: dict[str, frozenset[str] | None] = {
    "section": frozenset({"text", "fields", "accessory", "expand"}),
    "header": frozenset({"text"}),
    "divider": frozenset(),
    "context": frozenset({"elements"}),
    "actions": frozenset({"elements"}),
    "image": frozenset({"image_url", "slack_file", "alt_text", "title"}),
    "markdown": frozenset({"text"}),
    "rich_text": frozenset({"elements"}),
    "input": frozenset({"label", "element", "dispatch_action", "hint", "optional"}),
    "file": frozenset({"external_id", "source"}),
    "video": None, "table": None, "context_actions": None,
}
# (block type, field) -> longest text Slack takes there
TEXT_LIMITS = {("section", "text"): 3000, ("section", "fields"): 2000, ("header", "text"): 150,
               ("context", "elements"): 3000, ("markdown", "text"): 12000}


def _text_object(obj: Any, at: str, limit: int, plain_only: bool = False) -> list[str]:
    """Errors of a composition text object {"type": "plain_text"|"mrkdwn", "text": ...}."""
    if not isinstance(obj, dict):
        return [f"must be an object [json-pointer:{at}]"]
    errors = []
    kind = obj.get("type")
    if kind not in (("plain_text",) if plain_only else TEXT_TYPES):
        errors.append(f"must be a valid enum value [json-pointer:{at}/type]")
    allowed = {"type", "text", "emoji" if kind == "plain_text" else "verbatim"}
    errors += [f"invalid additional property: {k} [json-pointer:{at}]"
               for k in obj if k not in allowed]
    text = obj.get("text")
    if not isinstance(text, str):
        errors.append(f"missing required field: text [json-pointer:{at}]")
    elif not text:
        errors.append(f"must be more than 0 characters [json-pointer:{at}/text]")
    elif len(text) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{at}/text]")
    if errors:
        # Slack leads with the union-type failure, then says which branch was closest.
        errors.insert(0, f"failed to match all allowed schemas [json-pointer:{at}]")
    return errors


def _elements(block: dict[str, Any], at: str, most: int) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list):
        return [f"missing required field: elements [json-pointer:{at}]"]
    if not 1 <= len(elements) <= most:
        return [f"must provide between 1 and {most} items [json-pointer:{at}/elements]"]
    return [f"missing required field: type [json-pointer:{at}/elements/{i}]"
            for i, e in enumerate(elements) if not isinstance(e, dict) or "type" not in e]


def _block(block: Any, at: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"must be an object [json-pointer:{at}]"]
    kind = block.get("type")
    if kind is None:
        return [f"missing required field: type [json-pointer:{at}]"]
    if kind not in BLOCK_KEYS:
        return [f"must be a valid enum value [json-pointer:{at}/type]"]
    errors = []
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID):
        errors.append(f"must be less than {MAX_BLOCK_ID + 1} characters "
                      f"[json-pointer:{at}/block_id]")
    allowed = BLOCK_KEYS[kind]
    if allowed is not None:
        errors += [f"invalid additional property: {k} [json-pointer:{at}]"
                   for k in block if k not in allowed | {"type", "block_id"}]
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"must provide at least one of text or fields [json-pointer:{at}]")
        if "text" in block:
            errors += _text_object(block["text"], f"{at}/text", TEXT_LIMITS["section", "text"])
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                errors.append(f"must provide between 1 and 10 items [json-pointer:{at}/fields]")
            else:
                for i, f in enumerate(fields):
                    errors += _text_object(f, f"{at}/fields/{i}", TEXT_LIMITS["section", "fields"])
    elif kind == "header":
        errors += _text_object(block.get("text"), f"{at}/text", TEXT_LIMITS["header", "text"],
                               plain_only=True)
    elif kind in ("context", "actions", "rich_text"):
        errors += _elements(block, at, {"context": 10, "actions": 25}.get(kind, 100))
    elif kind == "image":
        if not isinstance(block.get("image_url"), str) and "slack_file" not in block:
            errors.append(f"missing required field: image_url [json-pointer:{at}]")
        if not isinstance(block.get("alt_text"), str):
            errors.append(f"missing required field: alt_text [json-pointer:{at}]")
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            errors.append(f"missing required field: text [json-pointer:{at}]")
        elif len(text) > TEXT_LIMITS["markdown", "text"]:
            errors.append(f"must be less than {TEXT_LIMITS['markdown', 'text'] + 1} characters "
                          f"[json-pointer:{at}/text]")
    return errors


def block_errors(blocks: list[Any]) -> list[str]:
    """Slack's messages for what is wrong with `blocks` (a decoded JSON array); [] if valid."""
    if len(blocks) > MAX_BLOCKS:
        return [f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"]
    return [e for i, block in enumerate(blocks) for e in _block(block, f"/blocks/{i}")]
