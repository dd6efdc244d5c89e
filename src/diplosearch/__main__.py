"""``python -m diplosearch``: the same as the ``diplosearch`` command."""

import sys

from .cli import main

sys.exit(main())
