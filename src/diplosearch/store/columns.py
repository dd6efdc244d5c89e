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
  when absent), and ``source``, ``category``, ``sub_category`` as ids into small
  dictionaries of case-folded keys (-1 when absent), each key with a display label.

Layout: an 8-byte magic, the format version, the header's length and CRC-32, a JSON
header (segment id, document count, the table of arrays with dtype, shape, offset and
CRC-32, the total size), then each array 64-byte aligned so it is mapped, not copied.
Files are written to a temporary name, fsync'ed and renamed. :func:`load_columns`
raises :class:`ColumnsError` on any damage; :func:`columns_for` then rebuilds from the
segment (never trusting the damaged file).

Deletions are not in the file: Whoosh keeps them in the table of contents, and the
scorer reads them from the segment object of each commit.
"""

from __future__ import annotations

import datetime as _dt
import json
import mmap
import os
import struct
import uuid
import zlib
from collections import Counter
from pickle import loads as _unpickle
from typing import Any, Iterator, Mapping

import attrs
import numpy as np

from ..errors import CorruptIndexError

#: File name extension of a column file (``MAIN_<segid>.dcol``).
COLUMNS_EXTENSION = ".dcol"
#: Bumped whenever the layout or the meaning of an array changes.
COLUMNS_FORMAT = 1
#: Text fields whose postings are stored (the searchable fields of a diplosearch index).
COLUMN_TEXT_FIELDS: tuple[str, ...] = ("title", "quotes", "captions", "body")
#: Stored fields kept as dictionary-coded per-document values.
VALUE_FIELDS: tuple[str, ...] = ("source", "category", "sub_category")
#: ``published`` of a document without a date.
MISSING_DAY = np.iinfo(np.int32).min

_MAGIC = b"DSCOLS\r\n"  # the \r\n catches a file mangled by newline translation
_PREAMBLE = struct.Struct("<8sIII")  # magic, format, header length, header crc32
_ALIGN = 64
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_ALLOWED_DTYPES = frozenset({"|u1", "<i4", "<i8", "<f4", "<u2", "<u4"})


class ColumnsError(CorruptIndexError):
    """A column file is missing, damaged, or belongs to another segment or format."""


@attrs.frozen(eq=False)
class FieldColumns:
    """The postings and lengths of one text field in one segment (read-only arrays)."""

    pointers: np.ndarray
    """int64 [terms + 1]: row bounds of each vocabulary id in ``docs``/``weights``."""
    docs: np.ndarray
    """int32 [postings]: segment-local doc numbers, ascending within a row."""
    weights: np.ndarray
    """float32 [postings]: Whoosh's posting weight (term frequency x field boost)."""
    position_pointers: np.ndarray
    """int64 [postings + 1]: bounds of each posting's positions in ``positions``."""
    positions: np.ndarray
    """uint16 or uint32 [sum of frequencies]: token positions, ascending per posting."""
    length_codes: np.ndarray
    """uint8 [documents]: Whoosh's one-byte field length code of each document."""
    total_length: int
    """The field's total length in tokens over all documents (deleted ones included)."""

    def row(self, term_id: int) -> tuple[int, int]:
        """The ``[start, end)`` posting range of a vocabulary id."""
        return int(self.pointers[term_id]), int(self.pointers[term_id + 1])


@attrs.frozen(eq=False)
class ValueColumn:
    """A per-document string value coded as ids into a small dictionary."""

    keys: tuple[str, ...]
    """Case-folded values: what filters compare with."""
    labels: tuple[str, ...]
    """The most common original spelling of each key, for display."""
    ids: np.ndarray
    """int32 [documents]: index into ``keys``, -1 where the document has no value."""


