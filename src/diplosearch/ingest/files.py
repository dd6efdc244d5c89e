"""Reading files and folders: :func:`read_documents`.

Walks folders in sorted order, tells plain-text articles, JSON Lines and JSON
files apart by name, reads each through :mod:`diplosearch.ingest.streams`, and
turns every input it cannot use into an :class:`~diplosearch.documents.InputProblem`
rather than an exception, so one broken file cannot stop a batch.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Literal, NamedTuple

import attrs

from ..documents import Document, InputProblem, shown_value
from ..errors import DocumentError, InvalidArgumentError
import diplosearch.ingest.streams as streams
from .article import parse_article, path_stem
from .records import given_id, record_item, type_name, unread_date

__all__ = ["read_documents", "read_jsonl_stream"]

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
# Formats that would decode as "text" but are not articles, or cannot be text.
_UNSUPPORTED_SUFFIXES = frozenset(
    """.pdf .doc .docx .odt .rtf .xls .xlsx .ods .ppt .pptx .zip .tar .tgz .bz2 .xz .7z .rar .png .jpg
    .jpeg .gif .webp .bmp .tif .tiff .svg .ico .mp3 .mp4 .wav .ogg .avi .mov .mkv .exe .dll .so .dylib
    .pyc .class .jar .html .htm .xhtml .xml .epub .sqlite .db""".split()
)


_Kind = Literal["text", "jsonl", "json", "unsupported"]


def _kind(path: Path) -> _Kind:
    """The format a file's name announces (gzip itself is recognised by content)."""
    name = path.name.lower()
    gz = name.endswith(".gz")
    suffix = Path(name[:-3] if gz else name).suffix
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in _TEXT_SUFFIXES or (gz and not suffix):
        return "text"
    if gz or suffix in _UNSUPPORTED_SUFFIXES:
        return "unsupported"
    return "text"


def _readable(name: str) -> str:
    """A file-system string as valid text: bytes that were not UTF-8 become ``\\xNN``.

    Python hands such names over with lone surrogates, which can be neither indexed
    nor printed; the escaped form is stable, so the same file keeps the same id.
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _json_error(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__


def _too_large_message() -> str:
    return f"file is larger than the {streams.MAX_FILE_BYTES // (1024 * 1024)} MB limit for one document; skipped"


def _read_whole_file(path: Path, shown: str) -> bytes | InputProblem:
    """A file's bytes (decompressed if gzip), or the problem that stopped the read."""
    handle, chunks = streams.open_chunks(path)
    with handle:
        try:
            return streams.read_capped(chunks)
        except streams.TooLarge:
            return InputProblem(shown, None, _too_large_message())
        except streams.StreamError as exc:
            return InputProblem(shown, None, f"{exc}; skipped")


class _Found(NamedTuple):
    """A document read, where it was read, and the id its input gave before cleaning."""

    doc: Document
    shown: str
    line: int | None
    item: int | None  # the position in a JSON array
    given_id: str

    def place(self) -> str:
        return _place(self.shown, self.line, self.item)


def _place(shown: str, line: int | None, item: int | None) -> str:
    """``path:line``, ``path item N`` or ``path``: where an input was read."""
    if line is not None:
        return f"{shown}:{line}"
    return shown if item is None else f"{shown} item {item}"


class _IdLedger:
    """Where each id of one read was last seen, so that a repeat is reported.

    The rule, the same as :meth:`Index.add_many`'s: within one read the last input
    with an id wins. Each repeat (also one that appears only once ids are cleaned,
    ``"a\\x00"`` and ``"a "`` both becoming ``"a"``) is an :class:`InputProblem` at
    the later input, naming the earlier one.
    """

    def __init__(self) -> None:
        # id -> (file, line, item, given id when cleaning changed it); the file string
        # is shared by every record of a file, so a long feed costs little per id.
        self._seen: dict[str, tuple[str, int | None, int | None, str | None]] = {}

    def check(self, found: _Found) -> InputProblem | None:
        doc_id = found.doc.id
        earlier = self._seen.get(doc_id)
        cleaned_from = found.given_id if found.given_id != doc_id else None
        self._seen[doc_id] = (found.shown, found.line, found.item, cleaned_from)
        if earlier is None:
            return None
        where = _place(*earlier[:3])
        if earlier[3] is not None:
            where += f" (cleaned from {earlier[3]!r})"
        if cleaned_from is None:
            said = f"id {shown_value(doc_id)} repeats the id of {where}"
        else:
            said = f"id {shown_value(cleaned_from)} was cleaned to {shown_value(doc_id)}, the id of {where}"
        prefix = "" if found.item is None else f"item {found.item}: "
        return InputProblem(found.shown, found.line, f"{prefix}{said}; the later one replaces the earlier one",
                            skipped=False, doc_id=doc_id)


