"""``python -m cnncalc``: the same as the ``cnncalc`` command."""

import sys

from .entry import main

sys.exit(main())
