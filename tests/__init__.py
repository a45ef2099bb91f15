from . import test_dunning_config
from . import test_res_partner
from . import test_account_move
from . import test_access_rights
from . import test_dunning_run
from . import test_reference_rate
from . import test_late_fees
from . import test_ui
