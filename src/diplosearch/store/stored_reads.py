"""Reading a commit's stored fields with one positional read a document.

Whoosh keeps each segment's stored fields as one column in the segment's compound
``.seg`` file: per document, a pickled dict compressed with zlib, found through
offset and length arrays that its column reader loads once. Its reader then reads a
document with a seek and a read through three layers of file objects on one shared
handle, so readers of one snapshot must take turns, and the layers cost about a third
of a document's read (56 against 37 µs at 22k articles, the rest being zlib and
pickle).

:func:`positional_reader` reads the same bytes with ``os.pread`` at the position
Whoosh's reader would seek to: no shared file offset moves, so threads read at once,
and the document decoded is the one Whoosh's reader decodes (``tests/test_stored_reads.py``
compares every document). It is used only when each segment's reader has exactly the
shape Whoosh 2.7 gives it, and never on a platform without ``os.pread``; otherwise
the caller reads through Whoosh as before.
"""

from __future__ import annotations

import bisect
import os
from pickle import loads
from typing import Any, Callable

#: A reader of the stored fields of a commit-wide doc number.
StoredReader = Callable[[int], "dict[str, object]"]


def positional_reader(leaves: list[tuple[Any, int]]) -> StoredReader | None:
    """A reader over ``leaves`` (each segment's Whoosh reader and its first commit-wide
    doc number, as ``IndexReader.leaf_readers()`` gives them) that reads each document
    with one ``os.pread``; None when a segment's stored-fields column is not shaped as
    Whoosh 2.7 writes it (call it holding the lock that guards Whoosh's shared file:
    it loads each column's offsets through Whoosh once)."""
    pread = getattr(os, "pread", None)
    if pread is None or not leaves:
        return None
    from whoosh.codec.whoosh3 import STORED_COLUMN
    from whoosh.columns import CompressedBytesColumn, PickleColumn
    from whoosh.filedb.compound import SubFile

    segments = []
    for leaf, _offset in leaves:
        perdoc = getattr(leaf, "_perdoc", None)
        cached_reader = getattr(perdoc, "_cached_reader", None)
        if cached_reader is None:
            return None
        pickled = cached_reader("_stored", STORED_COLUMN)
        if type(pickled) is not PickleColumn.Reader:
            return None
        compressed = getattr(pickled, "_child", None)
        if type(compressed) is not CompressedBytesColumn.Reader:
            return None
        part = getattr(getattr(compressed, "_dbfile", None), "file", None)
        if type(part) is not SubFile:
            return None
        handle = part._file
        try:
            descriptor = handle.fileno()
        except (AttributeError, OSError, ValueError):
            return None
        segments.append((handle, descriptor, part._offset + compressed._basepos, compressed._offsets,
                         compressed._lengths, compressed._decompress))
    starts = [offset for _leaf, offset in leaves]

    def read(docnum: int) -> dict[str, object]:
        position = bisect.bisect_right(starts, docnum) - 1
        handle, descriptor, base, offsets, lengths, decompress = segments[position]
        local = docnum - starts[position]
        length = lengths[local]
        if not length:
            return {}
        if handle.closed:  # its descriptor may already name another file
            raise ValueError("read of a closed segment file")
        data = pread(descriptor, length, base + offsets[local])
        if len(data) != length:
            raise ValueError(f"stored fields of document {docnum}: {len(data)} of {length} bytes")
        pickled = decompress(data)
        fields = loads(pickled) if pickled else None
        return dict(fields) if fields else {}

    return read
