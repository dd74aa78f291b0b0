"""`{% ticket_row t view_slug bulk %}`: one row of a ticket list, built in Python.

A list page is 25 rows of a dozen cells; through the template language each cell is several
variable lookups, filters and a URL reversal, and the rows were two thirds of the page's time
at any data size. The markup is the same; only the way it is produced differs. Every value
goes through format_html, so it is escaped as the template would escape it.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.timezone import localtime

register = template.Library()

CUSTOMER_WROTE = SafeString(
    ' <span class="pill customer-wrote" title="The customer wrote since you last opened this '
    'ticket">customer replied</span>')
NONE = SafeString("—")


def _time(value) -> SafeString:
    if value is None:
        return NONE
    local = localtime(value)
    # strftime, not the locale's format machinery: three times a row, it showed in profiles.
    return format_html('<time datetime="{}" title="{}">{} ago</time>', local.isoformat(),
                       local.strftime("%d %b %Y, %H:%M %Z"), timesince(value))


@lru_cache(maxsize=8)
def _tickets_base(script_prefix: str) -> str:
    """"/tickets/" under this prefix: reversed once, not once a row."""
    return reverse("tickets:ticket", args=[0]).removesuffix("0/")


@register.simple_tag
def ticket_row(t, view_slug: str, bulk: bool) -> SafeString:
    href = f"{_tickets_base(get_script_prefix())}{t.pk}/?view={view_slug}"
    wrote = getattr(t, "customer_wrote", False)
    pill = format_html(' <span class="pill {0}">{0}</span>', t.priority) \
        if t.priority in ("urgent", "high") else ""
    select = format_html(
        '<td class="select"><input type="checkbox" name="ticket" form="bulk" value="{}@{}" '
        'aria-label="Select ticket {}"></td>', t.pk, localtime(t.updated_at).isoformat(),
        t.number) if bulk else ""
    cells = format_html_join("", "<td>{}</td>", (
        (t.number,),
        (format_html('<a href="{}">{}</a>{}{}', href, t.subject, pill,
                     CUSTOMER_WROTE if wrote else ""),),
        (t.requester_name,),
        (format_html('<span class="status {}">{}</span>', t.status, t.get_status_display()),),
        (t.get_priority_display(),),
        (t.group or NONE,),
        (t.region or "All",),
        (t.owner_name or NONE,),
        (_time(t.created_at),),
        (_time(t.customer_updated_at),),
        (_time(t.updated_at),),
    ))
    return format_html('<tr data-href="{}"{}>{}{}</tr>', href,
                       SafeString(' class="customer-wrote"') if wrote else "", select, cells)