class Vocabulary:
    """The sorted terms of a segment, looked up without decoding them all.

    Terms stay in one UTF-8 blob with start offsets (UTF-8 byte order is code point
    order, so the blob is sorted as the terms are); a lookup is a binary search, and
    the ids of terms already asked for are remembered. Opening a segment thus costs
    no Python object per term.
    """

    _CACHE_LIMIT = 100_000

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets
        self._ids: dict[str, int | None] = {}

    @classmethod
    def of(cls, sorted_terms: list[str]) -> "Vocabulary":
        encoded = [term.encode("utf-8") for term in sorted_terms]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def term(self, term_id: int) -> str:
        return self.blob[self.offsets[term_id] : self.offsets[term_id + 1]].decode("utf-8")

    def terms(self) -> list[str]:
        """Every term, in id order (decodes them all: for tests and tools)."""
        return [self.term(i) for i in range(len(self))]

    def id_of(self, text: str) -> int | None:
        """The id of ``text``, or None when the segment does not hold it."""
        try:
            return self._ids[text]
        except KeyError:
            pass
        key, blob, offsets = text.encode("utf-8"), self.blob, self.offsets
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if blob[offsets[middle] : offsets[middle + 1]] < key:
                low = middle + 1
            else:
                high = middle
        found = low if low < len(self) and blob[offsets[low] : offsets[low + 1]] == key else None
        if len(self._ids) >= self._CACHE_LIMIT:
            self._ids.clear()
        self._ids[text] = found  # a race only stores the same answer twice
        return found


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
    values: Mapping[str, ValueColumn]

    def document_frequency(self, field: str, text: str) -> int:
        """Postings of ``text`` in ``field`` (deleted documents included, as Whoosh counts)."""
        term_id = self.vocabulary.id_of(text)
        if term_id is None or field not in self.fields:
            return 0
        start, end = self.fields[field].row(term_id)
        return end - start


def column_file_name(segment_id: str) -> str:
    """The column file of a segment: its id plus :data:`COLUMNS_EXTENSION`."""
    return f"{segment_id}{COLUMNS_EXTENSION}"


# ----------------------------------------------------------------------------- building


def build_columns(leaf_reader: Any, segment: Any, fields: tuple[str, ...] = COLUMN_TEXT_FIELDS) -> SegmentColumns:
    """Read one existing Whoosh segment (``leaf_reader`` is its ``SegmentReader``) into columns.

    This is the upgrade path for segments written without column files (diplosearch 1.0,
    stock Whoosh): it walks the segment's posting blocks once and its stored fields once.
    """
    doc_count = leaf_reader.doc_count_all()
    rows: dict[str, dict[str, tuple[np.ndarray, np.ndarray, list[bytes]]]] = {f: {} for f in fields}
    for field, text, docs, weights, values in _segment_postings(leaf_reader, fields):
        rows[field][text] = (docs, weights, values)
    terms = sorted(set().union(*(r.keys() for r in rows.values())))
    term_ids = {term: i for i, term in enumerate(terms)}
    field_columns = {
        field: _field_columns(rows[field], term_ids, len(terms), _length_codes(leaf_reader, field, doc_count),
                              int(leaf_reader.field_length(field)))
        for field in fields
    }
    published, values = _document_values(leaf_reader, doc_count)
    return SegmentColumns(
        segment_id=segment.segment_id(),
        doc_count=doc_count,
        vocabulary=Vocabulary.of(terms),
        fields=field_columns,
        published_days=published,
        values=values,
    )


