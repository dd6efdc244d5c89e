"""Replacing a whole index directory (a rebuild, the default index): the new index is
built beside the old one and swapped in; a swap a killed process left half-done is
finished by whoever opens the index next; what killed builds left is swept away.

Names beside an index at ``DIR/NAME`` (``PID`` is the process that owns the folder)::

    .NAME.creating-PID-RAND/   Index.create's staging of a new, empty index
    .NAME.building-PID-RAND/   a replacement being built (incomplete)
    .NAME.ready-PID-RAND/      a replacement, complete and flushed to disk, about to be swapped in
    .NAME.retired-PID-RAND/    the old index, moved aside by the swap and deleted after it

The swap is two renames, ``NAME -> retired`` then ``ready -> NAME``: POSIX has no
atomic exchange of two directories. A kill between them leaves no ``NAME``, but a
complete ``ready`` (or, failing that, the ``retired`` old index) beside it, which
:func:`finish_interrupted_swap` renames into place. A rename onto a missing path is
atomic and only one of several processes racing to do it succeeds, so no lock is needed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

from .durable import fsync_directory, make_directory, pid_alive
from .lazy_log import LOG
from .manifest import has_manifest

_log = LOG

_STAGES = ("creating", "building", "ready", "retired")


def _beside(path: Path, stage: str, tag: str) -> Path:
    return path.parent / f".{path.name}.{stage}-{tag}"


def _leftovers(path: Path, stage: str) -> list[Path]:
    """Folders of ``stage`` beside ``path``, and the creating-folders of its builds."""
    prefixes = (f".{path.name}.{stage}-",)
    if stage == "building":  # Index.create stages a build's own directory beside it
        prefixes += (f"..{path.name}.building-",)
    # A listing and a prefix test, not Path.glob: each glob pattern costs a regex
    # compile, and every open_index sweeps four stages.
    try:
        with os.scandir(path.parent) as entries:
            return [path.parent / entry.name for entry in entries if entry.name.startswith(prefixes)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _owner_alive(folder: Path, stage: str) -> bool:
    pid = folder.name.split(f".{stage}-", 1)[1].split("-", 1)[0]
    return not pid.isdigit() or pid_alive(int(pid))


def sweep_dead_leftovers(path: Path, stages: tuple[str, ...] = _STAGES) -> None:
    """Remove the staging folders beside ``path`` whose owning process is gone.

    A ``ready`` or ``retired`` folder is kept while ``path`` is missing: it is what
    :func:`finish_interrupted_swap` puts back.
    """
    for stage in stages:
        if stage in ("ready", "retired") and not path.exists():
            continue
        for folder in _leftovers(path, stage):
            if not _owner_alive(folder, stage):
                shutil.rmtree(folder, ignore_errors=True)


def finish_interrupted_swap(path: Path) -> bool:
    """If ``path`` is missing because a swap was killed half-way, rename the complete
    index it left (the newest ``ready`` one, else the ``retired`` old one) into place.
    True if one was put back. Safe to run in several processes at once."""
    if path.exists() or path.is_symlink() or not path.parent.is_dir():
        return False
    for stage in ("ready", "retired"):
        candidates = [folder for folder in _leftovers(path, stage) if has_manifest(folder)]
        for candidate in sorted(candidates, key=_mtime, reverse=True):
            try:
                os.rename(candidate, path)
            except FileNotFoundError:
                continue  # another process took it first
            except OSError:
                if path.exists():
                    return False  # another process put an index back first
                raise
            fsync_directory(path.parent)
            _log.warning("%s: finished a directory swap that a killed process left half-done", path)
            sweep_dead_leftovers(path)
            return True
    return False


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return 0.0


def replace_directory(path: Path, build: Callable[[Path], None]) -> None:
    """Build a new index with ``build(staging)`` beside ``path``, then swap it into place.

    ``build`` must leave a complete index at ``staging``. Readers of the old directory
    keep their open files; a crash before the swap leaves the old index untouched,
    and a crash during it is repaired by the next :func:`finish_interrupted_swap`.
    """
    make_directory(path.parent)
    sweep_dead_leftovers(path)
    tag = f"{os.getpid()}-{os.urandom(4).hex()}"
    staging, ready = _beside(path, "building", tag), _beside(path, "ready", tag)
    try:
        build(staging)
        fsync_directory(staging)
        os.rename(staging, ready)
        fsync_directory(path.parent)
        retired = None
        if path.exists():
            retired = _beside(path, "retired", tag)
            os.replace(path, retired)
        try:
            os.replace(ready, path)
        except OSError as exc:
            finished_by_another = isinstance(exc, FileNotFoundError) and not ready.exists() and path.exists()
            if not finished_by_another:
                if retired is not None and not path.exists():
                    os.replace(retired, path)
                raise
        fsync_directory(path.parent)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        for unfinished in (staging, ready):
            if unfinished.exists():
                shutil.rmtree(unfinished, ignore_errors=True)
