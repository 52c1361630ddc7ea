"""``make bench`` (bench/suite.py) runs the suite's modules and only those: the standalone
scripts of bench/ are not imported (bench/pipeline_as_of.py failed to import there and stopped
the whole suite; others set Django up with their own defaults on import)."""

from __future__ import annotations

from bench.suite import suite_module_names


def test_the_suite_runs_its_modules_and_imports_no_standalone_script():
    assert suite_module_names() == ["auto_close", "run", "search", "web"]


def test_only_and_skip_choose_among_them():
    assert suite_module_names(only={"web", "pipeline_as_of"}) == ["web"]
    assert suite_module_names(skip={"web", "run"}) == ["auto_close", "search"]
