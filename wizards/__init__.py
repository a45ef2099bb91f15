from . import account_dunning_run_wizard
