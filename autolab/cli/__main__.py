"""python -m autolab.cli: the `autolab` command."""

import sys

from . import main

sys.exit(main())
