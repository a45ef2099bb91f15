"""The README's "Where things are" table names files and what they define: every
file it names exists, and every name after a file is defined in it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Where things are"
# A path in backquotes: a folder and a file with its extension.
PATH = re.compile(r"^[\w.-]+(/[\w.-]+)+\.\w+$")
# A backquoted name, with the word before it (names after "core" are Odoo's).
QUOTED = re.compile(r"(\w+)?\W*`([^`]+)`")


def table_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"the README has no {SECTION!r} section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    # Skip the header and its rule.
    return [row.split("|")[1:-1] for row in rows[2:]]


def references():
    """(rule, path, names defined there) for each file a row names."""
    found = []
    for rule, where in table_rows():
        path, names = None, []
        for before, quoted in QUOTED.findall(where):
            if PATH.match(quoted):
                if path:
                    found.append((rule.strip(), path, names))
                path, names = quoted, []
            elif path and before != "core":
                names.append(quoted)
        if path:
            found.append((rule.strip(), path, names))
    return found


def is_defined(name, source):
    name = re.escape(name)
    return bool(
        re.search(rf"^\s*(async\s+)?(def|class)\s+{name}\b", source, re.MULTILINE)
        or re.search(rf"^\s*{name}\s*(:[^=\n]*)?=", source, re.MULTILINE)
    )


def test_the_table_has_rows():
    assert len(references()) > 20


@pytest.mark.parametrize(
    ("rule", "path", "names"),
    [pytest.param(*reference, id=f"{reference[1]} ({reference[0]})") for reference in references()],
)
def test_each_file_exists_and_defines_its_names(rule, path, names):
    file = ROOT / path
    assert file.is_file(), f"{rule}: {path} does not exist"
    source = file.read_text(encoding="utf-8")
    missing = [name for name in names if not is_defined(name, source)]
    assert not missing, f"{rule}: {path} does not define {missing}"
