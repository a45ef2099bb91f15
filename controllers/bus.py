from odoo.http import route

from odoo.addons.bus.controllers.main import BusController


class DunningBusController(BusController):
    @route()
    def has_missed_notifications(self, last_notification_id=None):
        # Odoo 18 builds of May 2025 ask this with no id when the tab has received no
        # bus notification yet, and core answers True: each page loaded after another
        # says "The page is out of date". Nothing can be missed before the first
        # notification; later 18.0 clients do not ask without an id.
        if not last_notification_id:
            return False
        return super().has_missed_notifications(last_notification_id)
