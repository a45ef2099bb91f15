/** @odoo-module **/

import { registry } from "@web/core/registry";

// A collector opens the worklist, logs the call to a customer whose collection
// call is due, and records the promise to pay it got. The customer comes from
// the Python test.
registry.category("web_tour.tours").add("account_dunning_collector_call", {
    steps: () => [
        {
            content: "The customer is on the worklist, its call due",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) td[name=next_action]:contains(Call)",
        },
        {
            content: "Log the call",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) button[name=action_log_call]",
            run: "click",
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
            content: "The worklist now shows the promise as the next action",
            trigger: ".o_list_view .o_data_row:contains(Tourmaline Tiles) td[name=next_action]:contains(Promise Due)",
        },
    ],
});
