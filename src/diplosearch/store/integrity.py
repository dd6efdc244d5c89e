"""Damage: the checksums recorded at every commit, :func:`verify_index` (what is
damaged, and whether ``rebuild`` can recover), the verification a writer runs
before it writes, and :func:`reported_as_damage`, which turns the foreign
exceptions Whoosh raises on a damaged file into :class:`CorruptIndexError`.

Checksums live in a small file per commit, ``_MAIN_<gen>.sums`` (JSON: the size
and CRC-32 of the generation's table of contents and of every segment file it
uses; not the files diplosearch derives from segments, which may be rewritten).
It is written and flushed just before the new table of contents is renamed
into place, so every commit point has its sums; the sums of older generations are
removed after the rename. Not the manifest: it is written once, at creation, and
rewriting it at every commit would add a second file that must change atomically
with the table of contents. Segment files never change once committed, so a sum
recorded once stays valid; a new commit hashes only the files it adds (still in the
page cache) and copies the others' sums.

Opening an index hashes nothing. A writer verifies every file of the commit it
starts from (once per :class:`Index` object and file; a damaged index is refused
rather than committed on top of); ``check`` verifies all of them and reads every
segment. CRC-32 detects damage, not tampering: see README's Security section.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from pathlib import Path

import attrs
from whoosh.reading import SegmentReader

from ..errors import CorruptIndexError, DiplosearchError, IndexVersionError
from .durable import INDEX_NAME, IndexStorage, write_json_atomically
from .manifest import MANIFEST_NAME, read_manifest, version_problem

SUMS_SUFFIX = ".sums"
TOC_NAME = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")
# Whoosh's compound segment files only: files diplosearch derives from a segment
# (and may rewrite) are not Whoosh's to vouch for.
_SEGMENT_FILE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.seg$")
_SUMS_NAME = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.sums$")
_CHUNK = 1 << 20


def sums_name(generation: int) -> str:
    """The name of the checksum file of ``generation``."""
    return f"_{INDEX_NAME}_{generation}{SUMS_SUFFIX}"


def file_checksum(path: Path) -> dict[str, int]:
    """Size and CRC-32 of the file at ``path``."""
    crc, size = 0, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return {"size": size, "crc32": crc}


def latest_generation(path: Path) -> int:
    """The generation of the newest table of contents in ``path``, or -1."""
    generations = [int(m.group(1)) for name in _list(path) if (m := TOC_NAME.match(name))]
    return max(generations, default=-1)


def read_sums(path: Path, generation: int) -> dict[str, dict[str, int]] | None:
    """The recorded checksums of ``generation`` (file name -> size and crc32), or
    None when none were recorded (an index written before diplosearch kept them)."""
    try:
        data = json.loads((path / sums_name(generation)).read_text("utf-8"))
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not an object")
        return {str(name): {"size": int(v["size"]), "crc32": int(v["crc32"])} for name, v in files.items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CorruptIndexError(f"{path}: unreadable {sums_name(generation)} ({exc})") from exc


def record_sums(
    path: Path, toc_temp_name: str, generation: int, segment_ids: set[str] | None, durable: bool = True
) -> None:
    """Write the checksum file of the commit whose table of contents is about to be
    renamed from ``toc_temp_name`` (``segment_ids``: the segments it lists)."""
    names = _list(path)
    try:
        previous = read_sums(path, latest_generation(path)) or {}
    except CorruptIndexError:
        previous = {}
    files: dict[str, dict[str, int]] = {}
    for name in names:
        match = _SEGMENT_FILE.match(name)
        if not match or not segment_ids or match.group(1) not in segment_ids:
            continue
        known = previous.get(name)
        size = (path / name).stat().st_size
        files[name] = known if known is not None and known["size"] == size else file_checksum(path / name)
    toc_name = f"_{INDEX_NAME}_{generation}.toc"
    files[toc_name] = file_checksum(path / toc_temp_name)
    write_json_atomically(path / sums_name(generation), {"generation": generation, "files": files}, durable)


def remove_other_sums(path: Path, generation: int) -> None:
    """Remove the checksum files of generations other than ``generation``."""
    for name in _list(path):
        match = _SUMS_NAME.match(name)
        if match and int(match.group(1)) != generation:
            with contextlib.suppress(OSError):
                (path / name).unlink()


class CommitChecksums:
    """The hook :class:`~diplosearch.store.durable.IndexStorage` calls around the
    rename of a new table of contents: checksums recorded before, older ones pruned after."""

    @staticmethod
    def record(folder: Path, toc_temp_name: str, generation: int, segment_ids: set[str] | None, durable: bool) -> None:
        record_sums(folder, toc_temp_name, generation, segment_ids, durable)

    @staticmethod
    def prune(folder: Path, generation: int) -> None:
        remove_other_sums(folder, generation)


def damaged_files(path: Path, generation: int | None = None, verified: set | None = None) -> dict[str, str]:
    """Files of the commit ``generation`` (default: the newest) whose size or
    checksum differs from the recorded one: file name -> what is wrong.

    ``verified`` caches files found intact (by name, size, inode and mtime): a
    committed file never changes, so it is hashed once per cache.
    """
    generation = latest_generation(path) if generation is None else generation
    sums = read_sums(path, generation)
    if not sums:
        return {}
    problems: dict[str, str] = {}
    for name, expected in sorted(sums.items()):
        try:
            info = (path / name).stat()
        except FileNotFoundError:
            problems[name] = "missing"
            continue
        key = (name, info.st_size, info.st_ino, info.st_mtime_ns)
        if verified is not None and key in verified:
            continue
        if info.st_size != expected["size"]:
            problems[name] = f"{info.st_size} bytes, {expected['size']} recorded"
        elif file_checksum(path / name)["crc32"] != expected["crc32"]:
            problems[name] = "checksum differs from the one recorded at commit"
        elif verified is not None:
            verified.add(key)
    return problems


def describe(problems: dict[str, str]) -> str:
    """``file (what), file (what)`` for a message."""
    return ", ".join(f"{name} ({what})" for name, what in problems.items())


def reported_as_damage(path: Path, doing: str = "read the index") -> "_ReportedAsDamage":
    """Context manager turning a foreign exception raised inside (Whoosh reading a
    damaged file: ``EOFError``, ``struct.error``, ``zlib.error``, pickle errors...) into
    a :class:`CorruptIndexError` naming ``path`` and, when the checksums tell, the file."""
    return _ReportedAsDamage(path, doing)


class _ReportedAsDamage:
    """:func:`reported_as_damage`'s context manager: a class, not a generator, since
    every search enters one (a generator's cost a few microseconds a search)."""

    __slots__ = ("path", "doing")

    def __init__(self, path: Path, doing: str) -> None:
        self.path, self.doing = path, doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> bool:
        if isinstance(exc, Exception) and not isinstance(exc, DiplosearchError):
            raise corrupt_error(self.path, self.doing, exc) from exc
        return False  # no exception, ours, or not an Exception (KeyboardInterrupt): as it is


def corrupt_error(path: Path, doing: str, exc: BaseException) -> CorruptIndexError:
    """The :class:`CorruptIndexError` for ``exc``, naming the damaged file when the
    recorded checksums find it (the file named by ``exc`` otherwise)."""
    try:
        found = describe(damaged_files(path))
    except (OSError, DiplosearchError):
        found = ""
    where = found or getattr(exc, "filename", None) or "file unknown"
    return CorruptIndexError(
        f"{path}: cannot {doing}, the index is damaged: {where} ({type(exc).__name__}: {exc}); "
        f"`diplosearch check --index {path}` tells whether `rebuild` can recover it"
    )


@attrs.frozen
class CheckReport:
    """What :func:`check_index` (or :meth:`Index.check`) found; ``summary()`` says it in
    one line.

    ``path``: the index checked. ``problems`` maps a file name to what is wrong with it
    (empty when the index is intact). ``documents``: how many stored documents could
    be read from its readable segments (None when its table of contents could not be
    read). ``outdated``: None, or
    why this diplosearch cannot use the index as it is (another analysis or index
    format), which ``rebuild`` fixes. ``recoverable``: every stored document could be read, so
    :meth:`Index.rebuild` can rebuild the index from them (a change inside stored
    text that still decodes is only caught by the checksum, and is kept). ``verified``
    is False for an index written before diplosearch recorded checksums, whose files
    could only be read, not compared.
    """

    path: str
    problems: dict[str, str]
    recoverable: bool
    documents: int | None
    verified: bool
    outdated: str | None = None
    """Why this diplosearch cannot use the index as it is, its files intact (built with
    another analysis or index format: ``rebuild`` brings it up to date), or None."""

    @property
    def ok(self) -> bool:
        """No damage found."""
        return not self.problems

    @property
    def usable(self) -> bool:
        """No damage found, and this diplosearch can search and write the index as it is."""
        return self.ok and self.outdated is None

    def summary(self) -> str:
        """One line saying what is damaged and whether ``rebuild`` can recover it."""
        if self.ok and self.outdated is not None:
            return f"{self.path}: intact, {self.documents} documents, but outdated: {self.outdated}"
        if self.ok:
            note = "" if self.verified else " (no checksums recorded: files read, not compared)"
            return f"{self.path}: ok, {self.documents} documents{note}"
        recovery = (
            f"`diplosearch rebuild --index {self.path}` can recover its {self.documents} stored documents"
            if self.recoverable
            else "the stored documents cannot be read, so rebuild cannot recover it: re-index the sources"
        )
        return f"{self.path}: damaged: {describe(self.problems)}; {recovery}"


def noting_outdated(report: CheckReport, path: Path, analysis_version: str) -> CheckReport:
    """``report``, with :attr:`CheckReport.outdated` saying why a diplosearch analysing
    text as ``analysis_version`` cannot use the index as it is (when it cannot)."""
    try:
        problem = version_problem(path, read_manifest(path), analysis_version)
    except DiplosearchError:
        return report  # an unreadable manifest is among the report's problems already
    return attrs.evolve(report, outdated=str(problem)) if problem is not None else report


def verify_index(path: Path, schema) -> CheckReport:  # type: ignore[no-untyped-def]
    """Verify the index at ``path`` (read with ``schema``): the manifest, the recorded
    checksums, and every segment's stored fields and terms.

    :raises IndexNotFoundError, NotAnIndexError: ``path`` is no diplosearch index
        (its table of contents, a pickle, is then never read).
    """
    for _attempt in range(3):
        generation = latest_generation(path)
        report = _verify_once(path, schema)
        # A commit meanwhile removes the files of the generation being verified:
        # verify the new one rather than report them missing.
        if report.ok or latest_generation(path) == generation:
            break
    return report


def _verify_once(path: Path, schema) -> CheckReport:  # type: ignore[no-untyped-def]
    problems: dict[str, str] = {}
    try:
        read_manifest(path)
    except (CorruptIndexError, IndexVersionError) as exc:
        problems[MANIFEST_NAME] = str(exc)
    generation = latest_generation(path)
    try:
        sums = read_sums(path, generation)
        problems.update(damaged_files(path, generation))
    except CorruptIndexError as exc:
        sums = None
        problems[sums_name(generation)] = str(exc)
    documents: int | None = None
    stored_ok = False
    toc_name = f"_{INDEX_NAME}_{generation}.toc"
    try:
        whoosh_index = IndexStorage(str(path), durable=False).open_index(INDEX_NAME, schema=schema)
    except Exception as exc:
        _note(problems, toc_name, f"unreadable ({type(exc).__name__}: {exc})")
        return CheckReport(str(path), problems, False, None, sums is not None)
    stored_ok, documents = True, 0
    for segment in _segments(whoosh_index, problems, toc_name):
        segment_file = f"{segment.segment_id()}.seg"
        try:
            leaf = SegmentReader(whoosh_index.storage, whoosh_index.schema, segment)
        except Exception as exc:
            stored_ok = False
            _note(problems, segment_file, f"unreadable ({type(exc).__name__}: {exc})")
            continue
        with contextlib.closing(leaf):
            try:
                documents += sum(1 for _ in leaf.all_stored_fields())
            except Exception as exc:
                stored_ok = False
                _note(problems, segment_file, f"stored documents unreadable ({type(exc).__name__}: {exc})")
                continue
            try:
                for _term in leaf.all_terms():
                    pass
            except Exception as exc:
                _note(problems, segment_file, f"terms unreadable ({type(exc).__name__}: {exc})")
    recoverable = stored_ok and MANIFEST_NAME not in problems and toc_name not in problems
    return CheckReport(str(path), problems, recoverable, documents, sums is not None)


def _note(problems: dict[str, str], name: str, what: str) -> None:
    problems[name] = f"{problems[name]}; {what}" if name in problems else what


def _segments(whoosh_index, problems: dict[str, str], toc_name: str) -> list:  # type: ignore[no-untyped-def]
    try:
        return list(whoosh_index._segments())
    except Exception as exc:
        _note(problems, toc_name, f"unreadable ({type(exc).__name__}: {exc})")
        return []


def _list(path: Path) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(path)]
    except OSError:
        return []
