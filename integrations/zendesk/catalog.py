"""Zendesk's small lists, mirrored whole on every sync: groups, forms, agents and macros."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from people.models import AgentProfile, Region, Team
from tickets.models import Macro, TicketForm

from . import mapping
from .client import ZendeskClient
from .mapping import Lookups
from .models import ZendeskUser

log = logging.getLogger(__name__)
AGENT_ROLES = ("agent", "admin")


def load_lookups() -> Lookups:
    return Lookups(
        teams=dict(Team.objects.exclude(zendesk_id=None).values_list("zendesk_id", "pk")),
        forms=dict(TicketForm.objects.exclude(zendesk_id=None).values_list("zendesk_id", "pk")),
        agents=dict(AgentProfile.objects.exclude(zendesk_id=None)
                    .values_list("zendesk_id", "user_id")),
        regions={code.upper(): pk for code, pk in Region.objects.values_list("code", "pk")},
    )


def sync_catalog(client: ZendeskClient, counts: Counter,
                 call: Callable[..., Any] = lambda fn, *a: fn(*a)) -> Lookups:
    """Groups, forms, agents, macros; returns the id maps the ticket import needs.

    `call` wraps each request (the sync's retry policy); list generators are drained inside it
    so a retried call starts the listing over instead of resuming a broken one.
    """
    groups = call(lambda: list(client.list_groups()))
    forms = call(lambda: list(client.list_ticket_forms()))
    agents = [u for role in AGENT_ROLES
              for u in call(lambda r=role: list(client.list_users(role=r)))]
    macros = call(lambda: list(client.list_macros()))
    with transaction.atomic():
        counts["groups"] += _sync_named(Team, groups, with_slug=True)
        counts["forms"] += _sync_named(TicketForm, forms)
        counts["users"] += sync_agents(agents)
        lookups = load_lookups()
        counts["macros"] += _sync_macros(macros, lookups)
    return lookups


def _sync_named(model, items: Iterable[dict[str, Any]], with_slug: bool = False) -> int:
    """Link by Zendesk id, else adopt the local row of the same name, else create one."""
    changed = 0
    for item in items:
        if not isinstance(item, dict) or item.get("deleted") or not isinstance(item.get("id"), int):
            continue
        name = mapping.plain(item.get("name"), 100)
        if not name:
            continue
        row = (model.objects.filter(zendesk_id=item["id"]).first()
               or model.objects.filter(name__iexact=name, zendesk_id=None).first())
        if row is None:
            row = model(name=name, zendesk_id=item["id"])
            if with_slug:
                row.slug = _free_slug(name, item["id"])
            if model.objects.filter(name=name).exists():
                row.name = f"{name[:85]} (Zendesk {item['id']})"
            row.save()
            changed += 1
        elif row.zendesk_id != item["id"]:
            row.zendesk_id = item["id"]
            row.save(update_fields=["zendesk_id"])
            changed += 1
    return changed


def _free_slug(name: str, zendesk_id: int) -> str:
    slug = slugify(name)[:40] or "group"
    return slug if not Team.objects.filter(slug=slug).exists() else f"{slug}-{zendesk_id}"


def sync_agents(items: Iterable[dict[str, Any]]) -> int:
    """Zendesk agents become known as people; EduDesk accounts are matched by email."""
    people = [p for p in (mapping.person(u) for u in items) if p]
    upsert_people(people)
    users = {email.lower(): pk for pk, email in
             get_user_model().objects.exclude(email="").values_list("pk", "email")}
    linked = 0
    for zendesk_id, _name, email, role in people:
        user_id = users.get(email)
        if role not in AGENT_ROLES or user_id is None:
            continue
        profile = AgentProfile.objects.filter(user_id=user_id).first()
        if profile is not None and profile.zendesk_id == zendesk_id:
            continue
        # The Zendesk id moves to whoever has the address now.
        AgentProfile.objects.filter(zendesk_id=zendesk_id).exclude(user_id=user_id).update(
            zendesk_id=None)
        AgentProfile.objects.update_or_create(user_id=user_id,
                                              defaults={"zendesk_id": zendesk_id})
        linked += 1
    unmatched = [email for _, _, email, role in people if role in AGENT_ROLES
                 and email not in users]
    if unmatched:
        log.debug("zendesk agents without an EduDesk login: %s", ", ".join(unmatched[:20]))
    return linked


def upsert_people(people: list[tuple[int, str, str, str]]) -> None:
    if people:
        ZendeskUser.objects.bulk_create(
            [ZendeskUser(zendesk_id=i, name=n, email=e, role=r) for i, n, e, r in people],
            update_conflicts=True, unique_fields=["zendesk_id"],
            update_fields=["name", "email", "role"])


def _sync_macros(items: Iterable[dict[str, Any]], lookups: Lookups) -> int:
    seen = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            continue
        fields = mapping.macro_fields(item, lookups)
        # A local macro of the same title is the same macro: Zendesk's copy takes it over
        # (as groups and forms do), so the menu never lists it twice.
        if not Macro.objects.filter(zendesk_id=item["id"]).exists():
            local = Macro.objects.filter(title__iexact=fields["title"], zendesk_id=None).first()
            if local is not None:
                Macro.objects.filter(pk=local.pk).update(zendesk_id=item["id"])
        fields["title"] = unique_macro_title(fields["title"], item["id"])
        Macro.objects.update_or_create(zendesk_id=item["id"], defaults=fields)
        seen.append(item["id"])
    # A macro deleted in Zendesk can no longer be applied there.
    Macro.objects.exclude(zendesk_id=None).exclude(zendesk_id__in=seen).update(active=False)
    return len(seen)


def unique_macro_title(title: str, zendesk_id: int) -> str:
    """Imported titles must not take a local macro's title (titles are unique)."""
    taken = Macro.objects.filter(title=title).exclude(zendesk_id=zendesk_id).exists()
    return f"{title[:188]} (Zendesk)" if taken else title
