"""A Whoosh segment writer that keeps a commit's postings grouped per field and term in
memory, writes the same segment files stock Whoosh 2.7 writes, and makes the segment's
column file from those same postings (no second pass over the finished segment).

Stock :class:`whoosh.writing.SegmentWriter` sends every posting through an external
sorting pool (each posting a tuple, sorted with all others, spilled to disk in marshal
runs), then writes them one call per posting, reading the document's field length
from the length column for each. Here:

- postings go straight into ``{field: {term bytes: [(doc, weight, value bytes), ...]}}``;
  documents arrive in ascending order, so each list is already sorted and only the
  terms need sorting at flush;
- a term's postings are cut into Whoosh's blocks and each block is pickled and
  compressed exactly as ``W3PostingsWriter._write_block`` does, with the same term info;
- field lengths are taken as the per-document writer receives them (no column reads);
- the plain text fields (Whoosh's ``Positions`` format with diplosearch's analyzer) are
  analysed with :meth:`IndonesianAnalyzer.terms`, and their position lists encoded as
  ``Positions.encode`` does, without Whoosh's per-token ``Token`` protocol.

The segment files are byte-identical to stock Whoosh's for the same documents
(``tests/test_lean_writer.py``), so stock Whoosh opens and searches them.

Memory is bounded per segment: when the estimated size of the postings held passes
``limitmb``, the segment written so far is finished (files, column file) and a new one
started; all of them join the same commit. Documents keep one running number across
those segments (:meth:`LeanSegmentWriter.written_count`), and :func:`delete_written`
maps such numbers back onto the segments.
"""

from __future__ import annotations

import zlib
from array import array
from itertools import chain
from operator import itemgetter
from pickle import dumps
from typing import Any, Iterable, Sequence

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _lengths as _HASH_LENGTHS
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from ..analysis.analyzer import IndonesianAnalyzer
from .columns import (
    COLUMN_TEXT_FIELDS,
    VALUE_FIELDS,
    FieldColumns,
    SegmentColumns,
    TextColumn,
    Vocabulary,
    encode_values,
    published_columns,
    stored_text,
    write_columns,
)
from .columns_upgrade import field_columns, value_or_none

#: Default bound, in MB (estimated), of the postings one segment holds in memory before
#: it is written out and a new segment started. It keeps one segment per commit up to
#: about 45,000 CLICK-ID articles (21,965 are estimated at 358 MB): measured on those
#: 21,965, three segments instead of one took phrase queries from 3.6 to 6.5 ms at p50
#: (plain ones 4.6 -> 3.3 ms, before the score table) for a peak RSS of 508 MB instead
#: of 919. Past the bound memory stays bounded and the commit spans several segments.
DEFAULT_LIMIT_MB = 768

# Bytes per posting held (three list slots, a float unless shared, the value's bytes
# object, the list's spare room) and per new term (key bytes, dict slot, list), as
# measured on CLICK-ID articles (resident memory grew by 100 MB for 8,000 articles'
# postings, 362 MB for 21,965's; estimated 125 and 358): close enough to bound memory.
_POSTING_BYTES = 88
_TERM_BYTES = 200
#: Fields whose stored values the column file keeps per document.
_RECORDED_VALUES = ("published", *VALUE_FIELDS, "id", "title")
_ONE_POSITION = pack_uint(1)
# W3TermInfo's packed fields (flags, weight, doc frequency, length bytes, max weight, ids),
# followed by the postings' offset and length when they are not inlined.
_TERM_INFO = W3TermInfo._struct
# Whoosh decodes a length byte this way when it reads lengths for block statistics.
_DECODED_LENGTH: list[int | None] = [None] + [byte_to_length(code) for code in range(1, 256)]


class UnsupportedSchemaError(ValueError):
    """The schema or codec uses a Whoosh feature this writer does not write (separate
    spelling words, inlined postings)."""


