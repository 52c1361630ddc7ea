from django import forms


class ApiTokenForm(forms.Form):
    label = forms.CharField(
        max_length=100, required=False, help_text="What the token is for, e.g. 'mail gateway'."
    )
