from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# The channels of OCA queue_job the work goes to: documents on a sub-channel, so
# that the runner gives them a capacity of their own (ODOO_QUEUE_JOB_CHANNELS).
CHANNEL = "root.dunning"
DOCUMENTS_CHANNEL = "root.dunning.documents"

JOB_KINDS = [
    ("customers", "Customers"),
    ("emails", "Emails"),
    ("letters", "Letters"),
]
# queue_job's own states (odoo.addons.queue_job.job), read from its queue.job.
JOB_STATES = [
    ("wait_dependencies", "Wait Dependencies"),
    ("pending", "Pending"),
    ("enqueued", "Enqueued"),
    ("started", "Started"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
    ("failed", "Failed"),
]


class AccountDunningRunJob(models.Model):
    """A batch of a run's work handed to a job of OCA queue_job, when that module is
    installed (a soft dependency: without it, the work is done in the run and the
    email job themselves). Kept on the run, so that a failed job is seen there and
    retried; its state and error are queue_job's, read by uuid."""

    _name = "account.dunning.run.job"
    _description = "Dunning Job"
    _order = "id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    run_id = fields.Many2one(
        comodel_name="account.dunning.run",
        index=True,
        ondelete="cascade",
        readonly=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, readonly=True
    )
    kind = fields.Selection(selection=JOB_KINDS, required=True, readonly=True)
    uuid = fields.Char(string="Job UUID", required=True, index=True, readonly=True, copy=False)
    name = fields.Char(string="Description", readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    notice_count = fields.Integer(string="Notices", readonly=True)
    state = fields.Selection(selection=JOB_STATES, compute="_compute_job", search="_search_state")
    exc_message = fields.Char(string="Error", compute="_compute_job")
    date_done = fields.Datetime(compute="_compute_job")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_job(self):
        jobs = self._get_queue_jobs()
        by_uuid = {job.uuid: job for job in jobs}
        for row in self:
            job = by_uuid.get(row.uuid)
            row.state = job.state if job else False
            row.exc_message = job.exc_message if job else False
            row.date_done = job.date_done if job else False

    def _search_state(self, operator, value):
        if not self._queue_enabled():
            return [("id", "=", False)]
        # sudo: queue_job's jobs are read by its managers only; a collector sees the
        # state of the dunning jobs through these rows, whose own rules apply.
        uuids = (
            self.env["queue.job"]
            .sudo()
            .search([("state", operator, value), ("channel", "=like", f"{CHANNEL}%")])
            .mapped("uuid")
        )
        return [("uuid", "in", uuids)]

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_retry(self):
        """Put the failed jobs back in the queue: queue_job's own requeue."""
        # Dunning managers retry the jobs of runs they may change; the rows themselves
        # are the server's, written by no one (a uuid rewritten over RPC would reach
        # any job of queue_job).
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(self.env._("Only dunning managers retry a dunning job."))
        self.run_id.check_access("write")
        if error := self._retry_error_message():
            raise UserError(error)
        # sudo: dunning managers are not queue_job managers; the rows above are theirs.
        self._get_queue_jobs().filtered(lambda job: job.state == "failed").sudo().requeue()
        return True

    def _retry_error_message(self):
        if not self._queue_enabled():
            return self.env._("The Job Queue module (queue_job) is not installed.")
        if not self.filtered(lambda row: row.state == "failed"):
            return self.env._("Only a failed job can be retried.")
        return False

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _queue_enabled(self):
        """Whether OCA queue_job is installed in this database, and the dunning work
        goes to its jobs. Read at each call: installing it later takes effect at once."""
        return "queue.job" in self.env and hasattr(self, "with_delay")

    def _get_queue_jobs(self):
        if not self._queue_enabled() or not self:
            return self.env["base"]
        # sudo: see _search_state.
        return (
            self.env["queue.job"]
            .sudo()
            .search([("uuid", "in", self.mapped("uuid")), ("channel", "=like", f"{CHANNEL}%")])
        )

    @api.model
    def _ensure_channels(self):
        """queue_job's channels for the dunning work, so that they are listed (and can
        be configured) with the others; the runner's capacities come from its own
        configuration (see README, "Spreading work over queue_job")."""
        # sudo: channels are queue_job's configuration, which only its managers write.
        Channel = self.env["queue.job.channel"].sudo()
        parent = self.env.ref("queue_job.channel_root").sudo()
        for complete_name in (CHANNEL, DOCUMENTS_CHANNEL):
            channel = Channel.search([("complete_name", "=", complete_name)], limit=1)
            parent = channel or Channel.create(
                {"name": complete_name.rsplit(".", 1)[1], "parent_id": parent.id}
            )

    @api.model
    def _create_for_jobs(self, jobs_values):
        """Keep a row of each job just enqueued ({uuid: values}), once: a job that
        queue_job found already waiting (identity_key) has its row already."""
        # sudo: the rows are the record of what the job engine was given, whoever
        # triggered it (a run, the email job); reading them follows their rules.
        Row = self.sudo()
        existing = set(Row.search([("uuid", "in", list(jobs_values))]).mapped("uuid"))
        return Row.create(
            [
                dict(values, uuid=uuid)
                for uuid, values in jobs_values.items()
                if uuid not in existing
            ]
        )
