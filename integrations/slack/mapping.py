"""Plain text to Slack's message format: escaping user text so it cannot ping or disguise links."""

from typing import Any


def escape(text: str) -> str:
    """Slack's documented escaping: &, < and > become entities, so `<!channel>` or
    `<https://evil|Zendesk>` written by a requester shows as text instead of acting."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    # Slack has no escaping for "|" inside a label; a lookalike bar keeps the label whole.
    return f"<{escape(url)}|{escape(label).replace('|', '¦')}>"


def message_text(text: str, links: list[dict[str, Any]]) -> str:
    parts = [escape(text)]
    parts += [link(str(item.get("url", "")), str(item.get("label") or item.get("url", "")))
              for item in links if isinstance(item, dict) and item.get("url")]
    return " ".join(p for p in parts if p)
