from . import portal
from . import payment_plan_portal
from . import dunning_portal
from . import bus
