import sys
from pathlib import Path

import pytest

from tools.concurrent_pdf import WkhtmltopdfError, pdf_key, run_wkhtmltopdf_concurrently

# A stand-in wkhtmltopdf: its "PDF" is the header, the bodies and the footer it was
# given, in order; --fail makes no PDF, --warn warns and still makes one.
FAKE_WKHTMLTOPDF = """\
import sys
from pathlib import Path

args, out = sys.argv[1:-1], Path(sys.argv[-1])
if "--fail" in args:
    sys.stderr.write("Unknown long argument --fail\\n")
    sys.exit(2)
parts, skip = [], False
for index, arg in enumerate(args):
    if skip:
        skip = False
    elif arg in ("--header-html", "--footer-html"):
        parts.append(Path(args[index + 1]).read_text())
        skip = True
    elif arg.endswith(".html"):
        parts.append(Path(arg).read_text())
if "--warn" in args:
    sys.stderr.write("Warning: a font is missing\\n")
out.write_bytes("|".join(parts).encode())
sys.exit(1 if "--warn" in args else 0)
"""


@pytest.fixture
def wkhtmltopdf(tmp_path):
    script = tmp_path / "wkhtmltopdf"
    script.write_text(f"#!{sys.executable}\n{FAKE_WKHTMLTOPDF}")
    script.chmod(0o755)
    return str(script)


def test_each_run_gives_its_own_pdf_in_order(wkhtmltopdf):
    runs = [([], [f"body {index}a", f"body {index}b"], f"head {index}", None) for index in range(5)]
    pdfs = run_wkhtmltopdf_concurrently(wkhtmltopdf, runs, processes=2)
    assert pdfs == [f"head {index}|body {index}a|body {index}b".encode() for index in range(5)]


def test_body_files_are_named_as_odoos_for_the_header_script(tmp_path, wkhtmltopdf):
    log = tmp_path / "args.txt"
    spy = tmp_path / "spy"
    spy.write_text(f'#!/bin/sh\necho "$@" > {log}\nexec {wkhtmltopdf} "$@"\n', encoding="utf-8")
    spy.chmod(0o755)
    run_wkhtmltopdf_concurrently(str(spy), [(["--quiet"], ["a", "b"], None, "foot")], 1)
    args = log.read_text().split()
    assert args[0] == "--quiet"
    assert args[1] == "--footer-html"
    assert [Path(arg).name for arg in args[3:]] == [
        "report.body.tmp.0.html",
        "report.body.tmp.1.html",
        "report.pdf",
    ]


def test_a_warning_is_no_failure(wkhtmltopdf):
    assert run_wkhtmltopdf_concurrently(wkhtmltopdf, [(["--warn"], ["a"], None, None)], 1) == [b"a"]


def test_a_failed_run_raises_with_its_code_and_message(wkhtmltopdf):
    runs = [([], ["a"], None, None), (["--fail"], ["b"], None, None)]
    with pytest.raises(WkhtmltopdfError) as failure:
        run_wkhtmltopdf_concurrently(wkhtmltopdf, runs, processes=2)
    assert failure.value.returncode == 2
    assert "Unknown long argument --fail" in failure.value.message


def test_pdf_key_tells_runs_apart():
    key = pdf_key(["a", "b"], "h", "f")
    assert key == pdf_key(["a", "b"], "h", "f")
    assert key != pdf_key(["ab"], "h", "f"), "the bodies are kept apart"
    assert key != pdf_key(["a", "b"], "f", "h")
    assert pdf_key(["a"], None, None) == pdf_key(["a"], "", "")
