"""The interactive API docs work without reaching any outside host."""

import re

from django.test import Client


def test_api_docs_load_their_scripts_from_our_own_static_files(db):
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    scripts = re.findall(r'src="([^"]+)"', page.content.decode())
    assert scripts, "the docs page has no scripts"
    assert all(src.startswith("/static/") for src in scripts), scripts
    for src in scripts:
        assert Client().get(src).status_code == 200, src