def _segment_postings(leaf_reader: Any, fields: tuple[str, ...]) -> Iterator[tuple[str, str, np.ndarray, np.ndarray, list[bytes]]]:
    """(field, text, doc numbers, weights, encoded values) of every posting list of ``fields``.

    Reads Whoosh 2.7's W3 codec directly (term index, then each block's pickled
    ``(ids, weights, values)``): going through matchers would cost a Python call per
    posting for what is a handful of array operations per block.
    """
    from whoosh.codec.whoosh3 import W3TermInfo

    terms_reader = leaf_reader._terms
    field_numbers = terms_reader._fieldmap
    wanted = {field_numbers[f]: f for f in fields if f in field_numbers}
    postfile = terms_reader._postfile
    for key, value in terms_reader._tindex.items():
        field = wanted.get(int.from_bytes(key[:2], "big"))
        if field is None:
            continue
        info = W3TermInfo.from_bytes(value)
        if info.is_inlined():
            ids, weights, values = info.inlined_postings()
            docs = np.asarray(ids, dtype=np.int64)
            weight_array = np.asarray(weights, dtype=np.float32)
            value_list = list(values)
        else:
            doc_parts, weight_parts, value_list = [], [], []
            for ids, weights, values, count in _posting_blocks(postfile, info.extent()[0]):
                doc_parts.append(np.cumsum(np.asarray(ids, dtype=np.int64)))  # ids are delta-coded per block
                if weights is None:
                    weight_parts.append(np.ones(count, np.float32))
                elif isinstance(weights, float):
                    weight_parts.append(np.full(count, weights, np.float32))
                else:
                    weight_parts.append(np.asarray(weights, dtype=np.float32))
                value_list.extend(values)
            docs = np.concatenate(doc_parts)
            weight_array = np.concatenate(weight_parts)
        yield field, key[2:].decode("utf-8"), docs, weight_array, value_list


def _posting_blocks(postfile: Any, offset: int) -> Iterator[tuple[Any, Any, Any, int]]:
    position = offset + 4  # after the W3 block-list magic
    while True:
        postfile.seek(position)
        length = postfile.read_int()
        last = length < 0
        length = abs(length)
        info = postfile.read_pickle()
        data_offset = postfile.tell()
        next_position = position + 4 + length
        data = postfile.get(data_offset, next_position - data_offset)
        if info[3]:  # compression level
            data = zlib.decompress(data)
        ids, weights, values = _unpickle(data)
        yield ids, weights, values, info[0]
        if last:
            return
        position = next_position


def _field_columns(
    rows: dict[str, tuple[np.ndarray, np.ndarray, list[bytes]]],
    term_ids: dict[str, int],
    term_count: int,
    length_codes: np.ndarray,
    total_length: int,
) -> FieldColumns:
    ordered = sorted(rows.items(), key=lambda item: term_ids[item[0]])
    counts = np.zeros(term_count + 1, np.int64)
    for text, (docs, _w, _v) in ordered:
        counts[term_ids[text] + 1] = len(docs)
    docs = np.concatenate([r[0] for _t, r in ordered]).astype(np.int32) if ordered else np.zeros(0, np.int32)
    weights = np.concatenate([r[1] for _t, r in ordered]) if ordered else np.zeros(0, np.float32)
    position_pointers, positions = _decode_positions([v for _t, r in ordered for v in r[2]])
    return FieldColumns(
        pointers=np.cumsum(counts),
        docs=docs,
        weights=weights.astype(np.float32),
        position_pointers=position_pointers,
        positions=positions,
        length_codes=length_codes,
        total_length=total_length,
    )


