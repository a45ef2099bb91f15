from . import account_dunning_notice_report
from . import account_dunning_statement_report
from . import account_dunning_dossier_report
from . import account_dunning_payment_plan_report
