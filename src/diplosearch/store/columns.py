"""Per-segment column files: what the vectorised scorer reads instead of Whoosh's matchers.

Each Whoosh segment ``MAIN_<segid>`` gets one immutable file ``MAIN_<segid>.dcol`` in the
index folder. Whoosh's own clean-up (``whoosh.index.clean_files``) deletes every file
whose name starts with a dead segment's id, so the columns leave with their segment.

A file holds, for one segment:

- the vocabulary of all text fields (sorted, one UTF-8 blob with start offsets);
- per text field, CSR arrays over the vocabulary: ``pointers`` (row ``t`` of term ``t``
  is ``[pointers[t], pointers[t+1])``), ``docs`` (segment-local doc numbers, ascending
  in a row), ``weights`` (Whoosh's posting weight: the term frequency), and the
  positions of each posting (``position_pointers`` into ``positions``), so phrases
  need no Whoosh matcher;
- per text field the one-byte length codes Whoosh scores with, and the field's total
  length (for the average field length);
- per document values: ``published`` as days since 1970-01-01 (:data:`MISSING_DAY`
  when absent: what date filters and facets read) and as seconds since 1970-01-01T00:00
  of its wall-clock time (:data:`MISSING_SECOND` when absent: what the date sort orders
  by; files written before it was kept derive it from the days, at midnight), and
  ``source``, ``category``, ``sub_category`` as ids into small dictionaries of
  case-folded keys (-1 when absent), each key with a display label;
- per document ``id`` and ``title`` as stored (one UTF-8 blob with start offsets each),
  so a page of hits without snippets names its documents without decompressing and
  unpickling Whoosh's stored fields (format 2);
- per term, its postings over all text fields at once (see :mod:`.union_postings`),
  what a word searched in every field is scored from (format 2).

Layout: an 8-byte magic, the format version, the header's length and CRC-32, a JSON
header (segment id, document count, the table of arrays with dtype, shape, offset and
CRC-32, the total size), then each array 64-byte aligned so it is mapped, not copied.
Files are written to a temporary name, fsync'ed and renamed. :func:`load_columns`
raises :class:`ColumnsError` on any damage; ``columns_upgrade.columns_for`` then rebuilds
them from the segment (never trusting the damaged file). A writer that holds a new
segment's postings in memory makes its columns with :func:`assemble_columns`.

Deletions are not in the file: Whoosh keeps them in the table of contents, and the
scorer reads them from the segment object of each commit.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import attrs
import numpy as np

from ..errors import ColumnsError
from ..schema import FILTER_FIELDS, TEXT_FIELDS
from .column_files import (  # noqa: F401  (COLUMNS_FORMAT, column_file_name: this module's API too)
    COLUMNS_FORMAT,
    MappedColumnFile,
    column_file_name,
    take_opened,
    write_array_file,
)
from .column_texts import TextColumn, Vocabulary
from .union_postings import UNION_ARRAYS, UnionPostings

#: Text fields whose postings are stored (the searchable fields of a diplosearch index).
COLUMN_TEXT_FIELDS: tuple[str, ...] = TEXT_FIELDS
#: Stored fields kept as dictionary-coded per-document values.
VALUE_FIELDS: tuple[str, ...] = FILTER_FIELDS
#: ``published_days`` of a document without a date.
MISSING_DAY = np.iinfo(np.int32).min
#: ``published_seconds`` of a document without a date.
MISSING_SECOND = np.iinfo(np.int64).min
_SECONDS_PER_DAY = 86_400

_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


class CheckedArrays:
    """The arrays of one mapped column file, each checked against its CRC-32 the first
    time it is asked for (a first search reads a fraction of a file; checking it all
    at open cost a new process tens of ms), or earlier by a background check (see
    :mod:`~diplosearch.store.column_files`). A damaged array is never returned:
    :meth:`get` raises :class:`ColumnsError` and :attr:`damaged` names the array."""

    def __init__(self, opened: MappedColumnFile, arrays: dict[str, np.ndarray]) -> None:
        self.path = opened.path
        self._opened = opened
        self._arrays = arrays
        #: The name of an array found damaged, if any.
        self.damaged: str | None = None

    def get(self, name: str) -> np.ndarray:
        """Array ``name``, its checksum verified (once)."""
        if not self._opened.verified(name):
            self.damaged = name
            raise ColumnsError(f"{self.path}: array {name} is damaged (checksum mismatch)")
        return self._arrays[name]

    def check_all(self) -> None:
        """Verify every array now."""
        for name in self._arrays:
            self.get(name)


class _CheckedOnFirstRead:
    """A :class:`FieldColumns` array read from a :class:`CheckedArrays`, verified the
    first time it is read; the verified array then sits in the instance's ``__dict__``,
    so later reads are plain attribute reads."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        array = instance._source.get(instance._prefix + self.name)
        instance.__dict__[self.name] = array
        return array


