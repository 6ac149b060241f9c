"""`python -m emulators`: the local stack's command line (emulators/cli.py)."""

import sys

from emulators.cli import main

sys.exit(main())
