"""Admin forms for the console's configuration: lists as choices, never raw JSON."""

import re

from django import forms

from .models import Ticket, View

TAG = re.compile(r"^[a-z0-9_:-]{1,80}$")


class TagListField(forms.CharField):
    """Tags typed as words separated by spaces, stored as a list."""

    def prepare_value(self, value):
        return " ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        tags = (super().to_python(value) or "").lower().split()
        bad = [t for t in tags if not TAG.match(t)]
        if bad:
            raise forms.ValidationError(
                "Tags are lower-case words of letters, digits, _ : or - (not: %(bad)s).",
                params={"bad": ", ".join(bad[:5])})
        return list(dict.fromkeys(tags))


class ViewAdminForm(forms.ModelForm):
    statuses = forms.MultipleChoiceField(
        choices=Ticket.Status.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means any status")
    tags_all = TagListField(required=False, help_text="Tickets must have all of these")
    tags_none = TagListField(required=False, help_text="Tickets must have none of these")

    class Meta:
        model = View
        fields = ["name", "slug", "team", "shared_with", "is_system", "position", "form", "group",
                  "statuses", "tags_all", "tags_none", "assignee", "regions", "sort"]
