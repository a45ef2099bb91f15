from odoo import _, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from .payment_plan_portal import PaymentPlanPortal


class DunningPortal(PaymentPlanPortal):
    """A reminder's customer page: opened from the email, the letter's QR code or the
    portal, with the notice's token and no login; it shows what is still owed today
    and pays it with the company's payment providers."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "dunning_notice_count" in counters:
            Notice = request.env["account.dunning.notice"]
            # The portal's record rules keep it to the customer's own, once sent.
            values["dunning_notice_count"] = (
                Notice.search_count([]) if Notice.has_access("read") else 0
            )
        return values

    @http.route()
    def home(self, **kw):
        response = super().home(**kw)
        response.qcontext.update(self._prepare_dunning_home_values())
        return response

    def _prepare_dunning_home_values(self):
        """The customer's reminders still to pay, each with what its page asks today,
        for the alert of /my that says what is due. The latest reminder of a company
        and currency lists every invoice then overdue: older ones are not added to it."""
        Notice = request.env["account.dunning.notice"]
        due = []
        if not Notice.has_access("read"):
            return {"dunning_due_notices": due}
        # The customer's own, whoever reads /my (a collector reads every notice).
        customer = request.env.user.partner_id.commercial_partner_id
        notices = Notice.search(
            [("partner_id", "=", customer.id), ("state", "not in", ("draft", "cancel"))],
            order="date desc, id desc",
        )
        seen = set()
        # sudo: what the reminder's page asks, read as that page reads it.
        for notice in notices.sudo():
            key = (notice.company_id, notice.currency_id)
            if key in seen:
                continue
            amount = notice._get_portal_payable_amount()
            if notice.currency_id.compare_amounts(amount, 0) > 0:
                seen.add(key)
                due.append({"notice": notice, "amount": amount})
        return {"dunning_due_notices": due}

    @http.route("/my/dunning", type="http", auth="user", website=True)
    def portal_my_dunning_notices(self, **kwargs):
        Notice = request.env["account.dunning.notice"]
        notices = (
            Notice.search([], order="date desc, id desc") if Notice.has_access("read") else Notice
        )
        values = self._prepare_portal_layout_values()
        values.update({"notices": notices, "page_name": "dunning_notices"})
        return request.render("account_dunning.portal_my_dunning_notices", values)

    def _get_notice_sudo(self, notice_id, access_token):
        notice_sudo = self._document_check_access(
            "account.dunning.notice", notice_id, access_token=access_token
        )
        if notice_sudo.state == "draft":  # not sent: not the customer's yet
            raise MissingError(_("This reminder does not exist."))
        return notice_sudo

    @http.route("/my/dunning/<int:notice_id>", type="http", auth="public", website=True)
    def portal_dunning_notice_page(self, notice_id, access_token=None, **kwargs):
        try:
            notice_sudo = self._get_notice_sudo(notice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        moves = notice_sudo._get_portal_payable_moves()
        breakdown = notice_sudo._get_portal_payable_breakdown()
        values = {
            "notice": notice_sudo,
            "moves": moves,
            "breakdown": breakdown,
            "page_name": "dunning_notice",
        }
        amount = breakdown["amount"]
        if amount > 0:
            values.update(
                self._get_dunning_payment_values(
                    notice_sudo, amount, f"/my/dunning/{notice_sudo.id}/transaction"
                )
            )
        values = self._get_page_view_values(
            notice_sudo, access_token, values, "my_dunning_notices_history", False
        )
        return request.render("account_dunning.portal_dunning_notice_page", values)

    @http.route("/my/dunning/<int:notice_id>/transaction", type="json", auth="public")
    def portal_dunning_notice_transaction(self, notice_id, access_token, **kwargs):
        """A transaction for what the notice asks now, on its open invoices and its
        charge invoice. The amount and the invoices are the server's, whatever the
        browser sent."""
        try:
            notice_sudo = self._get_notice_sudo(notice_id, access_token)
        except MissingError:
            raise
        except AccessError as error:
            raise ValidationError(_("The access token is invalid.")) from error
        amount = notice_sudo._get_portal_payable_amount()
        if amount <= 0:
            raise ValidationError(_("Nothing of this reminder is to be paid any more."))
        return self._create_dunning_transaction(
            notice_sudo,
            amount,
            notice_sudo._get_portal_payable_moves(),
            kwargs,
            dunning_notice_id=notice_sudo.id,
        )

    # ------------------------------------------------------------
    # The statement of account's page
    # ------------------------------------------------------------

    def _get_statement_sudo(self, partner_id, company_id, currency_id, access_token):
        """(customer, company, currency) of a statement page, its token checked."""
        # sudo: a visitor with the statement's token, as a document's access token.
        env = request.env(su=True)
        customer = env["res.partner"].browse(partner_id).exists()
        company = env["res.company"].browse(company_id).exists()
        currency = env["res.currency"].browse(currency_id).exists()
        if not (customer and company and currency) or not customer._check_dunning_statement_token(
            company, currency, access_token
        ):
            raise AccessError(_("The access token is invalid."))
        return customer, company, currency

    @http.route(
        "/my/statement/<int:partner_id>/<int:company_id>/<int:currency_id>",
        type="http",
        auth="public",
        website=True,
    )
    def portal_dunning_statement_page(
        self, partner_id, company_id, currency_id, access_token=None, **kwargs
    ):
        try:
            customer, company, currency = self._get_statement_sudo(
                partner_id, company_id, currency_id, access_token
            )
        except AccessError:
            return request.redirect("/my")
        moves, breakdown = customer._get_dunning_statement_payable(company, currency)
        amount = breakdown["amount"]
        path = customer._get_dunning_statement_path(company, currency)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "customer": customer,
                "company": company,
                "moves": moves,
                "breakdown": breakdown,
                "page_name": "dunning_statement",
            }
        )
        if amount > 0:
            values.update(
                self._get_dunning_payment_values(
                    customer._get_dunning_statement_payee(company, currency),
                    amount,
                    f"/my/statement/{customer.id}/{company.id}/{currency.id}/transaction",
                    landing_route=path,
                    access_token=access_token,
                )
            )
        return request.render("account_dunning.portal_dunning_statement_page", values)

    @http.route(
        "/my/statement/<int:partner_id>/<int:company_id>/<int:currency_id>/transaction",
        type="json",
        auth="public",
    )
    def portal_dunning_statement_transaction(
        self, partner_id, company_id, currency_id, access_token, **kwargs
    ):
        """A transaction for everything the statement asks now in its currency, on the
        customer's open invoices. The amount and the invoices are the server's."""
        try:
            customer, company, currency = self._get_statement_sudo(
                partner_id, company_id, currency_id, access_token
            )
        except AccessError as error:
            raise ValidationError(_("The access token is invalid.")) from error
        moves, breakdown = customer._get_dunning_statement_payable(company, currency)
        amount = breakdown["amount"]
        if amount <= 0:
            raise ValidationError(_("Nothing of this statement is to be paid any more."))
        return self._create_dunning_transaction(
            customer._get_dunning_statement_payee(company, currency), amount, moves, kwargs
        )
