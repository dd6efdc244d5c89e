"""Who may have planted an index: the check, as ssh makes for its keys, that an
index directory, its files and the index home belong to this user (or root) and
cannot be written by anyone else.

Opening an index unpickles its table of contents, so whoever can write the
directory chooses code that runs as the user who opens it. A directory that group
or others can write is refused whatever its sticky bit (a sticky directory still
lets anyone create a new, newer table of contents in it); one owned by another user
is refused even when root opens it, since that user could have written anything
there. Root-owned directories are accepted for every user: root can change any
file anyway.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import UnsafeIndexError

_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def refuse_unsafe(path: Path, what: str, with_files: bool = False) -> None:
    """Raise :class:`UnsafeIndexError` if ``path`` (described as ``what``: "index
    home", "index directory") is writable by other users or owned by another user;
    with ``with_files``, check the regular files in it too. A missing path passes."""
    if os.name != "posix":
        return
    try:
        info = path.stat()
    except OSError:
        return
    _refuse(path, info, what, path)
    if with_files and stat.S_ISDIR(info.st_mode):
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            try:
                entry_info = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # removed by a concurrent commit
            if stat.S_ISREG(entry_info.st_mode) or stat.S_ISDIR(entry_info.st_mode):
                _refuse(Path(entry.path), entry_info, f"file of the index {path}", Path(entry.path))


def _refuse(path: Path, info: os.stat_result, what: str, fix_target: Path) -> None:
    me = os.geteuid()
    if info.st_uid not in (me, 0):
        raise UnsafeIndexError(
            f"{path}: refusing to open this {what}: it belongs to user {info.st_uid}, not to you "
            f"({me}), and opening an index runs code its writer chose; use an index you built"
        )
    if info.st_mode & _WRITABLE_BY_OTHERS:
        raise UnsafeIndexError(
            f"{path}: refusing to open this {what}: other users can write to it (mode "
            f"{stat.S_IMODE(info.st_mode):o}), and opening an index runs code its writer chose; "
            f"fix with `chmod go-w {fix_target}`"
        )
