"""``python -m omnibase_core.cli`` runs ``onex``."""

import sys

from omnibase_core.cli.cli_onex import main

sys.exit(main())
