from . import account_dunning_notice_report
