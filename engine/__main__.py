"""``python -m engine`` runs the ``sync`` command line."""

import sys

from .cli import main

sys.exit(main())