#: The arrays of a text field in a column file (``field.<name>.<array>``).
FIELD_ARRAYS = ("pointers", "docs", "weights", "position_pointers", "positions", "length_codes")


class FieldColumns:
    """The postings and lengths of one text field in one segment (read-only arrays)."""

    pointers: np.ndarray = _CheckedOnFirstRead()  # type: ignore[assignment]
    """int64 [terms + 1]: row bounds of each vocabulary id in ``docs``/``weights``."""
    docs: np.ndarray = _CheckedOnFirstRead()  # type: ignore[assignment]
    """int32 [postings]: segment-local doc numbers, ascending within a row."""
    weights: np.ndarray = _CheckedOnFirstRead()  # type: ignore[assignment]
    """float32 [postings]: Whoosh's posting weight (term frequency x field boost)."""
    position_pointers: np.ndarray = _CheckedOnFirstRead()  # type: ignore[assignment]
    """int64 [postings + 1]: bounds of each posting's positions in ``positions``."""
    positions: np.ndarray = _CheckedOnFirstRead()  # type: ignore[assignment]
    """uint16 or uint32 [sum of frequencies]: token positions, ascending per posting."""
    length_codes: np.ndarray = _CheckedOnFirstRead()  # type: ignore[assignment]
    """uint8 [documents]: Whoosh's one-byte field length code of each document."""
    total_length: int
    """The field's total length in tokens over all documents (deleted ones included)."""

    def __init__(self, *, pointers: np.ndarray, docs: np.ndarray, weights: np.ndarray,
                 position_pointers: np.ndarray, positions: np.ndarray, length_codes: np.ndarray,
                 total_length: int) -> None:
        self.__dict__.update(pointers=pointers, docs=docs, weights=weights, position_pointers=position_pointers,
                             positions=positions, length_codes=length_codes)
        self.total_length = total_length

    @classmethod
    def checked_on_first_read(cls, source: CheckedArrays, field: str, total_length: int) -> "FieldColumns":
        """The columns of ``field`` whose arrays ``source`` verifies as each is first read."""
        columns = cls.__new__(cls)
        columns._source = source
        columns._prefix = f"field.{field}."
        columns.total_length = total_length
        return columns

    def __repr__(self) -> str:
        return f"<FieldColumns of {self.total_length} tokens>"

    def row(self, term_id: int) -> tuple[int, int]:
        """The ``[start, end)`` posting range of a vocabulary id."""
        bounds = self.__dict__.get("_row_bounds")
        if bounds is None:
            # Indexing a memoryview gives a Python int far faster than a numpy scalar.
            bounds = self.__dict__["_row_bounds"] = memoryview(np.ascontiguousarray(self.pointers, dtype=np.int64))
        return bounds[term_id], bounds[term_id + 1]


@attrs.frozen(eq=False)
class ValueColumn:
    """A per-document string value coded as ids into a small dictionary."""

    keys: tuple[str, ...]
    """Case-folded values: what filters compare with."""
    labels: tuple[str, ...]
    """The most common original spelling of each key, for display."""
    ids: np.ndarray
    """int32 [documents]: index into ``keys``, -1 where the document has no value."""


