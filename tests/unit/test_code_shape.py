"""The shape the second redesign left (issue 25), kept: small methods, model files
that hold one model's concerns, and a notice that only notifies."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path
    for folder in ("models", "report", "wizards", "controllers", "tools")
    for path in (ROOT / folder).glob("*.py")
)
MAX_METHOD_LINES = 60
MAX_MODEL_FILE_LINES = 600
MAX_NOTICE_FILE_LINES = 450


def _sql_lines(function):
    """Lines of SQL text inside `function`: the limit is on Python, not on queries."""
    return sum(
        node.end_lineno - node.lineno
        for node in ast.walk(function)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(word in node.value for word in ("SELECT", "UPDATE", "INSERT"))
    )


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_method_is_over_60_lines(path):
    tree = ast.parse(path.read_text())
    long = [
        (node.name, node.end_lineno - node.lineno + 1 - _sql_lines(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.end_lineno - node.lineno + 1 - _sql_lines(node) > MAX_METHOD_LINES
    ]
    assert not long, f"methods over {MAX_METHOD_LINES} lines: {long}"


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.py")), ids=lambda path: path.name)
def test_no_model_file_is_over_600_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_MODEL_FILE_LINES


def test_the_notice_only_notifies():
    notice = ROOT / "models" / "account_dunning_notice.py"
    assert len(notice.read_text().splitlines()) < MAX_NOTICE_FILE_LINES