def _read_text_file(path: Path, shown: str, doc_id: str) -> Iterator[_Found | InputProblem]:
    data = _read_whole_file(path, shown)
    if isinstance(data, InputProblem):
        yield data
        return
    if not data.strip():
        yield InputProblem(shown, None, "empty file")
        return
    reason = streams.binary_reason(data)
    if reason:
        yield InputProblem(shown, None, f"{reason}; skipped")
        return
    try:
        yield _Found(parse_article(streams.decode(data), id=doc_id, path=shown), shown, None, None, doc_id)
    except DocumentError:
        yield InputProblem(shown, None, "no article text (only boilerplate); skipped")


def _read_jsonl(path: Path, shown: str, stem: str) -> Iterator[_Found | InputProblem]:
    handle, chunks = streams.open_chunks(path)
    with handle:
        yield from _read_jsonl_chunks(chunks, shown, stem)


def _found(doc: Document, record: dict[str, Any], shown: str, line: int | None, item: int | None,
           default_id: str) -> Iterator[_Found | InputProblem]:
    """A record's document, and a note when a value of it was left out (an unreadable date)."""
    yield _Found(doc, shown, line, item, given_id(record, default_id))
    note = unread_date(record, doc)
    if note is not None:
        yield InputProblem(shown, line, note if item is None else f"item {item}: {note}", skipped=False, doc_id=doc.id)


def _read_jsonl_chunks(chunks: Iterator[bytes], shown: str, stem: str) -> Iterator[_Found | InputProblem]:
    broken: list[str] = []
    nonblank = 0
    last = 0
    for line in streams.split_lines(streams.utf8_chunks(chunks), broken):
        last = line.number
        if line.data is None:
            nonblank += 1  # a record too long to read, not an empty file
            limit = streams.MAX_LINE_BYTES
            message = f"line is {line.size} bytes, over the {limit} byte limit; skipped"
            yield InputProblem(shown, line.number, message)
            continue
        text = streams.decode(line.data).lstrip("\ufeff").strip()
        if not text:
            continue
        nonblank += 1
        try:
            record = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if not line.complete:
                yield InputProblem(shown, line.number, f"{broken[0]}; this last, cut-off record is lost")
                broken.clear()
            else:
                yield InputProblem(shown, line.number, f"not valid JSON ({_json_error(exc)}); skipped")
            continue
        if not isinstance(record, dict):
            message = f"a record must be a JSON object, not {type_name(record)}; skipped"
            yield InputProblem(shown, line.number, message)
            continue
        default_id = f"{stem}:{line.number}"
        doc = record_item(record, shown, line.number, default_id)
        if isinstance(doc, InputProblem):
            yield doc
        else:
            yield from _found(doc, record, shown, line.number, None, default_id)
    if broken:
        yield InputProblem(shown, last or None, f"{broken[0]}; the records before this line were read")
    elif nonblank == 0:
        yield InputProblem(shown, None, "empty file (no JSON records)")


def _read_json(path: Path, shown: str, stem: str) -> Iterator[_Found | InputProblem]:
    data = _read_whole_file(path, shown)
    if isinstance(data, InputProblem):
        yield data
        return
    text = streams.decode(data).lstrip("\ufeff")
    if not text.strip():
        yield InputProblem(shown, None, "empty file")
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines under a .json name
            yield from _read_jsonl(path, shown, stem)
        else:
            yield InputProblem(shown, exc.lineno, f"not valid JSON ({exc.msg}); skipped")
        return
    except RecursionError:
        yield InputProblem(shown, None, "JSON nested too deeply; skipped")
        return
    if isinstance(value, dict):
        doc = record_item(value, shown, None, stem)
        if isinstance(doc, InputProblem):
            yield doc
        else:
            yield from _found(doc, value, shown, None, None, stem)
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            if isinstance(item, dict):
                default_id = f"{stem}:{number}"
                doc = record_item(item, shown, None, default_id)
                if isinstance(doc, InputProblem):
                    yield attrs.evolve(doc, message=f"item {number}: {doc.message}")
                else:
                    yield from _found(doc, item, shown, None, number, default_id)
            else:
                message = f"item {number}: a record must be a JSON object, not {type_name(item)}"
                yield InputProblem(shown, None, message)
    else:
        yield InputProblem(shown, None, f"expected a JSON object or an array of objects, not {type_name(value)}")


