"""The ``diplosearch`` logger, with :mod:`logging` imported when something is first logged.

The store logs only the unusual (a rebuilt column file, a swap finished after a
crash, a failed clean-up); importing :mod:`logging` (with ``traceback`` and
``string``) cost every new process ~5 ms before its first search for that.
"""

from __future__ import annotations

import sys
from typing import Any, Callable


class LazyLogger:
    """Stands for ``logging.getLogger(name)``: every attribute is read from that logger,
    looked up (and :mod:`logging` imported) on use."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._waiting: list[Callable[[Any], None]] = []

    def __getattr__(self, attribute: str) -> Any:
        import logging

        logger = logging.getLogger(self._name)
        while self._waiting:
            self._waiting.pop(0)(logger)
        return getattr(logger, attribute)

    def when_used(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(logger)`` before the first message is logged (at once when
        :mod:`logging` is loaded already), so that an application can route the
        library's messages without importing :mod:`logging` in every run; returns a
        function that withdraws the callback if it has not run yet."""
        logging = sys.modules.get("logging")
        if logging is not None:
            callback(logging.getLogger(self._name))
            return lambda: None
        self._waiting.append(callback)

        def withdraw() -> None:
            if callback in self._waiting:
                self._waiting.remove(callback)

        return withdraw


#: The logger of the whole library.
LOG = LazyLogger("diplosearch")
