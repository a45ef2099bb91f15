/** @odoo-module **/

import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";
import { patch } from "@web/core/utils/patch";

// Marking a collection call done asks for its outcome: the server returns the
// "Log Call" dialog for such a call (and refuses to mark it done without one),
// nothing for any other activity.
async function openCallOutcome(component, onDone) {
    const action = await component.env.services.orm.call(
        "mail.activity",
        "action_dunning_call_outcome",
        [[component.props.activity.id]]
    );
    if (!action) {
        return false;
    }
    await component.env.services.action.doAction(action, { onClose: onDone });
    return true;
}

patch(Activity.prototype, {
    async onClickMarkAsDone(ev) {
        // Odoo's popover is anchored to the button: the event is over after the call.
        const target = ev.currentTarget;
        const thread = this.thread;
        const opened = await openCallOutcome(this, async () => {
            this.props.onActivityChanged(thread);
            await thread.fetchNewMessages();
        });
        if (!opened) {
            return super.onClickMarkAsDone({ currentTarget: target });
        }
    },
});

patch(ActivityListPopoverItem.prototype, {
    async onClickMarkAsDone() {
        const opened = await openCallOutcome(this, () => this.props.onActivityChanged?.());
        if (!opened) {
            return super.onClickMarkAsDone();
        }
    },
});
