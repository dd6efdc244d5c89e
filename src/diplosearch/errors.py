"""Exceptions raised by diplosearch.

Every error the library raises on purpose derives from :class:`DiplosearchError`,
so an application can catch one class; the command line prints ``str(error)`` as
its one-line message.
"""

from __future__ import annotations


class DiplosearchError(Exception):
    """Base class of every error diplosearch raises on purpose."""


class IndexNotFoundError(DiplosearchError):
    """No index exists at the given path (and ``create`` was not asked for), or its
    directory was removed while it was open."""


class NotAnIndexError(DiplosearchError):
    """The path exists but is not a diplosearch index; it is refused unopened."""


class CorruptIndexError(DiplosearchError):
    """The index is damaged (a truncated, zeroed, changed or missing file): the message
    names the index and, when the checksums tell, the file. Writes to a damaged index
    are refused with it too. ``diplosearch check`` says whether ``rebuild`` can recover."""


class ColumnsError(CorruptIndexError):
    """A column file (``MAIN_<segid>.dcol``, what the scorer reads) is missing, damaged,
    or belongs to another segment or format; diplosearch rebuilds it from the segment.
    Defined here, not in :mod:`diplosearch.store.columns`, so that catching it does not
    import numpy."""


class IndexVersionError(DiplosearchError):
    """The index was built with another analysis version or index format: rebuild it
    (``diplosearch rebuild --index PATH``, or :func:`diplosearch.rebuild_index`)."""


class IndexClosedError(DiplosearchError):
    """The :class:`~diplosearch.Index` was closed (by :meth:`~diplosearch.Index.close` or
    its ``with`` block) before this call: open it again to use it."""


class IndexLockedError(DiplosearchError):
    """Another writer held the index's write lock for longer than ``writer_timeout``
    (30 s by default); the message names the holder (pid, host, time)."""


class InvalidArgumentError(DiplosearchError, ValueError):
    """An argument has a value the function does not accept (``workers=0``, ``limit=-1``...).

    Also a :class:`ValueError`, so code written against Python's convention keeps working.
    """


class QueryError(InvalidArgumentError):
    """The query cannot be run (for example it is too long or names an unknown field)."""


class DocumentError(DiplosearchError):
    """A document is invalid (no id, no text at all, a field of the wrong type), or
    ``update`` or ``similar`` names an id the index does not hold."""


class InputFileError(DiplosearchError):
    """An input file cannot be read or parsed. Not raised by this version:
    :meth:`~diplosearch.Index.add_files` reports such files in ``WriteReport.problems``
    and skips them."""


class UnsafeIndexError(DiplosearchError):
    """The index, or the index home, can be written by other users (or belongs to
    one), so opening it could run their code; it is refused unopened."""
