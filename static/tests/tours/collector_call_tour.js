/** @odoo-module **/

import { registry } from "@web/core/registry";

// A collector opens the worklist, goes from a customer's row to its collection
// view, logs the call it had to make and records the promise to pay it got. The
// customer (a broken promise behind it, its call due) comes from the Python test.
registry.category("web_tour.tours").add("account_dunning_collector_call", {
    steps: () => [
        {
            content: "The customer is on the worklist, its call due",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) td[name=next_action]:contains(Call)",
        },
        {
            content: "The row says why it stands out",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) td[name=attention]:contains(Promise broken)",
        },
        {
            content: "Log Call and Open Items fit on the screen, without scrolling",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) button[name=action_open_items]",
            run() {
                const list = this.anchor.closest(".o_list_renderer").getBoundingClientRect();
                const button = this.anchor.getBoundingClientRect();
                if (button.right > list.right || list.right > window.innerWidth) {
                    throw new Error(`Open Items is off-screen: ${button.right} > ${list.right}`);
                }
            },
        },
        {
            content: "Open the customer from its row",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) td[name=partner_id]",
            run: "click",
        },
        {
            content: "The customer opens on its Collections tab",
            trigger: ".o_form_view .o_notebook a.active[name=dunning]",
        },
        {
            content: "with its collection history",
            trigger: ".o_form_view div[name=dunning_event_ids] .o_data_row",
        },
        {
            content: "Log the call",
            trigger: ".o_form_view button[name=action_dunning_log_call]",
            run: "click",
        },
        {
            content: "The number to call is a link",
            trigger: ".modal div[name=phone] a[href^='tel:']",
        },
        {
            content: "and what is owed is shown",
            trigger: ".modal div[name=amount_overdue]:contains(640.00)",
        },
        {
            content: "The customer promised to pay",
            trigger: ".modal div[name=outcome] input[data-value=promise]",
            run: "click",
        },
        {
            content: "The overdue invoice is already chosen",
            trigger: ".modal div[name=move_ids] .o_tag:contains(INV/)",
        },
        {
            content: "By when",
            trigger: ".modal div[name=promise_date] input",
            run: "edit 12/24/2099",
        },
        {
            content: "What was said",
            trigger: ".modal div[name=note] textarea",
            run: "edit Pays on Christmas Eve",
        },
        {
            content: "Done",
            trigger: ".modal button[name=action_done]",
            run: "click",
        },
        {
            content: "Back on the customer",
            trigger: "body:not(:has(.modal)) .o_form_view div[name=dunning_event_ids] td[name=call_outcome]:contains(Promise)",
        },
        {
            content: "Back to the worklist",
            trigger: ".o_breadcrumb a:contains(Worklist)",
            run: "click",
        },
        {
            content: "The worklist now shows the promise as the next action",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) td[name=next_action]:contains(Promise Due)",
        },
    ],
});