def _decode_positions(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Whoosh's ``Positions`` values (a 4-byte big-endian count, then a protocol-2 pickle
    of the list of position deltas) into CSR pointers and absolute positions."""
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    if len(lengths) and lengths.min() < 4:
        raise ColumnsError("a text field's postings hold no positions (its format is not Positions)")
    joined = np.frombuffer(b"".join(encoded), np.uint8)
    starts = np.zeros(len(encoded), np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    counts = np.zeros(len(encoded), np.int64)
    for i in range(4):
        counts = (counts << 8) | joined[starts + i]
    pointers = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(counts, out=pointers[1:])
    deltas = _position_deltas(encoded, joined, starts, lengths, counts, pointers)
    # Deltas restart at each posting: a running sum minus the sum before the posting.
    running = np.cumsum(deltas)
    starts_sum = np.zeros(len(encoded), np.int64)
    nonempty = counts > 0
    before = pointers[:-1][nonempty]
    starts_sum[nonempty] = np.where(before > 0, running[np.maximum(before - 1, 0)], 0)
    positions = running - np.repeat(starts_sum, counts)
    dtype = np.uint16 if positions.size == 0 or positions.max() < 2**16 else np.uint32
    return pointers, positions.astype(dtype)


_PICKLE_HEAD = b"\x80\x02]q\x00"  # PROTO 2, EMPTY_LIST, BINPUT 0: how every list starts
_K, _M, _MARK, _APPEND, _APPENDS, _STOP = b"KM(ae."


def _position_deltas(
    encoded: list[bytes],
    joined: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    counts: np.ndarray,
    pointers: np.ndarray,
) -> np.ndarray:
    """The delta lists of all postings, concatenated.

    Unpickling millions of tiny lists one by one dominates building columns from a
    segment, so the shapes pickle gives small lists are read in bulk from the bytes:
    one item (``K`` byte or ``M`` 2-byte int, then ``a``), or ``(``, only ``K`` items,
    ``e``. Anything else (larger numbers, 1000+ items) goes through pickle.
    """
    deltas = np.zeros(int(pointers[-1]), np.int64)
    decoded = np.zeros(len(encoded), bool)
    candidates = np.flatnonzero(lengths >= 4 + len(_PICKLE_HEAD) + 3)
    s = starts[candidates]
    for i, byte in enumerate(_PICKLE_HEAD):
        keep = joined[s + 4 + i] == byte
        candidates, s = candidates[keep], s[keep]
    # pickle bytes after the head, without an optional final STOP
    body = lengths[candidates] - 4 - len(_PICKLE_HEAD) - (joined[s + lengths[candidates] - 1] == _STOP)
    op = s + 4 + len(_PICKLE_HEAD)  # the first opcode after the head
    first_op = joined[op]
    k = counts[candidates]
    last = len(joined) - 1  # the body checks reject what clipping would misread
    single_k = (k == 1) & (first_op == _K) & (body == 3) & (joined[np.minimum(op + 2, last)] == _APPEND)
    single_m = (k == 1) & (first_op == _M) & (body == 4) & (joined[np.minimum(op + 3, last)] == _APPEND)
    deltas[pointers[candidates[single_k]]] = joined[op[single_k] + 1]
    deltas[pointers[candidates[single_m]]] = joined[op[single_m] + 1] + 256 * joined[op[single_m] + 2].astype(np.int64)
    decoded[candidates[single_k | single_m]] = True
    # "(" K n K n ... "e": every item opcode must be K and the list must end right there
    multi = (k >= 2) & (first_op == _MARK) & (body == 2 * k + 2)
    group, base, size = candidates[multi], op[multi] + 1, k[multi]
    if len(group):
        item_starts = np.repeat(base, size) + 2 * (np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size))
        first_item = np.cumsum(size) - size
        all_k = np.minimum.reduceat((joined[item_starts] == _K).astype(np.int8), first_item).astype(bool)
        all_k &= joined[base + 2 * size] == _APPENDS
        items_ok = np.repeat(all_k, size)
        targets = np.repeat(pointers[group], size) + (np.arange(int(size.sum())) - np.repeat(first_item, size))
        deltas[targets[items_ok]] = joined[item_starts[items_ok] + 1]
        decoded[group[all_k]] = True
    for i in np.flatnonzero(~decoded & (counts > 0)).tolist():
        value = encoded[i][4:]
        deltas[pointers[i] : pointers[i + 1]] = _unpickle(value if value.endswith(b".") else value + b".")
    return deltas


def _length_codes(leaf_reader: Any, field: str, doc_count: int) -> np.ndarray:
    """Whoosh's one-byte length code per document (0 where the field is empty)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    codes = np.zeros(doc_count, np.uint8)
    per_document = leaf_reader._perdoc
    column_name = f"_{field}_len"
    if per_document.has_column(column_name):
        column = per_document.column_reader(column_name, LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return codes


def _document_values(leaf_reader: Any, doc_count: int) -> tuple[np.ndarray, dict[str, ValueColumn]]:
    published = np.full(doc_count, MISSING_DAY, np.int32)
    raw: dict[str, list[str | None]] = {name: [None] * doc_count for name in VALUE_FIELDS}
    for docnum in range(doc_count):
        stored = leaf_reader.stored_fields(docnum)
        published[docnum] = published_day(stored.get("published"))
        for name in VALUE_FIELDS:
            value = stored.get(name)
            raw[name][docnum] = value if isinstance(value, str) and value.strip() else None
    return published, {name: encode_values(raw[name]) for name in VALUE_FIELDS}


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
    }
    for field, fc in columns.fields.items():
        for name in ("pointers", "docs", "weights", "position_pointers", "positions", "length_codes"):
            arrays[f"field.{field}.{name}"] = getattr(fc, name)
    arrays["published_days"] = columns.published_days
    for name, column in columns.values.items():
        arrays[f"value.{name}.ids"] = column.ids
    return arrays


def write_columns(folder: str | os.PathLike[str], segment_id: str, columns: SegmentColumns) -> str:
    """Write ``columns`` as ``<folder>/<segment_id>.dcol`` (temp name, fsync, rename); return the path."""
    if columns.segment_id != segment_id:
        raise ValueError(f"columns of segment {columns.segment_id!r} written as {segment_id!r}")
    arrays = {name: np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False) for name, a in _arrays_of(columns).items()}
    table, offset = {}, 0
    for name, array in arrays.items():
        table[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "offset": offset,
            "crc32": zlib.crc32(memoryview(array).cast("B")),
        }
        offset += _aligned(array.nbytes)
    header = {
        "segment_id": segment_id,
        "doc_count": columns.doc_count,
        "term_count": len(columns.vocabulary),
        "fields": {f: {"total_length": fc.total_length} for f, fc in columns.fields.items()},
        "values": {n: {"keys": list(c.keys), "labels": list(c.labels)} for n, c in columns.values.items()},
        "arrays": table,
    }
    header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data_start = _aligned(_PREAMBLE.size + len(header_bytes))
    header["total_size"] = data_start + offset
    # total_size is part of the checksummed header, so it is fixed before the checksum;
    # its own digits can move data_start, so settle both.
    while True:
        header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        data_start = _aligned(_PREAMBLE.size + len(header_bytes))
        if header["total_size"] == data_start + offset:
            break
        header["total_size"] = data_start + offset
    path = os.path.join(os.fspath(folder), column_file_name(segment_id))
    temporary = f"{path}.tmp{uuid.uuid4().hex[:12]}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(_PREAMBLE.pack(_MAGIC, COLUMNS_FORMAT, len(header_bytes), zlib.crc32(header_bytes)))
            handle.write(header_bytes)
            handle.write(b"\0" * (data_start - _PREAMBLE.size - len(header_bytes)))
            for array in arrays.values():
                handle.write(memoryview(array).cast("B"))
                handle.write(b"\0" * (_aligned(array.nbytes) - array.nbytes))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_folder(os.fspath(folder))
    return path


