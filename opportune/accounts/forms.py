from django import forms


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
