/** @odoo-module **/

import { registry } from "@web/core/registry";

// A salesperson tries to confirm a quotation whose deposit is unpaid: the server
// refuses, the message states the amounts, and the order stays a quotation.
// The quotation and the URL come from the Python test.
registry.category("web_tour.tours").add("account_dunning_deposit_blocks_confirm", {
    steps: () => [
        {
            content: "The banner states the deposit",
            trigger: ".o_form_view .o_deposit_banner:contains(Deposit required before confirmation)",
        },
        {
            content: "Press Confirm",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_confirm]:visible",
            run: "click",
        },
        {
            content: "The server's message names the amounts",
            trigger:
                ".modal .o_error_dialog:contains(cannot be confirmed before its deposit is paid in full):contains(missing)",
        },
        {
            content: "Close the message",
            trigger: ".modal .o_error_dialog .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Still a quotation",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Quotation)",
        },
    ],
});
