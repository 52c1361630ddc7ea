"""Triggers announcing a change of the tables whose rows each process keeps (core.master_cache,
docs/decisions/0047): PostgreSQL only; SQLite reads PRAGMA data_version."""

from django.db import migrations

from opportune.core.master_cache import watch_tables


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0004_round_robin_turns"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        watch_tables(
            {
                "automation_assignmentrule": ("last_user_id", "turns"),
                "automation_assignmentruleuser": (),
                "auth_user": ("last_login",),
            }
        )
    ]
