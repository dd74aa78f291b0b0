"""Template filters for stored (already sanitised) HTML from mail and tickets."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from edudesk.html import defer_remote_images

register = template.Library()


@register.filter
def message_html(value: str) -> str:
    """Sanitised HTML with its images held back behind a "Load images" button."""
    body, images = defer_remote_images(value)
    if not images:
        return mark_safe(body)  # noqa: S308 - sanitised by edudesk.html.sanitize_html on the way in
    button = format_html('<p class="images-held"><button type="button" class="link" '
                         'data-load-images>Load {} image{}</button></p>',
                         images, "" if images == 1 else "s")
    return mark_safe(button + body)  # noqa: S308 - as above
