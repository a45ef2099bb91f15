from . import controllers
from . import models
from . import report
from . import wizards


def _post_init_hook(env):
    # Invoices posted before the install get their level row, as posting gives it.
    env["account.dunning.move.level"]._create_for_posted_invoices()
