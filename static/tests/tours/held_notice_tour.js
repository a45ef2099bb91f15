/** @odoo-module **/

import { registry } from "@web/core/registry";

// A collector opens a final demand held for a check, reads why it waits, previews
// its email and its letter, then sends it. The notice comes from the Python test.
registry.category("web_tour.tours").add("account_dunning_held_notice", {
    steps: () => [
        {
            content: "The notice says why it waits",
            trigger: ".o_form_view div[name=held_reason]:contains(not sent automatically)",
        },
        {
            content: "Preview its email",
            trigger: ".o_form_view button[name=action_preview_email]",
            run: "click",
        },
        {
            content: "The email is written for the customer",
            trigger: ".modal div[name=body_html]:contains(Dear Final Frames)",
        },
        {
            content: "with its subject",
            trigger: ".modal div[name=subject]:contains(final demand for payment)",
        },
        {
            content: "Close the preview",
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Preview its letter",
            trigger: "body:not(:has(.modal)) .o_form_view button[name=action_preview_letter]",
            run: "click",
        },
        {
            content: "The letter as it would print",
            trigger: ".o_action :iframe .page:contains(Final Frames)",
        },
        {
            content: "Back to the notice",
            trigger: ".o_breadcrumb .o_back_button a",
            run: "click",
        },
        {
            content: "Send it",
            trigger: ".o_form_view button[name=action_send]",
            run: "click",
        },
        {
            content: "It has left: nothing waits any more",
            trigger: ".o_form_view:not(:has(div[name=held_reason])) .o_statusbar_status",
        },
    ],
});
