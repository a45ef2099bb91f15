"""Letters of a batch rendered by several wkhtmltopdf at once (the runner itself:
tools/concurrent_pdf.py).

Core methods this relies on, and why:
- `_render_qweb_pdf_prepare_streams` renders a batch in one wkhtmltopdf run, then
  splits the PDF by record and keeps attachments. Overridden for letters only: the
  batch is cut into runs rendered at once, then each run goes through core's own
  method, so splitting and attachments stay core's.
- `_render_qweb_html` and `_run_wkhtmltopdf` are where core's method renders; they
  return the HTML and PDF made above (found in the context) instead of rendering
  again.
- `_prepare_html`, `_build_wkhtmltopdf_args`, `get_paperformat` and
  `_get_wkhtmltopdf_bin` give each run the files and arguments core would give it.
"""

import os
from collections import OrderedDict

from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools.safe_eval import safe_eval, time

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

from ..tools.batches import split_in_runs
from ..tools.concurrent_pdf import (
    WkhtmltopdfError,
    pdf_key,
    run_wkhtmltopdf_concurrently,
    split_layout,
)

LETTER_REPORT = "account_dunning.report_dunning_notice"
# A run costs about a second before its first page (start, script delay), then
# about 0.1 s a page: smaller runs would save little and hold a processor.
MIN_LETTERS_PER_RUN = 10
# Each letter has header and footer files of its own (concurrent_pdf.split_layout),
# so a run's cost grows with its size; a cap keeps one run's files and memory small.
MAX_LETTERS_PER_RUN = 100
# Milliseconds wkhtmltopdf waits for scripts after a page loads (Odoo's
# report.print_delay, 1000 by default): a letter's only script fills in its header.
LETTER_PDF_DELAY = 200


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_html(self, report_ref, docids, data=None):
        prerendered = self.env.context.get("account_dunning_letter_html", {})
        if docids and (html := prerendered.get(tuple(docids))):
            return html, "html"
        return super()._render_qweb_html(report_ref, docids, data=data)

    def _run_wkhtmltopdf(self, bodies, report_ref=False, header=None, footer=None, **kwargs):
        prerendered = self.env.context.get("account_dunning_letter_pdf", {})
        if prerendered and (pdf := prerendered.get(pdf_key(bodies, header, footer))):
            return pdf
        return super()._run_wkhtmltopdf(
            bodies, report_ref=report_ref, header=header, footer=footer, **kwargs
        )

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """A batch of letters renders in several wkhtmltopdf runs at once, one per
        processor: Odoo runs one for the whole batch. Each run's PDF then goes
        through Odoo's own splitting and attachment handling."""
        report = self._get_report(report_ref)
        if (
            report.report_name != LETTER_REPORT
            or not res_ids
            or len(res_ids) != len(set(res_ids))
            or self.get_wkhtmltopdf_state() == "install"
        ):
            return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
        kept_ids = report._get_kept_letter_ids(res_ids)
        to_render = [res_id for res_id in res_ids if res_id not in kept_ids]
        processes = report._get_letter_pdf_processes()
        chunks = split_in_runs(to_render, processes, MIN_LETTERS_PER_RUN, MAX_LETTERS_PER_RUN)

        data = dict(data or {}, report_type="pdf", debug=False)
        html_by_chunk, jobs = {}, []
        for chunk in chunks:
            html = self.with_context(debug=False)._render_qweb_html(report_ref, chunk, data=data)[0]
            html_by_chunk[tuple(chunk)] = html
            bodies, _ids, header, footer, paperformat_args = report.with_context(
                debug=False
            )._prepare_html(html, report_model=report.model)
            jobs.append((bodies, header, footer, paperformat_args))
        pdfs = self._run_wkhtmltopdf_concurrently(report, jobs, processes)

        # Odoo splits each run's PDF by letter; its wkhtmltopdf call gets the PDF above.
        prerendered = self.with_context(
            account_dunning_letter_html=html_by_chunk,
            account_dunning_letter_pdf={
                pdf_key(bodies, header, footer): pdf
                for (bodies, header, footer, _args), pdf in zip(jobs, pdfs, strict=True)
            },
        )
        kept = [res_id for res_id in res_ids if res_id in kept_ids]
        streams = {}
        for ids in ([kept] if kept else []) + chunks:
            part = super(IrActionsReport, prerendered)._render_qweb_pdf_prepare_streams(
                report_ref, data, res_ids=ids
            )
            if False in part:  # a run could not be split by letter: render as Odoo does
                return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
            streams.update(part)
        return OrderedDict((res_id, streams[res_id]) for res_id in res_ids)

    def _get_kept_letter_ids(self, res_ids):
        """The records among `res_ids` whose letter is kept and reused (the report's
        attachment), found in one query instead of one per record."""
        if not (self.attachment and self.attachment_use) or self.env.context.get(
            "report_pdf_no_attachment"
        ):
            return set()
        records = self.env[self.model].browse(res_ids)
        names = {
            record.id: safe_eval(self.attachment, {"object": record, "time": time})
            for record in records
        }
        attachments = self.env["ir.attachment"].search_fetch(
            [
                ("res_model", "=", self.model),
                ("res_id", "in", records.ids),
                ("name", "in", [name for name in names.values() if name]),
            ],
            ["res_id", "name"],
        )
        return {att.res_id for att in attachments if names.get(att.res_id) == att.name}

    def _get_letter_pdf_processes(self):
        """How many wkhtmltopdf may run at once for one batch of letters: the system
        parameter account_dunning.letter_pdf_processes, else one per processor (at
        most 4)."""
        param = (
            self.env["ir.config_parameter"].sudo().get_param("account_dunning.letter_pdf_processes")
        )
        try:
            return max(int(param), 1) if param else min(os.cpu_count() or 1, 4)
        except ValueError:
            raise UserError(
                _(
                    "The system parameter account_dunning.letter_pdf_processes must be a "
                    "whole number, not %(value)r.",
                    value=param,
                )
            ) from None

    def _get_letter_pdf_delay(self):
        """Milliseconds wkhtmltopdf waits for a letter's scripts: the system parameter
        account_dunning.letter_pdf_delay, else LETTER_PDF_DELAY."""
        param = self.env["ir.config_parameter"].sudo().get_param("account_dunning.letter_pdf_delay")
        try:
            return max(int(param), 0) if param else LETTER_PDF_DELAY
        except ValueError:
            raise UserError(
                _(
                    "The system parameter account_dunning.letter_pdf_delay must be a whole"
                    " number of milliseconds, not %(value)r.",
                    value=param,
                )
            ) from None

    def _run_wkhtmltopdf_concurrently(self, report, jobs, processes):
        """The PDF of each job (bodies, header, footer, paperformat arguments), with
        up to `processes` wkhtmltopdf at a time, given the arguments Odoo's
        `_run_wkhtmltopdf` would give them."""
        paperformat = report.get_paperformat()
        delay = str(self._get_letter_pdf_delay())
        runs = []
        for bodies, header, footer, paperformat_args in jobs:
            args = self._build_wkhtmltopdf_args(
                paperformat,
                self.env.context.get("landscape"),
                specific_paperformat_args=paperformat_args,
                set_viewport_size=self.env.context.get("set_viewport_size"),
            )
            if "--javascript-delay" in args:
                args[args.index("--javascript-delay") + 1] = delay
            # Each letter with its own header and footer: a shared file is loaded on
            # every page with the headers of the whole run.
            # Both split, or neither: a shared file beside a body numbered 0 would give
            # every letter the first letter's header or footer.
            headers = split_layout(header, "minimal_layout_report_headers") if header else []
            footers = split_layout(footer, "minimal_layout_report_footers") if footer else []
            if all(
                layouts is not None and len(layouts) in (0, len(bodies))
                for layouts in (headers, footers)
            ):
                runs.append((args, bodies, headers or None, footers or None))
            else:
                runs.append((args, bodies, header, footer))
        try:
            return run_wkhtmltopdf_concurrently(_get_wkhtmltopdf_bin(), runs, processes)
        except WkhtmltopdfError as error:
            # Odoo's own message for a failed run.
            raise UserError(
                _(
                    "Wkhtmltopdf failed (error code: %(error_code)s). Message: %(message)s",
                    error_code=error.returncode,
                    message=error.message,
                )
            ) from None
