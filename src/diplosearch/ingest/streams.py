"""Bytes into text: opening files, gunzipping, size caps, finding the encoding, splitting lines.

Nothing here knows about articles or records; :mod:`diplosearch.ingest.files`
builds on it.

* **Decoding** tries UTF-8 (BOM stripped), UTF-16/32 when a BOM says so, then
  CP1252 and finally Latin-1, so legacy Windows text is decoded rather than lost.
  A UTF-8 file whose only fault is a multi-byte character cut off at the very end
  is decoded with a single U+FFFD in place of the broken tail and *not* reported:
  everything the file held is indexed, and a report would read as "skipped".
* **Gzip** is recognised by its first bytes, whatever the name says, and read
  chunk by chunk so that a truncated or corrupt stream keeps what came before.
"""

from __future__ import annotations

import codecs
import re
import zlib
from pathlib import Path
from typing import Any, Iterator, NamedTuple

__all__ = ["MAX_FILE_BYTES", "MAX_LINE_BYTES"]

#: Largest plain-text or JSON file (after decompression) read as one document.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest single line of a JSON Lines file.
MAX_LINE_BYTES = 50 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_LINE_END_RE = re.compile(rb"\r\n?|\n")
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13} | {127})


class StreamError(Exception):
    """A compressed stream ended early or is corrupt."""


class TooLarge(Exception):
    """The data is over :data:`MAX_FILE_BYTES`."""


def _raw_chunks(read: Any, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    while chunk := read(_CHUNK):
        yield chunk


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decompress gzip data chunk by chunk, keeping everything before a break.

    ``gzip.GzipFile`` would drop the data decoded in the same read as a truncation
    and cannot tell how far it got; here every decompressed byte is handed on
    before :class:`StreamError` reports the break. Output per step is bounded,
    so a small "zip bomb" cannot exhaust memory before the size caps apply.
    """
    decompressor = zlib.decompressobj(wbits=31)
    for raw in chunks:
        while raw:
            try:
                out = decompressor.decompress(raw, _CHUNK)
            except zlib.error as exc:
                raise StreamError(f"corrupt gzip data ({exc})") from None
            if out:
                yield out
            raw = decompressor.unconsumed_tail
            if decompressor.eof:
                raw = decompressor.unused_data
                if raw.startswith(_GZIP_MAGIC):  # concatenated members, as `cat a.gz b.gz` makes
                    decompressor = zlib.decompressobj(wbits=31)
                else:
                    raw = b""  # trailing padding, which gzip(1) ignores too
                    break
            elif not decompressor.unconsumed_tail:
                break
    while not decompressor.eof:
        try:
            out = decompressor.decompress(b"", _CHUNK)
        except zlib.error as exc:  # pragma: no cover - zlib reports corruption while fed
            raise StreamError(f"corrupt gzip data ({exc})") from None
        if out:
            yield out
            continue
        raise StreamError("gzip stream is truncated (the file ends before the compressed data does)")


def open_chunks(path: Path) -> tuple[Any, Iterator[bytes]]:
    """An open handle on ``path`` and its content as chunks, gunzipped when the first
    bytes say gzip, whatever the name says (a ".gz" that is plain text is read as such)."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    return handle, handle_chunks(handle)


def handle_chunks(handle: Any, as_available: bool = False) -> Iterator[bytes]:
    """The content of an open binary handle (a file, standard input) as chunks,
    gunzipped when its first bytes say gzip.

    ``as_available``: hand on whatever a pipe holds rather than wait for a full
    chunk, so that records fed slowly through standard input are indexed as they come.
    """
    read = getattr(handle, "read1", handle.read) if as_available else handle.read
    first = read(_CHUNK)
    chunks = _raw_chunks(read, first)
    if first.startswith(_GZIP_MAGIC):
        chunks = _gunzip(chunks)
    return chunks


def decode(data: bytes) -> str:
    """Decode file bytes: BOM, else UTF-8, else CP1252, else Latin-1 (see the module docstring)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            return data[: exc.start].decode("utf-8") + "\ufffd"
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not text (NUL bytes, mostly control bytes), or None when it may be."""
    if any(data.startswith(bom) for bom, codec in _BOMS if codec != "utf-8"):
        return None  # UTF-16/32 text is full of NUL bytes
    if b"\x00" in data:
        return "binary file (contains NUL bytes)"
    sample = data[:65536]
    controls = sum(sample.count(b) for b in _CONTROL_BYTES)
    if controls > len(sample) * 0.02:
        return "binary file (mostly non-text bytes)"
    return None


def read_capped(chunks: Iterator[bytes]) -> bytes:
    """All of ``chunks`` joined; raises :class:`TooLarge` past :data:`MAX_FILE_BYTES`."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise TooLarge
        parts.append(chunk)
    return b"".join(parts)


class Line(NamedTuple):
    """One line of a byte stream, without its line end."""

    number: int
    data: bytes | None  # None: the line was over the size cap and was not kept
    size: int
    complete: bool  # False: the stream broke inside this line


def split_lines(chunks: Iterator[bytes], broken: list[str]) -> Iterator[Line]:
    """Split a byte stream into lines of at most MAX_LINE_BYTES; a stream error
    ends the lines and is put into ``broken``.

    ``\n``, ``\r\n`` and a lone ``\r`` (old Mac files) each end a line, as in
    Python's universal newlines, so line numbers match what an editor shows.
    """
    buffer = bytearray()
    overflow = 0  # bytes of an over-long line seen so far, not kept
    number = 0
    after_cr = False  # the last chunk ended in "\r", whose "\n" may open the next one
    try:
        for chunk in chunks:
            if not chunk:
                continue
            start = 1 if after_cr and chunk.startswith(b"\n") else 0
            after_cr = False
            while True:
                end = _LINE_END_RE.search(chunk, start)
                piece = chunk[start:] if end is None else chunk[start : end.start()]
                if overflow or len(buffer) + len(piece) > MAX_LINE_BYTES:
                    overflow += len(buffer) + len(piece)
                    buffer.clear()
                else:
                    buffer += piece
                if end is None:
                    break
                number += 1
                yield Line(number, None if overflow else bytes(buffer), overflow or len(buffer), True)
                buffer.clear()
                overflow = 0
                start = end.end()
                after_cr = start == len(chunk) and end.group() == b"\r"
    except StreamError as exc:
        broken.append(str(exc))
    if buffer or overflow or broken:
        number += 1
        yield Line(number, None if overflow else bytes(buffer), overflow or len(buffer), not broken)


def utf8_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` re-encoded to UTF-8 when a UTF-16/32 BOM opens them, so that lines
    can be split at ASCII line ends; other data passes through untouched."""
    first = next(chunks, b"")
    codec = next((c for bom, c in _BOMS if first.startswith(bom) and c != "utf-8"), None)
    if codec is None:
        yield first
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    yield decoder.decode(first).lstrip("\ufeff").encode("utf-8")
    for chunk in chunks:
        yield decoder.decode(chunk).encode("utf-8")
    yield decoder.decode(b"", final=True).encode("utf-8")


