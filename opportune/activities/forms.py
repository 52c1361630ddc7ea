from django import forms

from opportune.activities.models import Event


class EventForm(forms.Form):
    """An event of the user's own calendar; times are read in the user's time zone."""

    subject = forms.CharField(max_length=140)
    starts_on = forms.DateTimeField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_on = forms.DateTimeField(
        label="Ends",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    all_day = forms.BooleanField(required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    # The version the form was read at (edit only): a change made meanwhile is not overwritten.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def initial_from(self, event: Event) -> None:
        for field in ("subject", "starts_on", "ends_on", "all_day", "description", "version"):
            self.initial[field] = getattr(event, field)
