from odoo import api, models
from odoo.tools import SQL, split_every

from .account_dunning_run_job import DOCUMENTS_CHANNEL


class AccountDunningDocumentJob(models.AbstractModel):
    """Notices' emails and letters rendered in jobs of OCA queue_job, when it is
    installed (account.dunning.run.job._queue_enabled), on a channel of their own:
    one job per batch, as the email job renders a batch (one template render, one
    wkhtmltopdf batch of letters). Each job reads again what is left to do, so that
    it can run twice; queue_job does not enqueue a batch already waiting
    (identity_key)."""

    _name = "account.dunning.document.job"
    _description = "Dunning Documents in Jobs"

    # Letters rendered per job (see account.dunning.notice.send._email_batch_size).
    _letter_batch_size = 100

    # ------------------------------------------------------------
    # BUSINESS METHODS: emails
    # ------------------------------------------------------------

    @api.model
    def _enqueue_pending_emails(self):
        """One job per batch of notices whose email waits, per run and template."""
        notices = self.env["account.dunning.notice"].search(
            [("email_state", "=", "pending")], order="id"
        )
        size = self.env["account.dunning.notice.send"]._email_batch_size
        groups = notices.grouped(lambda notice: (notice.run_id, notice.level_id.mail_template_id))
        return self._enqueue_batches(
            "emails",
            "_job_send_emails",
            [
                (run, batch)
                for (run, _template), group in groups.items()
                for batch in split_every(size, group.ids, notices.browse)
            ],
        )

    @api.model
    def _job_send_emails(self, notices):
        """Job: render these notices' emails into Odoo's mail queue, those still
        waiting for it. Locked, so that two jobs never write one notice's email."""
        Send = self.env["account.dunning.notice.send"]
        notices = self._lock_notices(notices, SQL("email_state = 'pending'"))
        # Nothing goes to the mail queue for a debt paid since the notice was sent.
        notices, problems = Send._check_before_sending(notices)
        self.env["account.dunning.run.log"]._log_problems(problems)
        notices = notices.filtered(lambda notice: notice.email_state == "pending")
        for template, template_notices in notices.grouped(
            lambda notice: notice.level_id.mail_template_id
        ).items():
            Send._render_email_batch(template_notices, template)
        return self.env._("%(count)s emails rendered", count=len(notices))

    # ------------------------------------------------------------
    # BUSINESS METHODS: letters
    # ------------------------------------------------------------

    @api.model
    def _enqueue_letters(self, notices):
        """One job per batch of these notices' letters, rendered and kept on each
        notice (the report's attachment), ready to print or send."""
        return self._enqueue_batches(
            "letters",
            "_job_render_letters",
            [
                (run, batch)
                for run, group in notices.sorted("id").grouped("run_id").items()
                for batch in split_every(self._letter_batch_size, group.ids, notices.browse)
            ],
        )

    @api.model
    def _job_render_letters(self, notices):
        """Job: render the letters of these notices not kept yet, in one batch (see
        ir.actions.report._render_qweb_pdf_prepare_streams); those kept are not
        rendered again."""
        # The PDF is what this job is for: made even under Odoo's test runner, which
        # otherwise renders reports as HTML.
        report = self.env.ref("account_dunning.action_report_dunning_notice").with_context(
            force_report_rendering=True
        )
        notices = self._lock_notices(notices, SQL("TRUE"))
        kept = report._get_kept_letter_ids(notices.ids)
        to_render = notices.filtered(lambda notice: notice.id not in kept)
        if to_render:
            report._render_qweb_pdf(report, res_ids=to_render.ids)
        return self.env._("%(count)s letters rendered", count=len(to_render))

    # ------------------------------------------------------------
    # BUSINESS METHODS: jobs
    # ------------------------------------------------------------

    @api.model
    def _enqueue_batches(self, kind, method, batches):
        """Enqueue `method`(notices) for each (run, notices) of `batches` on the
        documents channel, with a row on the run. Returns the rows."""
        # Imported here: queue_job is a soft dependency (see _queue_enabled).
        from odoo.addons.queue_job.job import identity_exact  # noqa: PLC0415

        Job = self.env["account.dunning.run.job"]
        if not batches:
            return Job
        Job._ensure_channels()
        label = dict(Job._fields["kind"]._description_selection(self.env))[kind]
        rows = {}
        for run, batch in batches:
            name = self.env._(
                "%(kind)s: %(count)s notices from %(first)s",
                kind=label,
                count=len(batch),
                first=batch[:1].name,
            )
            delayed = self.with_delay(
                channel=DOCUMENTS_CHANNEL, description=name, identity_key=identity_exact
            )
            job = getattr(delayed, method)(batch)
            rows[job.uuid] = {
                "run_id": run.id,
                "company_id": batch[:1].company_id.id,
                "kind": kind,
                "name": name,
                "notice_count": len(batch),
            }
        return Job._create_for_jobs(rows)

    @api.model
    def _lock_notices(self, notices, condition):
        """Those of `notices` meeting `condition` that no other job holds, locked
        until this job ends (SKIP LOCKED: another job has the others)."""
        self.env["account.dunning.notice"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM account_dunning_notice
                 WHERE id = ANY(%s) AND %s
                 ORDER BY id
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                notices.ids,
                condition,
            )
        )
        locked = {notice_id for (notice_id,) in self.env.cr.fetchall()}
        notices.invalidate_recordset()
        return notices.filtered(lambda notice: notice.id in locked)
