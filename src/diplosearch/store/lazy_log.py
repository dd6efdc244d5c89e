"""The ``diplosearch`` logger, with :mod:`logging` imported when something is first logged.

The store logs only the unusual (a rebuilt column file, a swap finished after a
crash, a failed clean-up); importing :mod:`logging` (with ``traceback`` and
``string``) cost every new process ~5 ms before its first search for that.
"""

from __future__ import annotations

from typing import Any


class LazyLogger:
    """Stands for ``logging.getLogger(name)``: every attribute is read from that logger,
    looked up (and :mod:`logging` imported) on use."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import logging

        return getattr(logging.getLogger(self._name), attribute)


#: The logger of the whole library.
LOG = LazyLogger("diplosearch")