def load_columns(folder: str | os.PathLike[str], segment: Any, *, verify: bool = True) -> SegmentColumns:
    """Map the column file of ``segment`` (a Whoosh segment object) from ``folder``.

    :param verify: also check every array's CRC-32 (reads the whole file once); the
        header, its checksum, the sizes and the array bounds are always checked.
    :raises ColumnsError: the file is missing, truncated, of another format or segment,
        or fails a checksum.
    """
    segment_id = segment.segment_id()
    path = os.path.join(os.fspath(folder), column_file_name(segment_id))
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < _PREAMBLE.size:
                raise ColumnsError(f"{path}: truncated column file ({size} bytes)")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError as exc:
        raise ColumnsError(f"{path}: no column file") from exc
    except (OSError, ValueError) as exc:
        raise ColumnsError(f"{path}: cannot map the column file ({exc})") from exc
    magic, version, header_length, header_crc = _PREAMBLE.unpack_from(mapped, 0)
    if magic != _MAGIC:
        raise ColumnsError(f"{path}: not a diplosearch column file")
    if version != COLUMNS_FORMAT:
        raise ColumnsError(f"{path}: column format {version}, this version reads {COLUMNS_FORMAT}")
    header_bytes = mapped[_PREAMBLE.size : _PREAMBLE.size + header_length]
    if len(header_bytes) != header_length or zlib.crc32(header_bytes) != header_crc:
        raise ColumnsError(f"{path}: damaged header (checksum mismatch)")
    header = json.loads(header_bytes)
    if header["segment_id"] != segment_id:
        raise ColumnsError(f"{path}: columns of segment {header['segment_id']!r}, not {segment_id!r}")
    if header["doc_count"] != segment.doc_count_all():
        raise ColumnsError(f"{path}: {header['doc_count']} documents, the segment has {segment.doc_count_all()}")
    if header["total_size"] != size:
        raise ColumnsError(f"{path}: {size} bytes, the header says {header['total_size']}")
    data_start = _aligned(_PREAMBLE.size + header_length)
    arrays = {}
    for name, entry in header["arrays"].items():
        if entry["dtype"] not in _ALLOWED_DTYPES:
            raise ColumnsError(f"{path}: array {name} has an unexpected type {entry['dtype']}")
        dtype = np.dtype(entry["dtype"])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        start = data_start + entry["offset"]
        if start + count * dtype.itemsize > size:
            raise ColumnsError(f"{path}: array {name} runs past the end of the file")
        array = np.frombuffer(mapped, dtype=dtype, count=count, offset=start).reshape(entry["shape"])
        if verify and zlib.crc32(memoryview(array).cast("B")) != entry["crc32"]:
            raise ColumnsError(f"{path}: array {name} is damaged (checksum mismatch)")
        arrays[name] = array
    try:
        return _columns_from_arrays(header, arrays)
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ColumnsError(f"{path}: inconsistent column file ({type(exc).__name__}: {exc})") from exc


