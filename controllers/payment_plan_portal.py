from odoo import Command, _, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.payment.controllers import portal as payment_portal


class PaymentPlanPortal(payment_portal.PaymentPortal):
    """The customer's side of a payment plan: find it from the portal's home, read
    it, accept it by signing, pay the next installment online."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "payment_plan_count" in counters:
            Plan = request.env["account.dunning.payment.plan"]
            # The portal's record rules keep it to the customer's own, proposed on.
            values["payment_plan_count"] = (
                Plan.search_count([("state", "!=", "draft")]) if Plan.has_access("read") else 0
            )
        return values

    @http.route("/my/payment_plans", type="http", auth="user", website=True)
    def portal_my_payment_plans(self, **kwargs):
        Plan = request.env["account.dunning.payment.plan"]
        plans = (
            Plan.search([("state", "!=", "draft")], order="id desc")
            if Plan.has_access("read")
            else Plan
        )
        values = self._prepare_portal_layout_values()
        values.update({"plans": plans, "page_name": "payment_plans"})
        return request.render("account_dunning.portal_my_payment_plans", values)

    def _get_plan_sudo(self, plan_id, access_token):
        return self._document_check_access(
            "account.dunning.payment.plan", plan_id, access_token=access_token
        )

    @http.route("/my/payment_plans/<int:plan_id>", type="http", auth="public", website=True)
    def portal_payment_plan_page(self, plan_id, access_token=None, **kwargs):
        try:
            plan_sudo = self._get_plan_sudo(plan_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if plan_sudo.state == "draft":
            return request.redirect("/my")
        values = {
            "plan": plan_sudo,
            "page_name": "payment_plan",
            "message": kwargs.get("message"),
            "agreement": request.env["report.account_dunning.report_payment_plan"]
            .sudo()
            ._get_agreement_values(plan_sudo)[plan_sudo.id],
        }
        amount = plan_sudo._get_portal_payable_amount()
        if amount > 0:
            values.update(
                self._get_dunning_payment_values(
                    plan_sudo, amount, f"/my/payment_plans/{plan_sudo.id}/transaction"
                )
            )
        values = self._get_page_view_values(
            plan_sudo, access_token, values, "my_payment_plans_history", False
        )
        return request.render("account_dunning.portal_payment_plan_page", values)

    @http.route("/my/payment_plans/<int:plan_id>/accept", type="json", auth="public", website=True)
    def portal_payment_plan_accept(self, plan_id, access_token=None, name=None, signature=None):
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            plan_sudo = self._get_plan_sudo(plan_id, access_token)
        except (AccessError, MissingError):
            return {"error": _("Invalid payment plan.")}
        if plan_sudo.state != "proposed":
            return {"error": _("This payment plan is not waiting for your signature.")}
        # As sale's quotations: the page checks and records the customer's signature.
        name = (name or "").strip()
        if not name or not signature:
            return {"error": _("Sign with your name and signature.")}
        try:
            plan_sudo._action_activate(signed_by=name, signature=signature)
        except (UserError, ValueError, TypeError) as error:
            return {"error": str(error)}
        plan_sudo.message_post(
            body=_("Signed on the portal by %(name)s.", name=name),
            author_id=plan_sudo.partner_id.id,
        )
        return {
            "force_refresh": True,
            "redirect_url": plan_sudo.get_portal_url(query_string="&message=sign_ok"),
        }

    @http.route("/my/payment_plans/<int:plan_id>/transaction", type="json", auth="public")
    def portal_payment_plan_transaction(self, plan_id, access_token, **kwargs):
        """A transaction for the next installment, on the plan's open invoices. The
        amount is the server's, whatever the browser sent."""
        try:
            plan_sudo = self._get_plan_sudo(plan_id, access_token)
        except MissingError:
            raise
        except AccessError as error:
            raise ValidationError(_("The access token is invalid.")) from error
        amount = plan_sudo._get_portal_payable_amount()
        if amount <= 0:
            raise ValidationError(_("Nothing of this payment plan is to be paid now."))
        invoices = plan_sudo.move_ids.filtered("dunning_open")
        return self._create_dunning_transaction(plan_sudo, amount, invoices, kwargs)

    def _create_dunning_transaction(self, record_sudo, amount, invoices, kwargs, **values):
        """A transaction of `amount` on `invoices` for a customer page (`record_sudo`:
        a payment plan, a reminder): the amount and the invoices are the server's,
        whatever the browser sent; Odoo reconciles the payment with the invoices."""
        logged_in = not request.env.user._is_public()
        partner_sudo = request.env.user.partner_id if logged_in else record_sudo.partner_id
        self._validate_transaction_kwargs(kwargs)
        kwargs.update(
            {
                "amount": amount,
                "partner_id": partner_sudo.id,
                "currency_id": record_sudo.currency_id.id,
                "reference_prefix": record_sudo.name.replace("/", "-"),
            }
        )
        tx_sudo = self._create_transaction(
            custom_create_values={"invoice_ids": [Command.set(invoices.ids)], **values}, **kwargs
        )
        return tx_sudo._get_processing_values()

    def _get_dunning_payment_values(
        self, record_sudo, amount, transaction_route, landing_route=None, access_token=None
    ):
        """Odoo's payment form for a customer page (`record_sudo`: a payment plan, a
        reminder, a statement): the company's providers for `amount`, paid through
        `transaction_route`, which fixes the amount and the invoices again."""
        logged_in = not request.env.user._is_public()
        partner_sudo = request.env.user.partner_id if logged_in else record_sudo.partner_id
        company = record_sudo.company_id
        currency = record_sudo.currency_id
        availability_report = {}
        # sudo: providers, methods and tokens are read for a public visitor too.
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id,
                partner_sudo.id,
                amount,
                currency_id=currency.id,
                report=availability_report,
            )
        )
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids,
                partner_sudo.id,
                currency_id=currency.id,
                report=availability_report,
            )
        )
        tokens_sudo = (
            request.env["payment.token"]
            .sudo()
            ._get_available_tokens(providers_sudo.ids, partner_sudo.id)
        )
        return {
            "company_mismatch": not self._can_partner_pay_in_company(partner_sudo, company),
            "expected_company": company,
            "show_tokenize_input_mapping": self._compute_show_tokenize_input_mapping(
                providers_sudo
            ),
            "amount": amount,
            "currency": currency,
            "partner_id": partner_sudo.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": tokens_sudo,
            "availability_report": availability_report,
            "transaction_route": transaction_route,
            "landing_route": landing_route or record_sudo.get_portal_url(),
            "access_token": access_token or record_sudo._portal_ensure_token(),
        }
