/** @odoo-module **/

import { registry } from "@web/core/registry";
import { redirect } from "@web/core/utils/urls";

// A portal customer opens /my: what is due is said at the top, with its amount, and
// Pay opens the quotation whose deposit is awaited. The data come from the test.
registry.category("web_tour.tours").add("account_dunning_portal_deposit_due", {
    steps: () => [
        {
            content: "The deposit due, with its amount",
            trigger: ".o_portal_due .o_portal_deposit_due:contains(Deposit for quotation):contains(200.00)",
        },
        {
            content: "Pay it",
            trigger: ".o_portal_due .o_portal_deposit_due a:contains(Pay)",
            run: "click",
        },
        {
            content: "The quotation asks for the deposit",
            trigger: "#deposit_info:contains(A deposit is required before we start)",
            // As sale's tours end: leave the page before its chatter loads, no race.
            run: () => redirect("/my/account"),
        },
        {
            content: "Left for a page that loads nothing more",
            trigger: "input[name=email]",
        },
    ],
});
