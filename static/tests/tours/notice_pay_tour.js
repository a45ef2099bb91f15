/** @odoo-module **/

import { registry } from "@web/core/registry";

// A customer opens a reminder's page from the email's link, without logging in,
// and pays it with Odoo's Demo provider. The notice and the URL come from the test.
registry.category("web_tour.tours").add("account_dunning_notice_pay", {
    steps: () => [
        {
            content: "The open invoices and the charge invoice are listed",
            trigger: "#notice_invoices tbody tr:eq(2)",
        },
        {
            content: "The page asks what is left",
            trigger: "#notice_pay h4:contains(1,310.00)",
        },
        {
            content: "Test card details for the Demo provider",
            trigger: "#notice_pay input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "#notice_pay button[name='o_payment_submit_button']:enabled",
            run: "click",
        },
        {
            content: "Back on the reminder's page: paid, nothing more to pay",
            trigger: ".o_portal_dunning_notice .badge:contains(Paid online)",
            timeout: 20000,
        },
        {
            content: "and no payment form any more",
            trigger: "#notice_settled",
        },
    ],
});
