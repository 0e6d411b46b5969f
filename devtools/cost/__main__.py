"""Entry point of `python -m devtools.cost`."""

import sys

from devtools.cost.cli import main

sys.exit(main())
