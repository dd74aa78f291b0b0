"""HTML that came from outside (mail, Zendesk, agents) is cleaned before it is stored."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "img", "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"colspan"},
                      "th": {"colspan"}}


def sanitize_html(value: str) -> str:
    """Keep formatting, drop scripts, event handlers, styles and javascript: links."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def text_to_html(text: str) -> str:
    """An agent's plain-text reply as HTML paragraphs, escaped."""
    paragraphs = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n")]
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


# nh3 writes attributes back double-quoted, so this matches every src it lets through.
_IMG_SRC = re.compile(r'(<img\b[^>]*?)\ssrc="([^"]*)"', re.IGNORECASE)


def defer_remote_images(value: str) -> tuple[str, int]:
    """Sanitised HTML with each image's src moved to data-src, and how many were moved.

    A remote image in a message is a tracking pixel as often as not: it loads only when the
    agent asks ("Load images"), as in a mail client.
    """
    count = 0

    def defer(match: re.Match) -> str:
        nonlocal count
        count += 1
        return f'{match.group(1)} data-src="{match.group(2)}" class="deferred-image"'

    return _IMG_SRC.sub(defer, value or ""), count
