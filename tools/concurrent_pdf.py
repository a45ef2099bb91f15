"""Several wkhtmltopdf runs at once, each with the files and arguments Odoo's
`ir.actions.report._run_wkhtmltopdf` would give it, and their PDFs read back.
Used by models/ir_actions_report.py for batches of letters. Pure: no Odoo, so
that pytest runs it with a stand-in wkhtmltopdf."""

import hashlib
import logging
import subprocess
import tempfile
from pathlib import Path

import lxml.etree
import lxml.html

_logger = logging.getLogger(__name__)


class WkhtmltopdfError(RuntimeError):
    """A run made no PDF: its exit code and what it said (the model tells the user)."""

    def __init__(self, returncode, message):
        super().__init__(f"wkhtmltopdf failed ({returncode}): {message}")
        self.returncode = returncode
        self.message = message


def run_wkhtmltopdf_concurrently(wkhtmltopdf, runs, processes):
    """The PDF of each run (arguments, bodies, header, footer), with up to
    `processes` wkhtmltopdf at a time. No session cookie, unlike Odoo's: a letter's
    images are inline and its styles public."""
    pdfs = [None] * len(runs)
    running, pending = [], list(enumerate(runs))
    with tempfile.TemporaryDirectory(prefix="account_dunning_letters_") as tmp:
        try:
            while pending or running:
                while pending and len(running) < processes:
                    index, (args, bodies, header, footer) = pending.pop(0)
                    folder = Path(tmp, str(index))
                    folder.mkdir()
                    files = _write_run_files(folder, header, footer, bodies)
                    with open(folder / "stderr.txt", "wb") as stderr:
                        process = subprocess.Popen(
                            [wkhtmltopdf, *args, *files],
                            stdout=subprocess.DEVNULL,
                            stderr=stderr,
                        )
                    running.append((index, folder, process))
                index, folder, process = running[0]
                process.wait()
                running.pop(0)
                pdfs[index] = _read_run(folder, process.returncode)
        finally:  # an error stops the other runs before their files go
            for _index, _folder, process in running:
                process.kill()
                process.wait()
    return pdfs


def pdf_key(bodies, header, footer):
    """What identifies a run's input: how core's `_run_wkhtmltopdf`, called later
    with the same HTML, finds the PDF made here (`header` and `footer` are the
    batch's shared files, as core has them)."""
    digest = hashlib.sha256()
    for part in (header or "", footer or "", *bodies):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _read_run(folder, returncode):
    """The PDF of a finished run; its error output when it made none."""
    err = (folder / "stderr.txt").read_text(errors="replace")
    pdf = folder / "report.pdf"
    # Exit code 1 only reports warnings, as Odoo accepts; but no PDF is no PDF.
    if returncode not in (0, 1) or not pdf.is_file() or not pdf.stat().st_size:
        # Its first line names a bad argument, the last ones a failed page.
        message = err if len(err) <= 1000 else f"{err[:500]} … {err[-500:]}"
        raise WkhtmltopdfError(returncode, message)
    if err:
        _logger.warning("wkhtmltopdf: %s", err)
    return pdf.read_bytes()


def split_layout(html, node_id):
    """Odoo's header (or footer) file of a batch, `html`, holds every document's
    header as a child of the element `node_id`, and its script keeps the one of the
    page's document. Returns one file per document, each holding its own header
    alone, first: wkhtmltopdf loads the header file on every page, so a shared one
    costs each page the headers of the whole batch. None when `html` has no such
    element (the shared file is then used as is)."""
    html = str(html)  # plain text: Odoo's Markup would escape the pieces joined below
    opening = f'<div id="{node_id}">'
    start = html.find(opening)
    end = html.rfind("</body>")
    if start < 0 or end < start:
        return None
    try:
        node = lxml.html.fragment_fromstring(html[start:end])
    except lxml.etree.ParserError:  # a layout with more after the node: keep it shared
        return None
    if node.get("id") != node_id:
        return None
    prefix, suffix = html[:start] + opening, html[html.rfind("</div>", start, end) :]
    return [
        prefix + lxml.html.tostring(child, encoding="unicode", with_tail=False) + suffix
        for child in node
    ]


def _write_run_files(folder, header, footer, bodies):
    """wkhtmltopdf's file arguments. The body names follow Odoo's: the header
    script finds a page's header by the number after 'report.body.tmp.'. A header
    or footer given per body (a list) goes with its body as a page object, each
    in a folder of its own, where its body is number 0: then both are lists (or
    None), as a shared file there would show the first document's."""
    if isinstance(header, list) or isinstance(footer, list):
        if not all(isinstance(layout, list | None) for layout in (header, footer)):
            raise ValueError("headers and footers go per body together, or shared together")
        return _write_page_files(folder, header, footer, bodies)
    args = []
    for name, html in (("header", header), ("footer", footer)):
        if html:
            (folder / f"{name}.html").write_text(html, encoding="utf-8")
            args += [f"--{name}-html", str(folder / f"{name}.html")]
    for index, body in enumerate(bodies):
        path = folder / f"report.body.tmp.{index}.html"
        path.write_text(body, encoding="utf-8")
        args.append(str(path))
    return [*args, str(folder / "report.pdf")]


def _write_page_files(folder, headers, footers, bodies):
    args = []
    for index, body in enumerate(bodies):
        page = folder / str(index)
        page.mkdir()
        path = page / "report.body.tmp.0.html"
        path.write_text(body, encoding="utf-8")
        args += ["page", str(path)]
        for name, layout in (("header", headers), ("footer", footers)):
            html = layout[index] if isinstance(layout, list) else layout
            if html:
                (page / f"{name}.html").write_text(html, encoding="utf-8")
                args += [f"--{name}-html", str(page / f"{name}.html")]
    return [*args, str(folder / "report.pdf")]
