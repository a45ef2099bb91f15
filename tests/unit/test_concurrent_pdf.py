import sys
from pathlib import Path

import pytest
from markupsafe import Markup

from tools.concurrent_pdf import (
    WkhtmltopdfError,
    pdf_key,
    run_wkhtmltopdf_concurrently,
    split_layout,
)

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


# Odoo's header file of a batch of three documents (web.minimal_layout, shortened).
LAYOUT = (
    "<!DOCTYPE html><html><head><style>p {}</style><script>function subst() {}</script>"
    '</head><body onload="subst()"><div id="minimal_layout_report_headers">'
    '<div class="header"><p>Head <b>A</b></p></div>'
    '<div class="header"><p>Head B</p></div>'
    '<div class="header"><div><p>Head C</p></div></div>'
    "</div>\n</body></html>"
)


def test_split_layout_gives_each_document_its_own_header_first():
    files = split_layout(LAYOUT, "minimal_layout_report_headers")
    assert len(files) == 3
    for own, other in (("Head <b>A</b>", "Head B"), ("Head B", "Head C"), ("Head C", "Head B")):
        (html,) = [file for file in files if own in file]
        assert other not in html
        # What the header script needs stays: the styles, the script and the node,
        # whose first child is the document's header.
        assert html.startswith(LAYOUT[: LAYOUT.index("<div class")])
        assert html.endswith("</div>\n</body></html>")
        assert html.index('id="minimal_layout_report_headers"><div class="header">')


def test_split_layout_of_odoos_markup_escapes_nothing():
    # Odoo renders the header as Markup, which escapes what is added to it.
    files = split_layout(Markup(LAYOUT), "minimal_layout_report_headers")
    assert "<p>Head B</p>" in files[1] and "&lt;" not in files[1]


def test_split_layout_keeps_a_layout_with_more_after_the_node_shared():
    for after in ("<p>a note</p>", "a note"):
        html = LAYOUT.replace("</div>\n</body>", f"</div>{after}\n</body>")
        assert split_layout(html, "minimal_layout_report_headers") is None


def test_a_shared_footer_beside_own_headers_is_refused(tmp_path, wkhtmltopdf):
    # Beside a body numbered 0, a shared footer would show the first document's.
    run = ([], ["body a", "body b"], ["head a", "head b"], "foot")
    with pytest.raises(ValueError):
        run_wkhtmltopdf_concurrently(wkhtmltopdf, [run], 1)


def test_split_layout_leaves_a_file_without_the_node_alone():
    assert (
        split_layout("<html><body><p>x</p></body></html>", "minimal_layout_report_headers") is None
    )


def test_own_headers_go_with_their_bodies_as_page_objects(tmp_path, wkhtmltopdf):
    log = tmp_path / "args.txt"
    spy = tmp_path / "spy"
    spy.write_text(f'#!/bin/sh\necho "$@" > {log}\nexec {wkhtmltopdf} "$@"\n', encoding="utf-8")
    spy.chmod(0o755)
    run = (["--quiet"], ["body a", "body b"], ["head a", "head b"], ["foot a", "foot b"])
    pdfs = run_wkhtmltopdf_concurrently(str(spy), [run], 1)
    assert pdfs == [b"body a|head a|foot a|body b|head b|foot b"]
    args = log.read_text().split()
    assert args[0] == "--quiet" and args[1] == "page"
    pages = [args[index + 1] for index, arg in enumerate(args) if arg == "page"]
    # The header script reads the number after 'report.body.tmp.': each body is 0 in
    # its own folder, with its own header beside it.
    assert [Path(page).name for page in pages] == ["report.body.tmp.0.html"] * 2
    assert len({Path(page).parent for page in pages}) == 2
    assert args[args.index("--header-html", args.index(pages[1])) + 1].startswith(
        str(Path(pages[1]).parent)
    )