def _read_file(path: Path, shown: str, doc_id: str) -> Iterator[_Found | InputProblem]:
    kind = _kind(path)
    try:
        if kind == "unsupported":
            yield InputProblem(shown, None, f"unsupported file type {path.suffix!r}; convert it to text first")
        elif kind == "jsonl":
            yield from _read_jsonl(path, shown, doc_id)
        elif kind == "json":
            yield from _read_json(path, shown, doc_id)
        else:
            yield from _read_text_file(path, shown, doc_id)
    except PermissionError:
        yield InputProblem(shown, None, "permission denied")
    except OSError as exc:
        yield InputProblem(shown, None, f"cannot read: {exc.strerror or exc}")


class _Walk:
    """One walk of a folder given by the caller, and the link rule it applies."""

    def __init__(self, top: Path, shown: str, follow_links: bool) -> None:
        self.top_real = os.path.realpath(top)
        self.shown = shown
        self.follow_links = follow_links

    def files(self, folder: Path, open_folders: frozenset[str] = frozenset()) -> Iterator[Path | tuple[Path, str]]:
        """Files under ``folder`` in sorted order, skipping hidden names; a file or
        folder that is not read yields (path, reason)."""
        open_folders = open_folders | {os.path.realpath(folder)}
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield folder, f"cannot list folder: {exc.strerror or exc}"
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    yield from self.files(path, open_folders)
                elif not entry.is_symlink():
                    yield path
                elif (reason := self._unfollowed_link(entry, open_folders)) is not None:
                    yield path, reason
                elif entry.is_dir():
                    yield from self.files(path, open_folders)
                else:
                    yield path
            except OSError as exc:
                yield path, f"cannot read: {exc.strerror or exc}"

    def _unfollowed_link(self, entry: os.DirEntry[str], open_folders: frozenset[str]) -> str | None:
        """Why the link ``entry`` is not followed, or None when it is."""
        target = os.path.realpath(entry.path)
        if self.follow_links:
            # A link to a folder the walk is inside would be walked for ever.
            return "link to a folder that holds it, not followed (it would loop)" if target in open_folders else None
        if os.path.commonpath([self.top_real, target]) != self.top_real:
            return f"skipped: link points outside {self.shown}"
        if entry.is_dir():
            return "link to a folder, not followed (it could loop)"
        return None


def read_documents(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str], *, follow_links: bool = False
) -> Iterator[Document | InputProblem]:
    """Read articles from files and folders; yield a Document or an InputProblem for each.

    A path may be a plain-text article (``.txt``, ``.md``, or any file with no
    known binary or markup suffix that turns out to be text), a JSON Lines file
    (``.jsonl``, ``.ndjson``, optionally ``.gz``), a ``.json`` file (an object or
    an array of objects), or a folder, read recursively in sorted order with
    hidden files and folders skipped.

    Ids: a file given directly gets its stem (``artikel.txt`` -> ``artikel``); a
    file found in a folder gets its path relative to that folder, without suffix
    and with ``/`` separators (``2023/des/artikel``), so ids do not depend on
    where the folder is. A JSON record without an id gets ``<that id>:<line>``.

    Links: a path given here is always read, link or not. Inside a folder, a link
    (to a file or a folder) whose target lies outside that folder is not followed
    but reported (``skipped: link points outside FOLDER``), so that a link planted
    in a shared folder cannot pull ``/etc`` into an index; a link to a file inside
    the folder is read, and a link to a folder inside it is reported and not
    followed (it could loop). ``follow_links=True`` follows every link, except one
    to a folder the walk is already inside.

    Never raises for bad input: a missing path, an unreadable, binary, empty,
    oversized (:data:`~diplosearch.ingest.MAX_FILE_BYTES`,
    :data:`~diplosearch.ingest.MAX_LINE_BYTES`) or undecodable file, a JSON line
    that is not an object, a record with wrongly typed fields, a truncated or
    corrupt gzip stream (the records before the break are kept) each become an
    :class:`InputProblem` and reading goes on.

    Repeated ids: ids are cleaned (:func:`document_from_record`), so ``"a\\x00"``
    and ``"a "`` both become ``"a"``. When two inputs of one call end up with the
    same id, both documents are yielded and the last one wins (as in
    :meth:`~diplosearch.Index.add_many`); an :class:`InputProblem` at the later one
    names the earlier one and says when cleaning made the ids equal.

    :raises InvalidArgumentError: ``paths`` is not a path or paths (checked at the
        call, before anything is read; see :func:`checked_paths`).
    """
    return _reporting_repeats(_read_paths(checked_paths(paths, "read_documents"), follow_links))


