"""Round robin's cursor as a count of turns (docs/decisions/0035-round-robin-without-a-held-lock.md):
each rule's ``turns`` starts where its ``last_user`` left the rotation, and on PostgreSQL each rule
gets the sequence that hands its turns out (named as automation.turns names it)."""

import hashlib

from django.db import migrations, models


def _sequence(rule):
    key = f"{rule.pk}\x00{rule.creation.isoformat()}"
    return "automation_rule_turn_" + hashlib.sha1(key.encode()).hexdigest()[:20]


def forwards(apps, schema_editor):
    Rule = apps.get_model("automation", "AssignmentRule")
    RuleUser = apps.get_model("automation", "AssignmentRuleUser")
    for rule in Rule.objects.all():
        ids = list(
            RuleUser.objects.filter(assignment_rule=rule).order_by("idx").values_list(
                "user_id", flat=True
            )
        )
        turns = ids.index(rule.last_user_id) + 1 if rule.last_user_id in ids else 0
        Rule.objects.filter(pk=rule.pk).update(turns=turns)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS {_sequence(rule)} START WITH {turns + 1}"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for rule in apps.get_model("automation", "AssignmentRule").objects.all():
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {_sequence(rule)}")


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0003_assignment_open_by_user"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignmentrule",
            name="turns",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(forwards, backwards),
    ]
