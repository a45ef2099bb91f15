from . import account_dunning_mixin
from . import account_dunning_policy
from . import account_dunning_level
from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_move
