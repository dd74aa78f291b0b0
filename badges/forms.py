"""The badges pages' forms: they parse and check input; the services decide."""

from django import forms

from . import selectors


class IssueForm(forms.Form):
    template = forms.ModelChoiceField(queryset=selectors.active_templates(),
                                      empty_label="Choose a badge template…")
    email = forms.EmailField(max_length=254, label="Earner's email")
    first_name = forms.CharField(max_length=200)
    last_name = forms.CharField(max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per form, not at import: templates come and go with the Credly sync.
        self.fields["template"].queryset = selectors.active_templates()


class ChangeEmailForm(forms.Form):
    new_email = forms.EmailField(max_length=254, label="New email")


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=1000, label="Reason (shown to the earner by Credly)")


class BulkUploadForm(forms.Form):
    file = forms.FileField(label="CSV file")