class _DocumentRecorder:
    """What a column file needs per document (length codes of indexed fields, the values
    of ``published``, ``source``, ``category``, ``sub_category``), taken from the calls the
    per-document writer receives, so documents added and documents merged in from
    older segments are recorded alike."""

    def __init__(self, perdocwriter: Any) -> None:
        self.length_codes: dict[str, bytearray] = {}
        self.values: dict[str, list[object]] = {name: [] for name in _RECORDED_VALUES}
        start_doc, add_field = perdocwriter.start_doc, perdocwriter.add_field
        lengths, values = self.length_codes, self.values

        def recording_start_doc(docnum: int) -> None:
            start_doc(docnum)
            # A cancelled document's number is given to the next one: forget what it left.
            for codes in lengths.values():
                if len(codes) > docnum:
                    codes[docnum] = 0
            for column in values.values():
                if len(column) <= docnum:
                    column.extend([None] * (docnum + 1 - len(column)))
                else:
                    column[docnum] = None

        def recording_add_field(fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
            add_field(fieldname, fieldobj, value, length)
            docnum = perdocwriter._docnum
            if length:
                codes = lengths.get(fieldname)
                if codes is None:
                    codes = lengths[fieldname] = bytearray()
                if len(codes) <= docnum:
                    codes.extend(bytes(docnum + 1 - len(codes)))
                codes[docnum] = length_to_byte(length)
            column = values.get(fieldname)
            if column is not None:
                column[docnum] = value

        perdocwriter.start_doc = recording_start_doc
        perdocwriter.add_field = recording_add_field

    def codes(self, fieldname: str, doc_count: int) -> np.ndarray:
        """The one-byte length code of ``fieldname`` per document (0 where empty)."""
        out = np.zeros(doc_count, np.uint8)
        codes = self.length_codes.get(fieldname)
        if codes:
            out[: len(codes)] = np.frombuffer(bytes(codes[:doc_count]), np.uint8)
        return out

    def decoded_lengths(self, fieldname: str, doc_count: int) -> list[int | None] | None:
        """Each document's length as Whoosh reads it back from its byte (None where 0),
        or None when no document has a length in ``fieldname`` (no length column)."""
        codes = self.length_codes.get(fieldname)
        if codes is None:
            return None
        decoded = [_DECODED_LENGTH[code] for code in codes]
        decoded.extend([None] * (doc_count - len(decoded)))
        return decoded


class LeanSegmentWriter(SegmentWriter):
    """A drop-in :class:`whoosh.writing.SegmentWriter` (same arguments) with postings
    grouped in memory, the segment's column file written when it is finished, and at
    most ``limitmb`` MB of postings per segment (default :data:`DEFAULT_LIMIT_MB`, read
    when the writer starts; see the module's docstring).

    :raises UnsupportedSchemaError: the schema has a field with separate spelling words.
    """

    def __init__(self, ix: Any, *args: Any, limitmb: float | None = None, **kwargs: Any) -> None:
        super().__init__(ix, *args, **kwargs)
        self.pool.cleanup()  # Whoosh's sorting pool: never used here
        for name, field in self.schema.items():
            if field.separate_spelling():
                self._close_segment()
                raise UnsupportedSchemaError(f"field {name!r} keeps separate spelling words")
        if getattr(self.codec, "_inlinelimit", None) != 1 or not hasattr(self.codec, "_blocklimit"):
            self._close_segment()
            raise UnsupportedSchemaError(f"codec {self.codec!r}: only Whoosh 2.7's W3 codec without inlined postings is written")
        self._limit_bytes = int((DEFAULT_LIMIT_MB if limitmb is None else limitmb) * 1024 * 1024)
        self._compound_wanted = kwargs.get("compound", True)
        # Stock add_document where a field keeps term vectors (diplosearch's never do).
        self._has_vectors = any(field.vector for _name, field in self.schema.items())
        self._fast_fields = frozenset(
            name for name, field in self.schema.items()
            if type(field.format) is formats.Positions and isinstance(field.analyzer, IndonesianAnalyzer)
            and field.scorable and not field.vector
        )
        #: Segments already finished by this writer (memory bound), in write order.
        self.finished_segments: list[Any] = []
        self._finished_docs = 0
        self._start_pool()

    def _start_pool(self) -> None:
        self.pool = _GroupedPool()
        self._recorder = _DocumentRecorder(self.perdocwriter)
        # Pickled one-position lists, by position: most postings have one position.
        self._single_values: dict[int, bytes] = {}

    def written_count(self) -> int:
        """Documents this writer has written so far, over all its segments; a document's
        number is this count when it is added (see :func:`delete_written`)."""
        return self._finished_docs + self.docnum

    # ------------------------------------------------------------------ adding documents

    def add_document(self, **fields: Any) -> None:
        """Add one document, as ``SegmentWriter.add_document`` does (same stored fields,
        lengths and postings); a document that fails leaves nothing behind."""
        if self._has_vectors:
            super().add_document(**fields)
        else:
            self._add_document(fields)
        if self.pool.estimated_bytes > self._limit_bytes:
            self._start_next_segment()

    def _add_document(self, fields: dict[str, Any]) -> None:
        self._check_state()
        schema = self.schema
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        # Analyse every field before anything is written, so that a failing field
        # leaves no posting of the document in the pool.
        analysed = []
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length, postings, positions = 0, None, None
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                if fieldname in self._fast_fields and isinstance(value, str):
                    positions, length = _term_positions(field.analyzer.terms(value))
                    positions = (positions, field.format.field_boost, fieldboost)
                else:
                    postings = [(tbytes, weight * fieldboost, vbytes, freq)
                                for tbytes, freq, weight, vbytes in field.index(value)]
                    if field.scorable:
                        length = sum(posting[3] for posting in postings)
            analysed.append((fieldname, field, value, length, postings, positions))
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        perdocwriter.start_doc(docnum)
        try:
            for fieldname, field, value, length, _postings, _positions in analysed:
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
            perdocwriter.finish_doc()
        except Exception:
            perdocwriter.cancel_doc()
            raise
        pool = self.pool
        for fieldname, _field, _value, _length, postings, positions in analysed:
            if positions is not None:
                pool.add_positions(fieldname, docnum, *positions, self._single_values)
            elif postings:
                pool.add_document_postings(fieldname, docnum, postings)
        self._added = True
        self.docnum += 1

    # ------------------------------------------------------------------ finishing segments

    def _flush_segment(self) -> None:
        # Field by field: write its postings, make its columns, then let its postings go,
        # so that the columns being built never sit beside the whole pool.
        self.perdocwriter.close()
        doc_count = self.docnum
        fieldwriter, schema, pool = self.fieldwriter, self.schema, self.pool.fields
        terms = sorted(set().union(*(
            (tbytes.decode("utf-8") for tbytes in pool.get(field, ())) for field in COLUMN_TEXT_FIELDS)))
        term_ids = {term: i for i, term in enumerate(terms)}
        columns = {}
        term_writer = _TermWriter(fieldwriter)
        for fieldname in sorted(pool):
            postings = pool[fieldname]
            if postings:
                term_writer.start_field(fieldname, schema[fieldname])
                lengths = self._recorder.decoded_lengths(fieldname, doc_count)
                for tbytes in sorted(postings):
                    term_writer.write(tbytes, postings[tbytes], lengths)
                term_writer.finish_field()
            if fieldname in COLUMN_TEXT_FIELDS:
                columns[fieldname] = self._field_columns(fieldname, postings, term_ids, doc_count)
            pool[fieldname] = {}
        term_writer.check_offsets()
        fieldwriter.close()
        for fieldname in COLUMN_TEXT_FIELDS:
            if fieldname not in columns:
                columns[fieldname] = self._field_columns(fieldname, {}, term_ids, doc_count)
        ordered = {fieldname: columns[fieldname] for fieldname in COLUMN_TEXT_FIELDS}  # the file's order
        self._columns = self._segment_columns(Vocabulary.of(terms), ordered, doc_count)

    def _field_columns(self, fieldname: str, postings: dict[bytes, list[Any]],
                       term_ids: dict[str, int], doc_count: int) -> FieldColumns:
        """One field's columns from its postings in memory, equal to what
        ``columns_upgrade.build_columns`` reads back from the finished segment."""
        rows = sorted(((term_ids[tbytes.decode("utf-8")], found) for tbytes, found in postings.items()),
                      key=itemgetter(0))
        counts = np.zeros(len(term_ids) + 1, np.int64)
        if rows:
            row_ids = np.fromiter((term_id for term_id, _found in rows), np.int64, len(rows))
            counts[row_ids + 1] = np.fromiter((len(found) // 3 for _term_id, found in rows), np.int64, len(rows))
        # every posting's document, weight and value, term by term, sliced in C
        flat = list(chain.from_iterable(found for _term_id, found in rows))
        return field_columns(
            counts,
            np.array(flat[0::3], np.int32),
            np.array(flat[1::3], np.float32),
            flat[2::3],
            self._recorder.codes(fieldname, doc_count),
            int(self.newsegment._fieldlengths.get(fieldname, 0)),  # set when the per-document writer closed
        )

    def _segment_columns(self, vocabulary: Vocabulary, fields: dict[str, FieldColumns], doc_count: int) -> SegmentColumns:
        recorded = self._recorder.values

        def per_document(name: str) -> list[object]:
            values = recorded[name][:doc_count]
            return values + [None] * (doc_count - len(values))

        return SegmentColumns(
            segment_id=self.newsegment.segment_id(),
            doc_count=doc_count,
            vocabulary=vocabulary,
            fields=fields,
            **published_columns(per_document("published"), doc_count),
            values={name: encode_values([value_or_none(v) for v in per_document(name)]) for name in VALUE_FIELDS},
            doc_ids=TextColumn.of([stored_text(v) for v in per_document("id")]),
            titles=TextColumn.of([stored_text(v) for v in per_document("title")]),
        )

    def _finalize_segment(self):  # type: ignore[no-untyped-def]
        # Flush (postings, columns in memory), close, assemble; then the column file,
        # fsync'ed unless the storage is not durable, before any TOC can list the segment.
        self._columns = None
        segment = super()._finalize_segment()
        columns, self._columns = self._columns, None
        write_columns(self.storage.folder, segment.segment_id(), columns,
                      durable=getattr(self.storage, "durable", True))
        return segment

    def _start_next_segment(self) -> None:
        """Finish the segment written so far (its postings passed the memory bound) and
        go on in a new one; both join this writer's commit."""
        self.finished_segments.append(self._finalize_segment())
        self._finished_docs += self.docnum
        codec, storage = self.codec, self.storage
        self.newsegment = codec.new_segment(storage, self.indexname)
        self.compound = self._compound_wanted and self.newsegment.should_assemble()
        self.perdocwriter = codec.per_document_writer(storage, self.newsegment)
        self.fieldwriter = codec.field_writer(storage, self.newsegment)
        self.docnum = self.docbase = 0
        self._added = False
        self._start_pool()


def delete_written(segments: Sequence[Any], numbers: Iterable[int]) -> None:
    """Mark deleted, in ``segments`` (one writer's, in write order), the documents with
    these running numbers (:meth:`LeanSegmentWriter.written_count` when each was added)."""
    bounds = []
    start = 0
    for segment in segments:
        bounds.append((start, start + segment.doc_count_all(), segment))
        start += segment.doc_count_all()
    for number in numbers:
        for first, end, segment in bounds:
            if first <= number < end:
                segment.delete_document(number - first)
                break
        else:
            raise IndexError(f"no written document number {number} in these segments")


def _term_positions(terms: list[str]) -> tuple[dict[str, list[int]], int]:
    """The positions of each distinct term of a field's ``terms`` (in order), and
    their number (the field's length)."""
    positions: dict[str, list[int]] = {}
    get = positions.get
    for position, term in enumerate(terms):
        found = get(term)
        if found is None:
            positions[term] = [position]
        else:
            found.append(position)
    return positions, len(terms)


class _GroupedPool:
    """Postings grouped per field and term: ``fields[field][term bytes]`` is one flat
    list ``[doc, weight, value bytes, doc, weight, value bytes, ...]`` in ascending
    document order (three list slots per posting, where a tuple each took three times
    the memory, and slices give a block's documents, weights and values at C speed).
    Also takes Whoosh's pool calls (``add``), which merges of older segments make."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, list[Any]]] = {}
        self.estimated_bytes = 0

    def _terms(self, fieldname: str) -> dict[bytes, list[Any]]:
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        return terms

    def add_document_postings(self, fieldname: str, docnum: int,
                              postings: list[tuple[bytes, float, bytes, int]]) -> None:
        """Add one document's ``(term bytes, weight, value bytes, frequency)`` postings."""
        terms = self._terms(fieldname)
        get = terms.get
        size = 0
        for tbytes, weight, vbytes, _freq in postings:
            found = get(tbytes)
            if found is None:
                terms[tbytes] = [docnum, weight, vbytes]
                size += _TERM_BYTES + len(tbytes)
            else:
                found += (docnum, weight, vbytes)
            size += _POSTING_BYTES + len(vbytes or b"")
        self.estimated_bytes += size

    def add_positions(self, fieldname: str, docnum: int, positions: dict[str, list[int]],
                      field_boost: float, fieldboost: float, singles: dict[int, bytes]) -> None:
        """Add one document's postings of a ``Positions`` field from each term's positions,
        with the weight and value bytes ``Positions.word_values`` gives them.

        :param singles: pickled one-position lists by position, shared between calls.
        """
        terms = self._terms(fieldname)
        get = terms.get
        # float(count) * field_boost * fieldboost: Whoosh's sum of 1.0 token boosts,
        # times the format's boost, times the field's, in that order.
        single_weight = 1.0 * field_boost * fieldboost
        new_terms = new_term_bytes = value_bytes = 0
        for term, found in positions.items():
            count = len(found)
            if count == 1:
                pickled = singles.get(found[0])
                if pickled is None:
                    pickled = singles[found[0]] = dumps(found, 2)
                # A new bytes object per posting, as Whoosh makes: the block's pickle
                # would store a shared one once and refer to it, changing its bytes.
                encoded = _ONE_POSITION + pickled
                weight = single_weight
            else:
                deltas = [found[0]] + [b - a for a, b in zip(found, found[1:])]
                encoded = pack_uint(count) + dumps(deltas, 2)
                weight = float(count) * field_boost * fieldboost
            value_bytes += len(encoded)
            tbytes = term.encode("utf-8")
            postings = get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, weight, encoded]
                new_terms += 1
                new_term_bytes += len(tbytes)
            else:
                postings += (docnum, weight, encoded)
        self.estimated_bytes += (len(positions) * _POSTING_BYTES + value_bytes
                                 + new_terms * _TERM_BYTES + new_term_bytes)

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """Whoosh's pool protocol: one ``(field, term bytes, doc, weight, value bytes)``."""
        fieldname, tbytes, docnum, weight, vbytes = item
        self.add_document_postings(fieldname, docnum, [(tbytes, weight, vbytes, 0)])

    def cleanup(self) -> None:
        self.fields = {}
        self.estimated_bytes = 0


class _TermWriter:
    """Writes one segment's terms in Whoosh's blocks, as ``W3FieldWriter.start_term``,
    one ``add`` per posting and ``finish_term`` would, byte for byte (the blocks of
    ``W3PostingsWriter._write_block``, the term info of ``W3TermInfo.to_bytes``, the
    entry of ``OrderedHashWriter.add``).

    It counts the offsets of the postings and term index files itself: Whoosh asks
    each file for its position (a system call) two or three times per term.
    """

    def __init__(self, fieldwriter: Any) -> None:
        self._fieldwriter = fieldwriter
        codec = fieldwriter._codec
        self._blocklimit, self._compression = codec._blocklimit, codec._compression
        self._postfile = fieldwriter._postfile
        self._post_offset = self._postfile.tell()
        self._tindex = fieldwriter._tindex
        self._index_offset = self._tindex.dbfile.tell()
        self._fixed_size: int | None = None
        self._fieldid = b""

    def start_field(self, fieldname: str, field: Any) -> None:
        """Start writing ``fieldname``'s terms (in ascending order)."""
        self._fieldwriter.start_field(fieldname, field)
        self._fixed_size = self._fieldwriter._format.fixed_value_size()
        self._fieldid = pack_ushort(self._fieldwriter._fieldid)

    def finish_field(self) -> None:
        self._fieldwriter.finish_field()

    def write(self, tbytes: bytes, postings: list[Any], lengths: list[int | None] | None) -> None:
        """Write the term ``tbytes`` with its flat ``[doc, weight, value, ...]`` postings."""
        blocklimit, compression, fixed_size = self._blocklimit, self._compression, self._fixed_size
        parts = [WHOOSH3_HEADER_MAGIC]
        total_weight, min_length, max_length, max_weight = 0.0, None, 0, 0
        total = len(postings) // 3
        for first in range(0, total, blocklimit):
            if total <= blocklimit:
                ids, raw_weights, raw_values = postings[0::3], postings[1::3], postings[2::3]
            else:
                end = 3 * min(first + blocklimit, total)
                ids = postings[3 * first : end : 3]
                raw_weights = postings[3 * first + 1 : end : 3]
                raw_values = postings[3 * first + 2 : end : 3]
            count = len(ids)
            weights = array("f", raw_weights)  # as W3PostingsWriter keeps them
            block_max_weight = max(0, max(raw_weights))
            block_min_length, block_max_length = None, 0
            if lengths is not None:
                known = [lengths[i] for i in ids]
                if None in known:
                    known = [length for length in known if length]
                if known:
                    block_min_length, block_max_length = min(known), max(known)
            # W3TermInfo.add_block
            total_weight += sum(weights)
            if min_length is None:
                min_length = block_min_length
            else:
                min_length = min(min_length, block_min_length)  # type: ignore[type-var]
            max_length = max(max_length, block_max_length)
            max_weight = max(max_weight, block_max_weight)
            # W3PostingsWriter._mini_ids, _mini_weights, _mini_values
            deltas = (ids[0],) if count == 1 else (ids[0], *[b - a for a, b in zip(ids, ids[1:])])
            if weights.count(1.0) == count:
                mini_weights: Any = None
            elif weights.count(weights[0]) == count:
                mini_weights = weights[0]
            else:
                mini_weights = tuple(weights)
            if fixed_size is None or fixed_size < 0:
                mini_values: Any = tuple(raw_values) if all(raw_values) else tuple(v for v in raw_values if v)
            elif fixed_size == 0:
                mini_values = None
            else:
                mini_values = b"".join(v for v in raw_values if v)
            data = dumps((deltas, mini_weights, mini_values), 2)
            if compression:
                data = zlib.compress(data, compression)
            head = dumps((count, ids[-1], block_max_weight, compression,
                          length_to_byte(block_min_length), length_to_byte(block_max_length)), 2)
            size = len(head) + len(data)
            parts.append(pack_int(-size if first + blocklimit >= total else size))
            parts.append(head)
            parts.append(data)
        written = b"".join(parts)
        self._postfile.write(written)
        start, self._post_offset = self._post_offset, self._post_offset + len(written)
        info = _TERM_INFO.pack(
            0, total_weight, total, 0 if min_length is None else length_to_byte(min_length),
            length_to_byte(max_length), max_weight, postings[0], postings[-3],
        ) + pack_long(start) + pack_int(len(written))
        self._add_to_index(self._fieldid + tbytes, info)

    def _add_to_index(self, key: bytes, value: bytes) -> None:
        # OrderedHashWriter.add and HashWriter.add, with the offset counted here
        tindex = self._tindex
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        offset = self._index_offset
        tindex.index.append(offset)
        tindex.dbfile.write(_HASH_LENGTHS.pack(len(key), len(value)) + key + value)
        self._index_offset = offset + _HASH_LENGTHS.size + len(key) + len(value)
        h = tindex.hashfn(key)
        tindex.buckets[h & 255].append((h, offset))
        tindex.lastkey = key

    def check_offsets(self) -> None:
        """Fail if the files' positions are not the offsets counted (before they close)."""
        if (self._postfile.tell(), self._tindex.dbfile.tell()) != (self._post_offset, self._index_offset):
            raise AssertionError("postings or term index written elsewhere than the offsets counted")