@attrs.frozen(eq=False)
class SegmentColumns:
    """Everything the scorer reads about one segment."""

    segment_id: str
    doc_count: int
    """Documents in the segment, deleted ones included (Whoosh's ``doc_count_all``)."""
    vocabulary: Vocabulary
    """The terms of all text fields, sorted; a term's rank is its id."""
    fields: Mapping[str, FieldColumns]
    published_days: np.ndarray
    """int32 [documents]: days since 1970-01-01, :data:`MISSING_DAY` when unknown."""
    published_seconds: np.ndarray
    """int64 [documents]: the wall-clock time of ``published`` in seconds since
    1970-01-01T00:00 (a date without a time at its midnight), :data:`MISSING_SECOND`
    when unknown; its day is always ``published_days``'."""
    values: Mapping[str, ValueColumn]
    doc_ids: TextColumn
    """Each document's ``id`` as stored."""
    titles: TextColumn
    """Each document's title as stored ("" when it has none)."""
    checked: CheckedArrays | None = attrs.field(default=None, repr=False)
    """The file's arrays when the fields' arrays are verified on first read, else None."""
    union_fields: tuple[str, ...] = ()
    """With ``checked``: the fields of the file's union postings' columns."""
    _union: list[UnionPostings] = attrs.field(factory=list, repr=False, init=False)

    def union_postings(self) -> UnionPostings:
        """Each term's postings over all text fields at once (:mod:`.union_postings`):
        read from the column file (verified on this first read), or derived from the
        fields' postings the first time they are asked for."""
        if not self._union:
            if self.checked is not None:
                union = UnionPostings(self.union_fields, *(self.checked.get(f"union.{name}") for name in UNION_ARRAYS))
            else:
                union = UnionPostings.of_fields(len(self.vocabulary), self.doc_count, self.fields)
            self._union.append(union)  # two threads racing store equal rows; the first is used
        return self._union[0]

    @property
    def damaged(self) -> bool:
        """Whether reading an array of these columns found it damaged."""
        return self.checked is not None and self.checked.damaged is not None

    def document_frequency(self, field: str, text: str) -> int:
        """Postings of ``text`` in ``field`` (deleted documents included, as Whoosh counts)."""
        term_id = self.vocabulary.id_of(text)
        if term_id is None or field not in self.fields:
            return 0
        start, end = self.fields[field].row(term_id)
        return end - start


# ----------------------------------------------------------------------------- assembling


def assemble_columns(
    segment_id: str,
    doc_count: int,
    postings: Mapping[str, Mapping[str, tuple[Sequence[int], Sequence[float], Sequence[Sequence[int]]]]],
    length_codes: Mapping[str, np.ndarray],
    total_lengths: Mapping[str, int],
    published: Sequence[object],
    values: Mapping[str, Sequence[str | None]],
    doc_ids: Sequence[object],
    titles: Sequence[object],
) -> SegmentColumns:
    """Columns from a segment's data held in memory (a writer's own postings).

    :param postings: per text field, term -> (doc numbers ascending, Whoosh posting
        weights, the positions of each posting).
    :param length_codes: per text field, Whoosh's one-byte length code of each document.
    :param total_lengths: per text field, the total length in tokens.
    :param published: per document, the stored ``published`` value (see :func:`published_day`).
    :param values: per name in :data:`VALUE_FIELDS`, each document's value or None.
    :param doc_ids: per document, the stored ``id``; ``titles`` likewise (see :func:`stored_text`).
    """
    terms = sorted(set().union(*(field_postings.keys() for field_postings in postings.values())))
    term_ids = {term: i for i, term in enumerate(terms)}
    fields = {}
    for field in COLUMN_TEXT_FIELDS:
        rows = sorted((postings.get(field) or {}).items(), key=lambda item: term_ids[item[0]])
        counts = np.zeros(len(terms) + 1, np.int64)
        position_lists: list[Sequence[int]] = []
        for text, (docs, _weights, positions) in rows:
            counts[term_ids[text] + 1] = len(docs)
            position_lists.extend(positions)
        position_counts = np.fromiter(map(len, position_lists), np.int64, len(position_lists))
        position_pointers = np.zeros(len(position_lists) + 1, np.int64)
        np.cumsum(position_counts, out=position_pointers[1:])
        flat = np.fromiter((p for ps in position_lists for p in ps), np.int64, int(position_pointers[-1]))
        fields[field] = FieldColumns(
            pointers=np.cumsum(counts),
            docs=np.fromiter((d for _t, (docs, _w, _p) in rows for d in docs), np.int32),
            weights=np.fromiter((w for _t, (_d, weights, _p) in rows for w in weights), np.float32),
            position_pointers=position_pointers,
            positions=flat.astype(np.uint16 if not flat.size or flat.max() < 2**16 else np.uint32),
            length_codes=np.asarray(length_codes.get(field, np.zeros(doc_count, np.uint8)), dtype=np.uint8),
            total_length=int(total_lengths.get(field, 0)),
        )
    return SegmentColumns(
        segment_id=segment_id,
        doc_count=doc_count,
        vocabulary=Vocabulary.of(terms),
        fields=fields,
        **published_columns(published, doc_count),
        values={name: encode_values(list(values.get(name) or [None] * doc_count)) for name in VALUE_FIELDS},
        doc_ids=TextColumn.of([stored_text(value) for value in doc_ids]),
        titles=TextColumn.of([stored_text(value) for value in titles]),
    )