def checked_paths(paths: object, caller: str) -> list[str | os.PathLike[str]]:
    """``paths`` (one path, or an iterable of them) as a list, each text or a
    ``pathlib.Path`` and not empty.

    :raises InvalidArgumentError: anything else (None, bytes, a number, an empty path),
        naming ``caller``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if isinstance(paths, (bytes, bytearray)) or not isinstance(paths, Iterable):
        raise InvalidArgumentError(f"{caller} takes a path or a list of paths, not {paths!r}")
    listed = list(paths)
    for path in listed:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise InvalidArgumentError(f"{caller} takes paths as text or pathlib.Path (not empty), not {path!r}")
    return listed


def read_jsonl_stream(stream: BinaryIO, name: str = "stdin") -> Iterator[Document | InputProblem]:
    """Read JSON Lines (optionally gzipped) from an open binary stream, such as
    ``sys.stdin.buffer``; yield a Document or an InputProblem for each record, as
    :func:`read_documents` does for a ``.jsonl`` file. ``name`` stands for the file
    name in problems and in the ids of records without one (``stdin:3``).
    The stream is read to its end and not closed.
    """
    yield from _reporting_repeats(_read_jsonl_chunks(streams.handle_chunks(stream, as_available=True), name, name))


def _reporting_repeats(items: Iterable["_Found | InputProblem"]) -> Iterator[Document | InputProblem]:
    """The documents and problems of ``items``, with a problem before each document
    whose (cleaned) id an earlier one of the same read already had."""
    ids = _IdLedger()
    for item in items:
        if isinstance(item, InputProblem):
            yield item
            continue
        repeat = ids.check(item)
        if repeat is not None:
            yield repeat
        yield item.doc


def _read_paths(paths: list[str | os.PathLike[str]], follow_links: bool) -> Iterator[_Found | InputProblem]:
    for given in paths:
        path = Path(given)
        shown = os.fspath(given)
        try:
            info = path.stat()
        except FileNotFoundError:
            yield InputProblem(shown, None, "no such file or folder")
            continue
        except OSError as exc:
            yield InputProblem(shown, None, f"cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(info.st_mode):
            for found in _Walk(path, _readable(shown), follow_links).files(path):
                if isinstance(found, tuple):
                    yield InputProblem(_readable(str(found[0])), None, found[1])
                    continue
                relative = found.relative_to(path)
                doc_id = "/".join([*relative.parent.parts, path_stem(relative)])
                yield from _read_one(found, _readable(str(found)), _readable(doc_id))
        else:
            yield from _read_one(path, _readable(shown), _readable(path_stem(path)))


def _read_one(path: Path, shown: str, doc_id: str) -> Iterator[_Found | InputProblem]:
    try:
        info = path.stat()
    except OSError as exc:
        yield InputProblem(shown, None, f"cannot read: {exc.strerror or exc}")
        return
    if not stat.S_ISREG(info.st_mode):
        # Reading a FIFO or a device could block forever or never end.
        yield InputProblem(shown, None, "not a regular file; skipped")
        return
    if info.st_size == 0:
        yield InputProblem(shown, None, "empty file")
        return
    if info.st_size > streams.MAX_FILE_BYTES and _kind(path) != "jsonl":
        yield InputProblem(shown, None, _too_large_message())
        return
    yield from _read_file(path, shown, doc_id)
