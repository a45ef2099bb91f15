import sys
from pathlib import Path

# The addon root, so that its pure `tools` package imports without Odoo.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
