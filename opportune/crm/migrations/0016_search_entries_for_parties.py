"""The global search (issue 14, decision 0026): leads, customers and contacts get
``search_fields``; their entries in core.SearchEntry are written here for the existing rows, in
one INSERT ... SELECT per table, the text as SearchEntry.text_of writes it (the non-empty values
joined by new lines, the name first)."""

from django.db import migrations

# after the name, as each model keeps them; a contact's full name is first and last joined
FULL_NAME = "TRIM(first_name || ' ' || last_name)"
TABLES = {
    "Lead": ("crm_lead", ("lead_name", "company_name", "email_id", "phone", "mobile_no")),
    "Customer": ("crm_customer", ("customer_name", "email_id", "phone", "mobile_no")),
    "Contact": (
        "crm_contact",
        ("first_name", "last_name", FULL_NAME, "email_id", "phone", "mobile_no"),
    ),
}


def fill_search_entries(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for doctype, (table, columns) in TABLES.items():
            # written again from scratch (entries an earlier run or a rebuild left are replaced)
            cursor.execute("DELETE FROM core_searchentry WHERE doctype = %s", [doctype])
            text = "name" + "".join(f" || COALESCE(%s || NULLIF({c}, ''), '')" for c in columns)
            cursor.execute(
                "INSERT INTO core_searchentry (doctype, name, text) "
                f"SELECT %s, name, {text} FROM {table}",
                [doctype] + ["\n"] * len(columns),
            )


def drop_search_entries(apps, schema_editor):
    apps.get_model("core", "SearchEntry").objects.filter(doctype__in=list(TABLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0015_opportunity_partial_link_indexes"),
        ("core", "0005_search_entry"),
    ]

    operations = [
        migrations.RunPython(fill_search_entries, drop_search_entries, elidable=False),
    ]
