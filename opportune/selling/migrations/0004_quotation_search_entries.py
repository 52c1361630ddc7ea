"""The global search (issue 14, decision 0026): quotations get ``search_fields``; their entries
in core.SearchEntry are written here for the existing rows, in one INSERT ... SELECT, the text
as SearchEntry.text_of writes it (the non-empty values joined by new lines, the name first)."""

from django.db import migrations

COLUMNS = ("title", "party_name", "customer_name", "contact_email", "contact_mobile")


def fill_search_entries(apps, schema_editor):
    text = "name" + "".join(f" || COALESCE(%s || NULLIF({c}, ''), '')" for c in COLUMNS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_searchentry WHERE doctype = 'Quotation'")
        cursor.execute(
            "INSERT INTO core_searchentry (doctype, name, text) "
            f"SELECT 'Quotation', name, {text} FROM selling_quotation",
            ["\n"] * len(COLUMNS),
        )


def drop_search_entries(apps, schema_editor):
    apps.get_model("core", "SearchEntry").objects.filter(doctype="Quotation").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("selling", "0003_audit_trail"),
        ("core", "0005_search_entry"),
    ]

    operations = [
        migrations.RunPython(fill_search_entries, drop_search_entries, elidable=False),
    ]
