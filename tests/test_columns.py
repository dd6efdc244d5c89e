"""Column files: built from Whoosh segments, written, mapped back, checked, rebuilt when
damaged, and removed with their segment by Whoosh's own clean-up."""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from scoring_corpus import build_fixture_index
from whoosh.index import clean_files
from whoosh.util.numeric import length_to_byte

import diplosearch
from diplosearch.documents import Document
from diplosearch.store.columns import (
    COLUMN_TEXT_FIELDS,
    MISSING_DAY,
    MISSING_SECOND,
    ColumnsError,
    Vocabulary,
    assemble_columns,
    column_file_name,
    encode_values,
    load_columns,
    published_day,
    published_second,
    write_columns,
)
from diplosearch.store.columns_upgrade import build_columns, columns_for


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    index = build_fixture_index(tmp_path_factory.mktemp("columns") / "index")
    yield index
    index.close()


def _leaves(index):  # type: ignore[no-untyped-def]
    with index.reading() as searcher:
        return [(leaf, leaf._segment) for leaf, _offset in searcher.reader().leaf_readers()]


def _written(index, leaf, segment) -> Path:  # type: ignore[no-untyped-def]
    write_columns(index.path, segment.segment_id(), build_columns(leaf, segment))
    return index.path / column_file_name(segment.segment_id())


def _assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.segment_id == b.segment_id and a.doc_count == b.doc_count
    assert a.vocabulary.terms() == b.vocabulary.terms()
    assert np.array_equal(a.vocabulary.offsets, b.vocabulary.offsets)
    for field in COLUMN_TEXT_FIELDS:
        fa, fb = a.fields[field], b.fields[field]
        for name in ("pointers", "docs", "weights", "position_pointers", "positions", "length_codes"):
            assert np.array_equal(getattr(fa, name), getattr(fb, name)), (field, name)
        assert fa.total_length == fb.total_length
    assert np.array_equal(a.published_days, b.published_days)
    assert np.array_equal(a.published_seconds, b.published_seconds)
    for name, column in a.values.items():
        assert column.keys == b.values[name].keys and column.labels == b.values[name].labels
        assert np.array_equal(column.ids, b.values[name].ids)
    for name in ("doc_ids", "titles"):
        assert np.array_equal(getattr(a, name).offsets, getattr(b, name).offsets), name
        assert bytes(getattr(a, name).blob) == bytes(getattr(b, name).blob), name


def test_columns_hold_what_whoosh_holds(fixture_index) -> None:  # type: ignore[no-untyped-def]
    for leaf, segment in _leaves(fixture_index):
        columns = build_columns(leaf, segment)
        deleted = set(segment.deleted_docs() or ())
        assert columns.doc_count == leaf.doc_count_all()
        for field in COLUMN_TEXT_FIELDS:
            fc = columns.fields[field]
            assert fc.total_length == leaf.field_length(field)
            for term_id, text in enumerate(columns.vocabulary.terms()):
                assert columns.vocabulary.id_of(text) == term_id
                start, end = fc.row(term_id)
                if start == end:
                    assert (field, text) not in leaf
                    continue
                matcher = leaf.postings(field, text)  # skips deleted documents
                expected = []
                while matcher.is_active():
                    expected.append((matcher.id(), matcher.weight(), matcher.value_as("positions")))
                    matcher.next()
                got = [
                    (int(fc.docs[i]), float(fc.weights[i]),
                     fc.positions[fc.position_pointers[i] : fc.position_pointers[i + 1]].tolist())
                    for i in range(start, end)
                    if int(fc.docs[i]) not in deleted
                ]
                assert got == expected, (field, text)
                for docnum in fc.docs[start:end].tolist():
                    assert fc.length_codes[docnum] == length_to_byte(leaf.doc_field_length(docnum, field))
        for docnum in range(columns.doc_count):
            stored = leaf.stored_fields(docnum)
            assert columns.published_days[docnum] == published_day(stored.get("published"))
            source_id = columns.values["source"].ids[docnum]
            if stored.get("source"):
                assert columns.values["source"].keys[source_id] == stored["source"].casefold()
            else:
                assert source_id == -1
            # 1.0 does not store category / sub_category: the columns stay empty
            assert columns.values["category"].ids[docnum] == -1
            assert columns.doc_ids[docnum] == stored["id"]
            assert columns.titles[docnum] == (stored.get("title") or "")


