"""What :meth:`Index.stats <diplosearch.Index.stats>` reports: counts and
sizes of an index's current commit, its documents per source and their date range.

Imported when stats are first asked for: a process that only searches never loads it
(nor the report classes it builds).
"""

from __future__ import annotations

import datetime as _dt
import os
import stat
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Iterator, Mapping

from ..schema import TEXT_FIELDS
from .integrity import reported_as_damage
from .reports import IndexStats

def index_stats(path: Path, manifest: Mapping[str, Any], reading: Callable[[], ContextManager[Any]]) -> IndexStats:
    """The :class:`IndexStats` of the index at ``path`` (its ``manifest``, and
    ``reading()`` giving a Whoosh searcher of its current commit); reads every
    document's stored fields once."""
    sources: dict[str, int] = {}
    dates: list[str] = []
    undated = 0
    with reported_as_damage(path), reading() as searcher:
        reader = searcher.reader()
        terms = {name: sum(1 for _ in reader.lexicon(name)) for name in TEXT_FIELDS}
        documents = searcher.doc_count()
        segments = len(reader.leaf_readers())
        for stored in reader.all_stored_fields():
            source = stored.get("source")
            if source:
                sources[source] = sources.get(source, 0) + 1
            published = stored.get("published")
            if published:
                dates.append(str(published)[:10])
            else:
                undated += 1
    # A concurrent commit may delete files between listing and stat: skip those.
    size = sum(info.st_size for info in _stats(path.iterdir()) if stat.S_ISREG(info.st_mode))
    toc_times = [info.st_mtime for info in _stats(path.glob("*.toc"))]
    last = (
        _dt.datetime.fromtimestamp(max(toc_times), _dt.timezone.utc).isoformat(timespec="seconds")
        if toc_times
        else None
    )
    return IndexStats(
        path=str(path),
        documents=documents,
        size_bytes=size,
        segments=segments,
        analysis_version=str(manifest.get("analysis_version")),
        created=manifest.get("created"),
        last_commit=last,
        terms_per_field=terms,
        sources=dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
        earliest=min(dates) if dates else None,
        latest=max(dates) if dates else None,
        undated=undated,
    )


def _stats(paths: Iterable[Path]) -> Iterator[os.stat_result]:
    for path in paths:
        try:
            yield path.stat()
        except FileNotFoundError:
            continue
