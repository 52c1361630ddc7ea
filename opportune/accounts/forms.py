from django import forms

from opportune.accounts.time_zones import known_time_zones


class ApiTokenForm(forms.Form):
    label = forms.CharField(
        max_length=100, required=False, help_text="What the token is for, e.g. 'mail gateway'."
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Empty: it works until you revoke it.",
    )


def _time_zone_choices() -> list[tuple[str, str]]:
    return [("", "The company's time zone"), *((tz, tz) for tz in known_time_zones())]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        required=False,
        help_text="Times of your calendar and reminders are shown in it.",
    )
