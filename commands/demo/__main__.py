"""`python -m commands.demo` (make demo)."""

import sys

from .main import main

sys.exit(main())
