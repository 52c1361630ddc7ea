from django.core.management.base import BaseCommand, CommandError

from opportune.accounts.services import issue_api_token_for_username
from opportune.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="created on the command line")

    def handle(self, *args, username, label, **options):
        try:
            _token, raw = issue_api_token_for_username(username, label=label)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
