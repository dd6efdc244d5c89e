"""``diplosearch.json``: the file that marks a directory as a diplosearch index and
records its format, analysis version and creation time (and, for the default index,
the fingerprint of the corpus it was built from).

The manifest is written last when an index is created, so a directory without one
is never mistaken for a finished index.
"""

from __future__ import annotations

import datetime as _dt
import json
import stat
from pathlib import Path

from ..errors import CorruptIndexError, IndexNotFoundError, IndexVersionError, NotAnIndexError
from .durable import INDEX_NAME, write_json_atomically

MANIFEST_NAME = "diplosearch.json"
#: The layout of index directories this diplosearch writes.
#: 2: a ``lead`` field, and titles derived from the text no longer indexed as titles.
INDEX_FORMAT = 2
#: Formats this diplosearch can open to rebuild (an older one is refused for searching).
READABLE_FORMATS = (1, 2)

_MAX_MANIFEST_BYTES = 64 * 1024


def version_problem(path: Path, manifest: dict[str, object], analysis_version: str) -> IndexVersionError | None:
    """Why an index with ``manifest`` cannot be used by a diplosearch analysing text as
    ``analysis_version`` (another analysis, another index format), or None."""
    if manifest.get("analysis_version") != analysis_version:
        return IndexVersionError(
            f"{path} was built with analysis {manifest.get('analysis_version')}, but this "
            f"diplosearch analyses text as {analysis_version}; rebuild it with "
            f"`diplosearch rebuild --index {path}`"
        )
    if manifest.get("format") != INDEX_FORMAT:
        return IndexVersionError(
            f"{path} has index format {manifest.get('format')!r}, this diplosearch writes format "
            f"{INDEX_FORMAT}; rebuild it with `diplosearch rebuild --index {path}`"
        )
    return None


def new_manifest(analysis_version: str, extra: dict[str, object] | None = None) -> dict[str, object]:
    """The manifest of an index created now with ``analysis_version``, plus ``extra`` keys."""
    manifest: dict[str, object] = {
        "format": INDEX_FORMAT,
        "analysis_version": analysis_version,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    manifest.update(extra or {})
    return manifest


def write_manifest(path: Path, manifest: dict[str, object]) -> None:
    """Write the manifest of the index directory ``path`` atomically and durably."""
    write_json_atomically(path / MANIFEST_NAME, manifest)


def has_manifest(path: Path) -> bool:
    """Whether ``path`` is a directory holding a manifest (a finished index, unchecked)."""
    return path.is_dir() and (path / MANIFEST_NAME).exists()


def read_manifest(path: Path) -> dict[str, object]:
    """The manifest of the index at ``path``; raises if ``path`` is not a diplosearch index.

    :raises IndexNotFoundError, NotAnIndexError, CorruptIndexError, IndexVersionError:
    """
    manifest_path = path / MANIFEST_NAME
    if not path.exists():
        raise IndexNotFoundError(f"no index at {path}")
    if not path.is_dir():
        raise NotAnIndexError(f"{path} is a file, not a diplosearch index directory")
    if not manifest_path.exists():
        if any(path.glob("*.toc")):
            raise NotAnIndexError(
                f"{path} holds a Whoosh index that diplosearch did not create; refusing to open it"
            )
        raise NotAnIndexError(f"{path} is not a diplosearch index (no {MANIFEST_NAME})")
    try:
        # Only a small regular file: a FIFO or device named like the manifest would
        # hang or flood the read.
        info = manifest_path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_MANIFEST_BYTES:
            raise NotAnIndexError(f"{path} is not a diplosearch index ({MANIFEST_NAME} is not a small regular file)")
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptIndexError(f"{path}: unreadable {MANIFEST_NAME} ({exc})") from exc
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise CorruptIndexError(f"{path}: {MANIFEST_NAME} is not a diplosearch manifest")
    if not any(path.glob(f"_{INDEX_NAME}_*.toc")):
        raise CorruptIndexError(f"{path}: the index has no committed table of contents")
    if manifest["format"] not in READABLE_FORMATS:
        raise IndexVersionError(
            f"{path} has index format {manifest['format']!r}; this diplosearch reads formats "
            f"{', '.join(map(str, READABLE_FORMATS))}"
        )
    return manifest
