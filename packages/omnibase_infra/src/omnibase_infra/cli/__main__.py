"""``python -m omnibase_infra.cli``: the same as ``onex-registration``."""

import sys

from omnibase_infra.cli.cli_registration import main

sys.exit(main())
