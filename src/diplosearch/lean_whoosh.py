"""Importing Whoosh without the network and event-loop machinery it does not use.

Two of Whoosh's imports cost a new process's first search about 80 ms for names
that a search never calls:

- every Whoosh module imports ``whoosh.compat``, which (in whoosh-reloaded) does
  ``from urllib.request import urlretrieve``; nothing in Whoosh calls it, and
  ``urllib.request`` loads ``http.client``, ``email``, ``socket`` and ``ssl``;
- ``whoosh.reading`` imports the ``cached_property`` package, which imports
  ``asyncio`` (``ssl``, ``socket``, ``subprocess``, ``concurrent.futures``...) only
  to ask, when a cached property is first read, whether it wraps a coroutine.

:func:`prepare_whoosh_imports` imports ``whoosh.compat`` and ``cached_property``
while ``sys.modules`` holds a stand-in for ``urllib.request`` and ``asyncio``
(``urlretrieve``; any attribute of ``asyncio``) that imports the real module when a
name of it is first called or read, so they behave exactly as before, only later.
The stand-ins leave ``sys.modules`` as soon as those two imports are done, so any
other ``import asyncio`` or ``import urllib.request`` loads the real module as
usual. This is done only while the process runs a single thread (no other thread
can then meet a stand-in), and only for a module not loaded yet.

This module imports nothing from diplosearch; the package runs it before anything
imports Whoosh.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any, Callable


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    """``urllib.request.urlretrieve``, imported when first called."""
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def _deferred_module(name: str) -> types.ModuleType:
    """A stand-in for module ``name`` whose every attribute is read from the real
    module, imported on the first read (once the stand-in has left ``sys.modules``)."""
    stand_in = types.ModuleType(name, f"Stand-in for {name}, imported on first use (diplosearch.lean_whoosh).")

    def __getattr__(attribute: str) -> Any:
        if sys.modules.get(name) is stand_in:  # read during the import itself: not deferred
            raise AttributeError(attribute)
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    return stand_in


def _url_request_stand_in() -> types.ModuleType:
    # ``from urllib.request import urlretrieve`` reads the name at import time, so the
    # stand-in holds a function that defers the import to the call.
    stand_in = types.ModuleType("urllib.request", "Stand-in while whoosh.compat imports (diplosearch.lean_whoosh).")
    stand_in.urlretrieve = _urlretrieve  # type: ignore[attr-defined]
    return stand_in


def _import_with_stand_in(module: str, replaced: str, make_stand_in: Callable[[], types.ModuleType]) -> None:
    """Import ``module`` with a stand-in for ``replaced`` when that is safe, else plainly."""
    if module in sys.modules:
        return
    if replaced in sys.modules or threading.active_count() != 1:
        importlib.import_module(module)
        return
    stand_in = make_stand_in()
    sys.modules[replaced] = stand_in
    try:
        importlib.import_module(module)
    finally:
        if sys.modules.get(replaced) is stand_in:
            del sys.modules[replaced]


def prepare_whoosh_imports() -> None:
    """Import ``whoosh.compat`` and ``cached_property`` without loading ``urllib.request``
    and ``asyncio`` until something uses them (see the module's docstring)."""
    _import_with_stand_in("whoosh.compat", "urllib.request", _url_request_stand_in)
    _import_with_stand_in("cached_property", "asyncio", lambda: _deferred_module("asyncio"))
