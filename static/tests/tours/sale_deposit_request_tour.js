/** @odoo-module **/

import { registry } from "@web/core/registry";

// A salesperson on a sent quotation whose deposit is unpaid: Request Deposit is the
// primary button, Confirm is refused by the server, and the deposit is requested
// with its own email. The quotation and the URL come from the Python test.
registry.category("web_tour.tours").add("account_dunning_deposit_request", {
    steps: () => [
        {
            content: "The banner states the deposit",
            trigger: ".o_form_view .o_deposit_banner:contains(Deposit required before confirmation)",
        },
        {
            content: "Request Deposit is the primary button",
            trigger: ".o_form_view .o_statusbar_buttons button.btn-primary[name=action_request_deposit]",
        },
        {
            content: "Confirm is not primary, and is refused",
            trigger:
                ".o_form_view .o_statusbar_buttons button[name=action_confirm]:not(.btn-primary):visible",
            run: "click",
        },
        {
            content: "The server's message names the amounts",
            trigger:
                ".modal .o_error_dialog:contains(cannot be confirmed before its deposit is paid in full)",
        },
        {
            content: "Close the message",
            trigger: ".modal .o_error_dialog .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Request the deposit",
            trigger: ".o_form_view .o_statusbar_buttons button.btn-primary[name=action_request_deposit]",
            run: "click",
        },
        {
            content: "The email is the deposit's, not a plain invoice's",
            trigger: ".modal .o_field_widget[name=mail_body]:contains(we ask for a deposit)",
        },
        {
            content: "Send it",
            trigger: ".modal footer button.o_mail_send:visible",
            run: "click",
        },
        {
            content: "The banner says the deposit is invoiced and awaited",
            trigger:
                ".o_form_view .o_deposit_banner .o_deposit_awaited:contains(Deposit invoiced, awaiting payment):visible",
        },
        {
            content: "Still a quotation",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Quotation Sent)",
        },
    ],
});