def test_write_then_load_round_trips(fixture_index) -> None:  # type: ignore[no-untyped-def]
    for leaf, segment in _leaves(fixture_index):
        built = build_columns(leaf, segment)
        write_columns(fixture_index.path, segment.segment_id(), built)
        _assert_same(load_columns(fixture_index.path, segment), built)
        _assert_same(load_columns(fixture_index.path, segment, verify=False), built)
    assert not list(fixture_index.path.glob("*.tmp*")), "no temporary file is left behind"


def _damage_cases(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    header_length = struct.unpack_from("<I", data, 12)[0]
    flipped_header = bytearray(data)
    flipped_header[20 + header_length // 2] ^= 0x04
    flipped_data = bytearray(data)
    flipped_data[-100] ^= 0x01  # inside the last arrays, past the header
    wrong_version = bytearray(data)
    struct.pack_into("<I", wrong_version, 8, 99)
    return {
        "truncated": data[: len(data) // 2],
        "truncated by one byte": data[:-1],
        "header bit flip": bytes(flipped_header),
        "data bit flip": bytes(flipped_data),
        "wrong version": bytes(wrong_version),
        "wrong magic": b"X" + data[1:],
        "empty": b"",
        "one byte longer": data + b"\0",
    }


@pytest.mark.parametrize(
    "case",
    ["truncated", "truncated by one byte", "header bit flip", "data bit flip", "wrong version", "wrong magic",
     "empty", "one byte longer"],
)
def test_damage_is_detected_and_rebuilt(fixture_index, case: str) -> None:  # type: ignore[no-untyped-def]
    leaf, segment = _leaves(fixture_index)[-1]
    path = _written(fixture_index, leaf, segment)
    good = build_columns(leaf, segment)
    path.write_bytes(_damage_cases(path)[case])
    with pytest.raises(ColumnsError):
        load_columns(fixture_index.path, segment)
    _assert_same(columns_for(fixture_index.path, leaf, segment), good)
    _assert_same(load_columns(fixture_index.path, segment), good)  # the file was rewritten


def test_a_field_array_loaded_unverified_is_verified_on_its_first_read(fixture_index) -> None:  # type: ignore[no-untyped-def]
    leaf, segment = _leaves(fixture_index)[-1]
    path = _written(fixture_index, leaf, segment)
    good = build_columns(leaf, segment)
    data = bytearray(path.read_bytes())
    header_length = struct.unpack_from("<I", data, 12)[0]
    header = json.loads(bytes(data[20 : 20 + header_length]))
    entry = header["arrays"]["field.body.weights"]
    data[(20 + header_length + 63) // 64 * 64 + entry["offset"]] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ColumnsError, match="field.body.weights"):
        load_columns(fixture_index.path, segment)  # verify=True checks every array now
    lazily = load_columns(fixture_index.path, segment, verify=False)
    assert not lazily.damaged
    assert np.array_equal(lazily.fields["body"].docs, good.fields["body"].docs)  # intact arrays read fine
    for _ in range(2):  # never handed out, however often asked for
        with pytest.raises(ColumnsError, match="field.body.weights"):
            lazily.fields["body"].weights  # noqa: B018
    assert lazily.damaged


def test_missing_file_is_built_and_written(fixture_index) -> None:  # type: ignore[no-untyped-def]
    leaf, segment = _leaves(fixture_index)[0]
    path = fixture_index.path / column_file_name(segment.segment_id())
    path.unlink(missing_ok=True)
    with pytest.raises(ColumnsError, match="no column file"):
        load_columns(fixture_index.path, segment)
    columns_for(fixture_index.path, leaf, segment)
    assert path.is_file()


def test_a_file_of_another_segment_is_refused(fixture_index) -> None:  # type: ignore[no-untyped-def]
    (leaf_a, segment_a), (_leaf_b, segment_b) = _leaves(fixture_index)[:2]
    path_a = _written(fixture_index, leaf_a, segment_a)
    target = fixture_index.path / column_file_name(segment_b.segment_id())
    target.write_bytes(path_a.read_bytes())
    with pytest.raises(ColumnsError, match="segment"):
        load_columns(fixture_index.path, segment_b)
    target.unlink()


def test_whoosh_clean_up_removes_the_columns_of_dead_segments(tmp_path: Path) -> None:
    index = diplosearch.open_index(tmp_path / "ix", create=True)
    index.add_many([Document(id=f"d{i}", body=f"kota rumah {i}") for i in range(5)], workers=1)
    (leaf, segment), = _leaves(index)
    live_file = _written(index, leaf, segment)
    dead_file = index.path / column_file_name("MAIN_deadsegment01")
    dead_file.write_bytes(live_file.read_bytes())
    dead_temporary = index.path / (column_file_name("MAIN_deadsegment01") + ".tmp0123abcd")
    dead_temporary.write_bytes(b"partial")
    whoosh_index = index._whoosh
    toc = whoosh_index._read_toc()
    clean_files(whoosh_index.storage, "MAIN", toc.generation, toc.segments)
    assert live_file.is_file()
    assert not dead_file.exists() and not dead_temporary.exists()
    index.close()


def test_vocabulary_lookup() -> None:
    terms = sorted(["kota", "laut", "rumah", "ā", "a", "ṭaṭa", "zz"])
    vocabulary = Vocabulary.of(terms)
    assert vocabulary.terms() == terms
    assert [vocabulary.id_of(t) for t in terms] == list(range(len(terms)))
    assert vocabulary.id_of("kot") is None and vocabulary.id_of("zzz") is None and vocabulary.id_of("") is None
    assert Vocabulary.of([]).id_of("kota") is None


def test_vocabulary_lookup_agrees_with_a_scan_of_the_terms() -> None:
    # Lookups search the terms' first eight bytes, then among the terms sharing them:
    # terms of one byte, of characters of two or three bytes, longer than eight bytes
    # and sharing their first eight, and absent words around them.
    rng = np.random.default_rng(7)
    alphabet = list("abkmz") + ["ā", "é", "ṭ", "中", "0", "9", "-"]
    words = {"".join(rng.choice(alphabet, size=rng.integers(1, 12))) for _ in range(6000)}
    shared = {"perdagang", "perdagangan", "perdagangannya", "perdagangkan", "perdagan", "perdaga", "中中中a", "中中中ab"}
    terms = sorted(words | shared | {"a", "b", "ā", "中", "zz", "aaaa", "aaaaaaaa", "aaaaaaaaa"})
    ids = {term: position for position, term in enumerate(terms)}
    probes = {"".join(rng.choice(alphabet, size=rng.integers(0, 14))) for _ in range(6000)}
    probes |= {"", "\x01", "\uffff", "zzzzzz", "A", "ā" * 7, "中中中", "perdagangann", "perdagangam", "aaaaaaaab"}
    computed = Vocabulary.of(terms)
    keys = computed.sort_keys()
    assert (np.diff(keys) >= 0).all()  # in the terms' order, so a binary search holds
    kept = Vocabulary(computed.blob, computed.offsets, keys.copy())  # as a column file hands them over
    for vocabulary in (computed, kept):
        assert [vocabulary.id_of(t) for t in terms] == list(range(len(terms)))
        for probe in sorted(probes):
            assert vocabulary.id_of(probe) == ids.get(probe), probe


def _write_without(index, segment, columns, array: str) -> None:  # type: ignore[no-untyped-def]
    """Write ``columns`` as a file written before ``array`` was kept would be."""
    from diplosearch.store import columns as columns_module

    real = columns_module._arrays_of

    def older_arrays(written):  # type: ignore[no-untyped-def]
        arrays = real(written)
        del arrays[array]
        return arrays

    columns_module._arrays_of = older_arrays
    try:
        write_columns(index.path, segment.segment_id(), columns)
    finally:
        columns_module._arrays_of = real


def test_a_column_file_keeps_the_vocabularys_sort_keys_and_one_without_them_still_reads(fixture_index) -> None:  # type: ignore[no-untyped-def]
    index = fixture_index
    leaf, segment = _leaves(index)[0]
    built = build_columns(leaf, segment)
    loaded = load_columns(index.path, segment)
    assert np.array_equal(loaded.vocabulary._sort_keys, built.vocabulary.sort_keys())
    _write_without(index, segment, built, "vocabulary_keys")
    older = load_columns(index.path, segment)
    assert older.vocabulary._sort_keys is None
    for term_id, text in enumerate(built.vocabulary.terms()):
        assert older.vocabulary.id_of(text) == term_id
    write_columns(index.path, segment.segment_id(), built)  # as the other tests expect it


def test_a_column_file_written_before_the_seconds_were_kept_orders_by_day(fixture_index) -> None:  # type: ignore[no-untyped-def]
    index = fixture_index
    leaf, segment = max(_leaves(index), key=lambda pair: pair[0].doc_count_all())
    built = build_columns(leaf, segment)
    _write_without(index, segment, built, "published_seconds")
    older = load_columns(index.path, segment)
    days = older.published_days
    assert (days != MISSING_DAY).any() and (days == MISSING_DAY).any()  # the fixture has both
    expected = np.where(days == MISSING_DAY, MISSING_SECOND, days.astype(np.int64) * 86_400)
    assert np.array_equal(older.published_seconds, expected)
    write_columns(index.path, segment.segment_id(), built)  # as the other tests expect it
    assert np.array_equal(load_columns(index.path, segment).published_seconds, built.published_seconds)


def test_document_values() -> None:
    assert published_day("1970-01-02T10:00:00") == 1
    assert published_day(dt.date(1969, 12, 31)) == -1
    assert published_day(None) == MISSING_DAY == published_day("not a date")
    # the wall-clock time as stored (a zone is dropped, as documents drop it), a date
    # alone at its midnight
    assert published_second("1970-01-02T10:00:30") == 86_400 + 36_030
    assert published_second("1970-01-02T10:00:30+07:00") == 86_400 + 36_030
    assert published_second(dt.datetime(1969, 12, 31, 23, 59, 59)) == -1
    assert published_second(dt.date(1969, 12, 31)) == published_second("1969-12-31") == -86_400
    assert published_second(None) == MISSING_SECOND == published_second("not a date")
    # text whose day reads but whose time does not: that day's midnight, never another day
    assert published_second("2019-09-16 pukul 10") == published_day("2019-09-16") * 86_400
    for value in ("2019-09-16T23:59:59", "1969-12-31T00:00:01", "2019-09-16", dt.datetime(2400, 2, 29, 12),
                  "20190916T1430", "", "2019-02-30T10:00:00"):
        day, second = published_day(value), published_second(value)
        assert (day == MISSING_DAY) == (second == MISSING_SECOND), value
        assert day == MISSING_DAY or second // 86_400 == day, value
    column = encode_values(["Kompas.com", None, "kompas.com", "Detik", "KOMPAS.COM", "kompas.com"])
    assert column.keys == ("detik", "kompas.com")
    assert column.labels == ("Detik", "kompas.com")  # the most common spelling
    assert column.ids.tolist() == [1, -1, 1, 0, 1, 1]


def test_an_empty_segment_field_round_trips(tmp_path: Path) -> None:
    index = diplosearch.open_index(tmp_path / "ix", create=True)
    index.add_many([Document(id="only", body="kota")], workers=1)  # no title, quotes or captions
    (leaf, segment), = _leaves(index)
    built = build_columns(leaf, segment)
    assert len(built.fields["quotes"].docs) == 0
    write_columns(index.path, segment.segment_id(), built)
    _assert_same(load_columns(index.path, segment), built)
    assert os.path.getsize(index.path / column_file_name(segment.segment_id())) > 0
    index.close()


def test_positions_decode_like_whoosh(monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh.formats import Positions

    from diplosearch.store import columns_upgrade as columns_module
    from diplosearch.store.columns_upgrade import _decode_positions

    unpickled = []
    real_unpickle = columns_module._unpickle
    monkeypatch.setattr(columns_module, "_unpickle", lambda data: unpickled.append(data) or real_unpickle(data))

    rng = np.random.default_rng(3)
    lists = [[], [0], [5], [255], [256], [65535], [70000], [3, 10], [0, 1, 2], [1, 300], [2, 70000, 70001],
             list(range(0, 3000, 2)), [7] * 1]
    for _ in range(300):
        lists.append(sorted(set(rng.integers(0, rng.choice([200, 300, 5000, 100_000]), rng.integers(1, 9)).tolist())))
    fmt = Positions()
    encoded = [fmt.encode(p) for p in lists]
    encoded[3] = encoded[3][:-1]  # a value whose final STOP was left out still decodes
    pointers, positions = _decode_positions(encoded)
    got = [positions[pointers[i] : pointers[i + 1]].tolist() for i in range(len(lists))]
    assert got == [fmt.decode_positions(v) for v in encoded] == lists
    # small lists of small deltas (most postings) are read in bulk, not unpickled one by one
    bulk_shaped = sum(1 for p in lists if p and len(p) < 1000 and max(b - a for a, b in zip([0] + p, p)) < 256)
    assert len(unpickled) <= len(lists) - bulk_shaped + 1


def test_columns_assembled_from_postings_in_memory_equal_those_built_from_the_segment(fixture_index) -> None:  # type: ignore[no-untyped-def]
    for leaf, segment in _leaves(fixture_index):
        doc_count = leaf.doc_count_all()
        postings = {}
        for field in COLUMN_TEXT_FIELDS:
            postings[field] = {}
            for text in leaf.lexicon(field):
                # all postings, deleted documents included, as a writer holds them
                info = leaf._terms.term_info(field, text)
                matcher = leaf._terms.matcher(field, text, leaf.schema[field].format)
                rows = ([], [], [])
                while matcher.is_active():
                    rows[0].append(matcher.id())
                    rows[1].append(matcher.weight())
                    rows[2].append(matcher.value_as("positions"))
                    matcher.next()
                assert len(rows[0]) == info.doc_frequency()
                postings[field][text.decode("utf-8")] = rows
        stored = [leaf.stored_fields(d) for d in range(doc_count)]
        assembled = assemble_columns(
            segment.segment_id(),
            doc_count,
            postings,
            {f: np.array([length_to_byte(leaf.doc_field_length(d, f, 0)) for d in range(doc_count)], np.uint8)
             for f in COLUMN_TEXT_FIELDS},
            {f: leaf.field_length(f) for f in COLUMN_TEXT_FIELDS},
            [s.get("published") for s in stored],
            {name: [s.get(name) or None for s in stored] for name in ("source", "category", "sub_category")},
            [s.get("id") for s in stored],
            [s.get("title") for s in stored],
        )
        _assert_same(assembled, build_columns(leaf, segment))


def test_a_rebuild_is_reported_and_survives_a_read_only_folder(fixture_index, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from diplosearch.store import columns_upgrade

    leaf, segment = _leaves(fixture_index)[0]
    (fixture_index.path / column_file_name(segment.segment_id())).unlink(missing_ok=True)
    reports = []

    def refuse(*args: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(columns_upgrade, "write_columns", refuse)
    columns = columns_for(fixture_index.path, leaf, segment, on_rebuild=lambda *why: reports.append(why))
    assert columns.doc_count == leaf.doc_count_all()
    (problem, write_error), = reports
    assert isinstance(problem, ColumnsError) and isinstance(write_error, PermissionError)


def test_a_page_reads_each_document_as_whoosh_public_reader_does(tmp_path: Path) -> None:
    # Pages read stored fields straight from each segment's column (skipping Whoosh's
    # copy filtered by the schema); over several segments and deletions every live
    # document must decode as through Whoosh's public method.
    from scoring_corpus import build_fixture_index

    from diplosearch.schema import document_from_stored

    index = build_fixture_index(tmp_path / "several")
    try:
        with index.snapshot() as snapshot:
            docnums = sorted(snapshot.reader.all_doc_ids())
            assert len(list(snapshot.reader.leaf_readers())) > 1
            expected = [document_from_stored(dict(snapshot.reader.stored_fields(d))) for d in docnums]
            assert snapshot.documents(list(reversed(docnums))) == list(reversed(expected))
    finally:
        index.close()
