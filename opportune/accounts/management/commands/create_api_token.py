from django.core.management.base import BaseCommand, CommandError

from opportune.accounts.services import issue_api_token_for_username
from opportune.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="created on the command line")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="the token stops working after N days"
        )

    def handle(self, *args, username, label, expires_days, **options):
        try:
            _token, raw = issue_api_token_for_username(
                username, label=label, expires_days=expires_days
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
