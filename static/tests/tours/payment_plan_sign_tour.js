/** @odoo-module **/

import { registry } from "@web/core/registry";

// A portal customer reads the proposed payment plan and accepts it by signing
// with Odoo's own signature widget. The plan and the URL come from the Python test.
registry.category("web_tour.tours").add("account_dunning_payment_plan_sign", {
    steps: () => [
        {
            content: "The schedule is shown",
            trigger: "#plan_schedule tbody tr:eq(2)",
        },
        {
            content: "Open the signature form",
            trigger: "#plan_sign a[data-bs-target='#modal_plan_sign']",
            run: "click",
        },
        {
            // Sized once the modal is shown: a signature drawn before that is empty.
            content: "The signature area is shown",
            trigger: ".modal canvas.o_web_sign_signature:not([width='0'])",
        },
        {
            content: "The name is filled in, so the signature is drawn",
            trigger: ".modal .o_web_sign_name_and_signature input:value(Lakeside Joinery)",
        },
        {
            content: "Choose a signature style (draws the signature anew)",
            trigger: ".modal .o_web_sign_auto_select_style button",
            run: "click",
        },
        {
            content: "The fourth style",
            trigger: ".o-dropdown-item:eq(3)",
            run: "click",
        },
        {
            content: "Accept and sign",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "The plan is accepted",
            trigger: ".o_portal_payment_plan .alert-success:contains(the payment plan is accepted)",
        },
        {
            content: "and now offers to pay the first installment",
            trigger: "#plan_pay:contains(Pay the next installment)",
        },
    ],
});
