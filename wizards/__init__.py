from . import account_dunning_run_wizard
from . import account_dunning_waive_charges
from . import sale_order_deposit_waiver
from . import account_dunning_call_outcome
from . import mail_compose_message