def _columns_from_arrays(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> SegmentColumns:
    doc_count, term_count = header["doc_count"], header["term_count"]
    blob, offsets = bytes(arrays["vocabulary"]), arrays["vocabulary_offsets"]
    if len(offsets) != term_count + 1 or int(offsets[0]) != 0 or int(offsets[-1]) != len(blob):
        raise ValueError(f"the vocabulary does not hold the {term_count} terms the header says")
    fields = {}
    for field, meta in header["fields"].items():
        fc = FieldColumns(
            **{name: arrays[f"field.{field}.{name}"] for name in
               ("pointers", "docs", "weights", "position_pointers", "positions", "length_codes")},
            total_length=int(meta["total_length"]),
        )
        postings = len(fc.docs)
        if (len(fc.pointers) != term_count + 1 or int(fc.pointers[-1]) != postings or len(fc.weights) != postings
                or len(fc.position_pointers) != postings + 1 or int(fc.position_pointers[-1]) != len(fc.positions)
                or len(fc.length_codes) != doc_count):
            raise ValueError(f"field {field}: array sizes disagree")
        fields[field] = fc
    values = {}
    for name, meta in header["values"].items():
        ids = arrays[f"value.{name}.ids"]
        if len(ids) != doc_count or len(meta["keys"]) != len(meta["labels"]):
            raise ValueError(f"value {name}: sizes disagree")
        values[name] = ValueColumn(keys=tuple(meta["keys"]), labels=tuple(meta["labels"]), ids=ids)
    if len(arrays["published_days"]) != doc_count:
        raise ValueError("published_days: size disagrees")
    return SegmentColumns(
        segment_id=header["segment_id"],
        doc_count=doc_count,
        vocabulary=Vocabulary(blob, offsets),
        fields=fields,
        published_days=arrays["published_days"],
        values=values,
    )


def columns_for(folder: str | os.PathLike[str], leaf_reader: Any, segment: Any, *, verify: bool = True) -> SegmentColumns:
    """The columns of ``segment``: loaded from its file, or, when the file is missing or
    damaged, rebuilt from the segment and written (a damaged file is never used)."""
    try:
        return load_columns(folder, segment, verify=verify)
    except ColumnsError:
        columns = build_columns(leaf_reader, segment)
        write_columns(folder, segment.segment_id(), columns)
        return columns


def _aligned(size: int) -> int:
    return (size + _ALIGN - 1) // _ALIGN * _ALIGN


def _fsync_folder(folder: str) -> None:
    # The rename is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
