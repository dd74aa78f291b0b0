"""The ticket list's filters and search, validated by django-filter like any form."""

import django_filters
from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from people.models import Region

from .models import Ticket, View

FTS_MIN_CHARS = 3  # the trigram index finds nothing shorter; such terms scan instead


def _region_choices():
    return [("mine", "My regions"), *((r.code, r.code) for r in Region.objects.all())]


class TicketListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search id, subject, requester")
    region = django_filters.ChoiceFilter(method="by_region", choices=_region_choices)
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    unassigned = django_filters.BooleanFilter(method="only_unassigned")
    # Sorting is the keyset paginator's job; the field is here so that it is validated.
    sort = django_filters.ChoiceFilter(choices=View.Sort.choices, method="keep")

    class Meta:
        model = Ticket
        fields = ["q", "region", "status", "unassigned", "sort"]

    def __init__(self, data=None, queryset=None, *, preferred_region_ids=(), **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.preferred_region_ids = list(preferred_region_ids)

    def search(self, queryset, name, value):
        query = value.strip()
        number = query.lstrip("#")
        # isdigit() is also true for "²" and other Unicode digits, which int() refuses; ids
        # beyond 18 digits exceed the database's integer.
        if number.isascii() and number.isdigit() and len(number) <= 18:
            # A ticket is known by its Zendesk number; local-only tickets by their own.
            return queryset.filter(Q(zendesk_id=int(number))
                                   | Q(zendesk_id__isnull=True, pk=int(number)))
        if not query:
            return queryset
        if connections[queryset.db].vendor == "sqlite" and len(query) >= FTS_MIN_CHARS:
            # The same substring search, answered by the FTS5 trigram index (migration 0005).
            phrase = '"' + query.replace('"', '""') + '"'
            return queryset.filter(pk__in=RawSQL(
                "SELECT rowid FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s",
                [phrase]))
        return queryset.filter(Q(subject__icontains=query) | Q(requester_email__icontains=query)
                               | Q(requester_name__icontains=query))

    def by_region(self, queryset, name, value):
        if value != "mine":
            return queryset.filter(region__code=value)
        if not self.preferred_region_ids:  # an agent with no preference supports every region
            return queryset
        return queryset.filter(Q(region_id__in=self.preferred_region_ids) | Q(region__isnull=True))

    def only_unassigned(self, queryset, name, value):
        return queryset.filter(assignee__isnull=True, assignee_name="") if value else queryset

    def keep(self, queryset, name, value):
        return queryset
