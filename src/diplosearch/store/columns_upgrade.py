"""Columns from an existing Whoosh segment: the upgrade path for indexes without column
files (built by diplosearch 1.0 or stock Whoosh), and the repair path for a damaged one.

:func:`columns_for` is what a reader calls per segment: load the column file, or, when
it is missing or damaged, read the segment once (its posting blocks and its stored
fields), write the file and use what was read.
"""

from __future__ import annotations

import os
import zlib
from pickle import loads as _unpickle
from typing import Any, Callable, Iterator

import numpy as np

from .columns import (
    COLUMN_TEXT_FIELDS,
    VALUE_FIELDS,
    ColumnsError,
    FieldColumns,
    SegmentColumns,
    TextColumn,
    ValueColumn,
    Vocabulary,
    encode_values,
    load_columns,
    published_columns,
    stored_text,
    write_columns,
)


def columns_for(
    folder: str | os.PathLike[str],
    leaf_reader: Any,
    segment: Any,
    *,
    verify: bool = True,
    on_rebuild: Callable[[ColumnsError, OSError | None], None] | None = None,
) -> SegmentColumns:
    """The columns of ``segment``: loaded from its file, or, when the file is missing or
    damaged, rebuilt from the segment and written (a damaged file is never used).

    :param on_rebuild: called after a rebuild with why the file could not be used and,
        when the new file could not be written (a read-only index), that error; the
        rebuilt columns are used either way. This is where a caller says "upgrading".
    """
    try:
        return load_columns(folder, segment, verify=verify)
    except ColumnsError as problem:
        columns = build_columns(leaf_reader, segment)
        write_error = None
        try:
            write_columns(folder, segment.segment_id(), columns)
        except OSError as exc:
            write_error = exc
        if on_rebuild is not None:
            on_rebuild(problem, write_error)
        return columns



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
    published, values, doc_ids, titles = _document_values(leaf_reader, doc_count)
    return SegmentColumns(
        segment_id=segment.segment_id(),
        doc_count=doc_count,
        vocabulary=Vocabulary.of(terms),
        fields=field_columns,
        **published,
        values=values,
        doc_ids=doc_ids,
        titles=titles,
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
    docs = np.concatenate([r[0] for _t, r in ordered]) if ordered else np.zeros(0, np.int32)
    weights = np.concatenate([r[1] for _t, r in ordered]) if ordered else np.zeros(0, np.float32)
    return field_columns(counts, docs, weights, [v for _t, r in ordered for v in r[2]], length_codes, total_length)


def field_columns(
    counts: np.ndarray,
    docs: np.ndarray,
    weights: np.ndarray,
    encoded_positions: list[bytes],
    length_codes: np.ndarray,
    total_length: int,
) -> FieldColumns:
    """One field's columns from its postings in vocabulary order.

    :param counts: int64 [terms + 1]; ``counts[t + 1]`` is the number of postings of term id ``t``.
    :param docs, weights: every posting's document number and Whoosh weight, term by term.
    :param encoded_positions: every posting's Whoosh ``Positions`` value bytes, in the same order.
    """
    position_pointers, positions = _decode_positions_in_chunks(encoded_positions)
    return FieldColumns(
        pointers=np.cumsum(counts),
        docs=np.asarray(docs).astype(np.int32),
        weights=np.asarray(weights).astype(np.float32),
        position_pointers=position_pointers,
        positions=positions,
        length_codes=length_codes,
        total_length=total_length,
    )


#: Postings decoded at once: the bulk decoder's temporary arrays take about 100 bytes
#: per posting, so a field of millions of postings is decoded a slice at a time.
_DECODE_CHUNK = 1 << 16


def _decode_positions_in_chunks(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_decode_positions` of ``encoded``, computed a chunk of postings at a time."""
    if len(encoded) <= _DECODE_CHUNK:
        return _decode_positions(encoded)
    pointer_parts, position_parts = [np.zeros(1, np.int64)], []
    offset = 0
    for start in range(0, len(encoded), _DECODE_CHUNK):
        pointers, positions = _decode_positions(encoded[start : start + _DECODE_CHUNK])
        pointer_parts.append(pointers[1:] + offset)
        position_parts.append(positions)
        offset += len(positions)
    wide = any(part.dtype == np.uint32 for part in position_parts)
    return np.concatenate(pointer_parts), np.concatenate(position_parts).astype(np.uint32 if wide else np.uint16)


def value_or_none(value: object) -> str | None:
    """A stored filter value as the column keeps it: a non-blank string, else None."""
    return value if isinstance(value, str) and value.strip() else None


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


def _document_values(leaf_reader: Any, doc_count: int
                     ) -> tuple[dict[str, np.ndarray], dict[str, ValueColumn], TextColumn, TextColumn]:
    published: list[object] = [None] * doc_count
    raw: dict[str, list[str | None]] = {name: [None] * doc_count for name in VALUE_FIELDS}
    doc_ids, titles = [""] * doc_count, [""] * doc_count
    for docnum in range(doc_count):
        stored = leaf_reader.stored_fields(docnum)
        published[docnum] = stored.get("published")
        for name in VALUE_FIELDS:
            raw[name][docnum] = value_or_none(stored.get(name))
        doc_ids[docnum], titles[docnum] = stored_text(stored.get("id")), stored_text(stored.get("title"))
    values = {name: encode_values(raw[name]) for name in VALUE_FIELDS}
    return published_columns(published, doc_count), values, TextColumn.of(doc_ids), TextColumn.of(titles)
