from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "opportune.accounts"
    label = "accounts"