# ----------------------------------------------------------------------------- document values


def published_day(value: object) -> int:
    """Days since 1970-01-01 of a stored ``published`` value (ISO text or date), or
    :data:`MISSING_DAY` when it is absent or unreadable."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        day = value.date() if isinstance(value, _dt.datetime) else value
        return day.toordinal() - _EPOCH_ORDINAL
    if isinstance(value, str) and len(value) >= 10:
        try:
            return _dt.date.fromisoformat(value[:10]).toordinal() - _EPOCH_ORDINAL
        except ValueError:
            return int(MISSING_DAY)
    return int(MISSING_DAY)


def published_second(value: object) -> int:
    """Seconds since 1970-01-01T00:00 of a stored ``published`` value's wall-clock time
    (ISO text, date or datetime; a date alone, or text whose time cannot be read, at
    its midnight), or :data:`MISSING_SECOND` when :func:`published_day` finds no day.
    Its day is always ``published_day(value)``."""
    day = published_day(value)
    if day == MISSING_DAY:
        return int(MISSING_SECOND)
    moment = value
    if isinstance(value, str):
        try:
            moment = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if isinstance(moment, _dt.datetime) and moment.toordinal() - _EPOCH_ORDINAL == day:
        return day * _SECONDS_PER_DAY + moment.hour * 3600 + moment.minute * 60 + moment.second
    return day * _SECONDS_PER_DAY


def published_columns(published: Iterable[object], doc_count: int) -> dict[str, np.ndarray]:
    """``published_days`` and ``published_seconds`` (:class:`SegmentColumns`' fields) of
    each document's stored ``published`` value, in doc number order: the days are
    derived from the seconds (which :func:`published_second` keeps on
    :func:`published_day`'s day), not computed by a second pass over the values."""
    seconds = np.fromiter(map(published_second, published), np.int64, doc_count)
    missing = seconds == MISSING_SECOND
    days = np.where(missing, MISSING_DAY, seconds // _SECONDS_PER_DAY).astype(np.int32)
    return {"published_days": days, "published_seconds": seconds}


def seconds_of_days(days: np.ndarray) -> np.ndarray:
    """``published_seconds`` for a file written before it was kept: each day's midnight."""
    return np.where(days == MISSING_DAY, MISSING_SECOND, days.astype(np.int64) * _SECONDS_PER_DAY)


def stored_text(value: object) -> str:
    """A stored ``id`` or ``title`` as the column keeps it: the text, "" for none
    (as ``schema.document_from_stored`` reads it)."""
    return str(value) if value else ""


def encode_values(values: list[str | None]) -> ValueColumn:
    """Dictionary-code per-document strings: ids into case-folded keys, -1 for None."""
    spellings: dict[str, Counter[str]] = {}
    for value in values:
        if value is not None:
            spellings.setdefault(value.strip().casefold(), Counter())[value.strip()] += 1
    keys = sorted(spellings)
    key_ids = {key: i for i, key in enumerate(keys)}
    ids = np.fromiter(
        (-1 if v is None else key_ids[v.strip().casefold()] for v in values), np.int32, len(values)
    )
    # most_common keeps first-seen order among equals: ties go to the earliest spelling
    labels = tuple(spellings[key].most_common(1)[0][0] for key in keys)
    return ValueColumn(keys=tuple(keys), labels=labels, ids=ids)


# ----------------------------------------------------------------------------- file format


def _arrays_of(columns: SegmentColumns) -> dict[str, np.ndarray]:
    arrays = {
        "vocabulary": np.frombuffer(columns.vocabulary.blob, dtype=np.uint8),
        "vocabulary_offsets": columns.vocabulary.offsets,
        "vocabulary_keys": columns.vocabulary.sort_keys(),
    }
    for field, fc in columns.fields.items():
        for name in FIELD_ARRAYS:
            arrays[f"field.{field}.{name}"] = getattr(fc, name)
    arrays["published_days"] = columns.published_days
    arrays["published_seconds"] = columns.published_seconds
    for name, column in columns.values.items():
        arrays[f"value.{name}.ids"] = column.ids
    for name, text_column in (("doc_ids", columns.doc_ids), ("titles", columns.titles)):
        arrays[f"text.{name}"] = text_column.blob
        arrays[f"text.{name}.offsets"] = text_column.offsets
    union = columns.union_postings()
    for name in UNION_ARRAYS:
        arrays[f"union.{name}"] = getattr(union, name)
    return arrays


def write_columns(
    folder: str | os.PathLike[str], segment_id: str, columns: SegmentColumns, *, durable: bool = True
) -> str:
    """Write ``columns`` as ``<folder>/<segment_id>.dcol`` (temp name, fsync, rename); return the path.

    ``durable=False`` skips the fsyncs, for an index opened with ``durable=False``."""
    if columns.segment_id != segment_id:
        raise ValueError(f"columns of segment {columns.segment_id!r} written as {segment_id!r}")
    header = {
        "segment_id": segment_id,
        "doc_count": columns.doc_count,
        "term_count": len(columns.vocabulary),
        "fields": {f: {"total_length": fc.total_length} for f, fc in columns.fields.items()},
        "values": {n: {"keys": list(c.keys), "labels": list(c.labels)} for n, c in columns.values.items()},
        "union_fields": list(columns.union_postings().fields),
    }
    path = os.path.join(os.fspath(folder), column_file_name(segment_id))
    write_array_file(path, header, _arrays_of(columns), durable=durable)
    return path


def load_columns(folder: str | os.PathLike[str], segment: Any, *, verify: bool = True) -> SegmentColumns:
    """Map the column file of ``segment`` (a Whoosh segment object) from ``folder``.

    :param verify: check every array's CRC-32 now (reads the whole file once); when
        False, the text fields' and the union postings' arrays are checked each on its
        first read (reading it then raises :class:`ColumnsError` if it is damaged) and
        the others now. The
        header, its checksum, the sizes and the array bounds are always checked now.
    :raises ColumnsError: the file is missing, truncated, of another format or segment,
        or fails a checksum.
    """
    segment_id = segment.segment_id()
    path = os.path.join(os.fspath(folder), column_file_name(segment_id))
    opened = take_opened(path) or MappedColumnFile(path)
    header = opened.header
    if header["segment_id"] != segment_id:
        raise ColumnsError(f"{path}: columns of segment {header['segment_id']!r}, not {segment_id!r}")
    if header["doc_count"] != segment.doc_count_all():
        raise ColumnsError(f"{path}: {header['doc_count']} documents, the segment has {segment.doc_count_all()}")
    arrays = opened.numpy_arrays()
    source = CheckedArrays(opened, arrays)
    try:
        if verify:
            source.check_all()
        else:
            for name in arrays:
                if not name.startswith(("field.", "union.")):
                    source.get(name)
        return _columns_from_arrays(header, arrays, source)
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ColumnsError(f"{path}: inconsistent column file ({type(exc).__name__}: {exc})") from exc


def _columns_from_arrays(header: dict[str, Any], arrays: dict[str, np.ndarray], source: CheckedArrays) -> SegmentColumns:
    doc_count, term_count = header["doc_count"], header["term_count"]
    blob, offsets = bytes(arrays["vocabulary"]), arrays["vocabulary_offsets"]
    if len(offsets) != term_count + 1 or int(offsets[0]) != 0 or int(offsets[-1]) != len(blob):
        raise ValueError(f"the vocabulary does not hold the {term_count} terms the header says")
    # Files written before the keys were kept lack them: the vocabulary computes them then.
    sort_keys = arrays.get("vocabulary_keys")
    if sort_keys is not None and (sort_keys.dtype != np.int64 or sort_keys.shape != (term_count,)):
        raise ValueError("vocabulary_keys: size or type disagrees with the vocabulary")
    fields = {}
    for field, meta in header["fields"].items():
        # The sizes are checked on the arrays as mapped, not yet verified: a damaged
        # size only refuses the file, and what a search reads is verified first.
        raw = {name: arrays[f"field.{field}.{name}"] for name in FIELD_ARRAYS}
        postings = len(raw["docs"])
        if (len(raw["pointers"]) != term_count + 1 or int(raw["pointers"][-1]) != postings
                or len(raw["weights"]) != postings or len(raw["position_pointers"]) != postings + 1
                or int(raw["position_pointers"][-1]) != len(raw["positions"])
                or len(raw["length_codes"]) != doc_count):
            raise ValueError(f"field {field}: array sizes disagree")
        fields[field] = FieldColumns.checked_on_first_read(source, field, int(meta["total_length"]))
    values = {}
    for name, meta in header["values"].items():
        ids = arrays[f"value.{name}.ids"]
        if len(ids) != doc_count or len(meta["keys"]) != len(meta["labels"]):
            raise ValueError(f"value {name}: sizes disagree")
        values[name] = ValueColumn(keys=tuple(meta["keys"]), labels=tuple(meta["labels"]), ids=ids)
    if len(arrays["published_days"]) != doc_count:
        raise ValueError("published_days: size disagrees")
    published_seconds = arrays.get("published_seconds")
    if published_seconds is None:
        published_seconds = seconds_of_days(arrays["published_days"])
    elif published_seconds.dtype != np.int64 or published_seconds.shape != (doc_count,):
        raise ValueError("published_seconds: size or type disagrees")
    union = {name: arrays[f"union.{name}"] for name in UNION_ARRAYS}
    if (len(union["pointers"]) != term_count + 1 or int(union["pointers"][-1]) != len(union["docs"])
            or union["weights"].shape != (len(header["union_fields"]), len(union["docs"]))
            or not set(header["union_fields"]) <= set(header["fields"])):
        raise ValueError("union postings: array sizes disagree")
    texts = {}
    for name in ("doc_ids", "titles"):
        text_blob, starts = arrays[f"text.{name}"], arrays[f"text.{name}.offsets"]
        if (len(starts) != doc_count + 1 or int(starts[0]) != 0
                or int(starts[-1]) != len(text_blob) or np.any(np.diff(starts) < 0)):
            raise ValueError(f"{name}: offsets disagree with the text")
        texts[name] = TextColumn(text_blob, starts)
    return SegmentColumns(
        segment_id=header["segment_id"],
        doc_count=doc_count,
        vocabulary=Vocabulary(blob, offsets, sort_keys),
        fields=fields,
        published_days=arrays["published_days"],
        published_seconds=published_seconds,
        values=values,
        doc_ids=texts["doc_ids"],
        titles=texts["titles"],
        checked=source,
        union_fields=tuple(header["union_fields"]),
    )
