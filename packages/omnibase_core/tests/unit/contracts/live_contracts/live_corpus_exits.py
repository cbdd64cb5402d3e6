"""A module that ends the process when imported (a handler module must never do this)."""

import sys

sys.exit(3)
