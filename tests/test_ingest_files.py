"""Reading files and folders: formats, encodings, gzip, hostile files."""

from __future__ import annotations

import gzip
import json
import os
import random
import string
from pathlib import Path

import pytest

from diplosearch.documents import Document, InputProblem, Quote
from diplosearch.ingest import read_documents
from diplosearch.ingest import streams as ingest_streams

def split(items):
    docs = [i for i in items if isinstance(i, Document)]
    problems = [i for i in items if isinstance(i, InputProblem)]
    assert len(docs) + len(problems) == len(items)
    return docs, problems


def read(*paths):
    return split(list(read_documents(paths)))


# --------------------------------------------------------------------------- files and folders


def write_jsonl(path: Path, lines: list[object], compress: bool = False) -> bytes:
    data = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return data


def test_a_folder_is_read_recursively_in_order_with_relative_ids_and_hidden_files_skipped(tmp_path: Path):
    folder = tmp_path / "berita"
    (folder / "2023" / "des").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "b.txt").write_text("Judul B\n\nIsi B.\n", encoding="utf-8")
    (folder / "a.md").write_text("# Judul A\n\nIsi A.\n", encoding="utf-8")
    (folder / "2023" / "des" / "c.txt").write_text("Judul C\n\nIsi C.\n", encoding="utf-8")
    (folder / "tanpa-akhiran").write_text("Judul D\n\nIsi D.\n", encoding="utf-8")
    (folder / ".tersembunyi.txt").write_text("Rahasia\n\nIsi.\n", encoding="utf-8")
    (folder / ".git" / "config.txt").write_text("Rahasia\n\nIsi.\n", encoding="utf-8")
    docs, problems = read(folder)
    assert problems == []
    assert [d.id for d in docs] == ["2023/des/c", "a", "b", "tanpa-akhiran"]
    assert [d.title for d in docs] == ["Judul C", "Judul A", "Judul B", "Judul D"]
    assert docs[0].path == str(folder / "2023" / "des" / "c.txt")


def test_a_file_given_directly_gets_its_stem_as_id(tmp_path: Path):
    path = tmp_path / "artikel.satu.txt"
    path.write_text("Judul\n\nIsi.\n", encoding="utf-8")
    (doc,), problems = read(path)
    assert problems == [] and doc.id == "artikel.satu" and doc.path == str(path)
    assert [d.id for d in read_documents(str(path))] == ["artikel.satu"]  # a lone path, not its letters


def test_jsonl_records_get_file_and_line_ids_and_bad_lines_are_reported_by_line(tmp_path: Path):
    feed = tmp_path / "arsip.jsonl"
    write_jsonl(
        feed,
        [
            {"id": "r1", "title": "Satu", "content": "Isi satu."},
            "",
            {"title": "Tiga", "content": "Isi tiga."},
            [1, 2],
            "{bukan json",
            {"title": 5, "content": "x"},
            {"content": ["a"]},
            {"url": "https://x"},
            {"id": None, "title": "Sembilan"},
        ],
    )
    docs, problems = read(feed)
    assert [(d.id, d.title) for d in docs] == [("r1", "Satu"), ("arsip:3", "Tiga"), ("arsip:9", "Sembilan")]
    assert all(d.path == str(feed) for d in docs)
    assert [p.line for p in problems] == [4, 5, 6, 7, 8]
    assert "object" in problems[0].message and "JSON" in problems[1].message
    assert "'title'" in problems[2].message and "'content'" in problems[3].message
    for problem in problems:
        assert str(problem).startswith(f"{feed}:{problem.line}: ") and "\n" not in str(problem)


def test_ndjson_and_a_utf8_bom_on_the_first_line(tmp_path: Path):
    feed = tmp_path / "x.ndjson"
    feed.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "title": "A"}).encode() + b"\n")
    docs, problems = read(feed)
    assert [d.id for d in docs] == ["a"] and problems == []


def test_utf16_jsonl_with_bom(tmp_path: Path):
    feed = tmp_path / "x.jsonl"
    feed.write_bytes(('{"id": "a", "title": "Kafé"}\n{"id": "b", "title": "B"}\n').encode("utf-16"))
    docs, problems = read(feed)
    assert [(d.id, d.title) for d in docs] == [("a", "Kafé"), ("b", "B")] and problems == []


def test_json_file_with_an_array_of_records(tmp_path: Path):
    path = tmp_path / "kumpulan.json"
    path.write_text(json.dumps([{"title": "A"}, 3, {"id": "x", "title": "B"}]), encoding="utf-8")
    docs, problems = read(path)
    assert [d.id for d in docs] == ["kumpulan:1", "x"]
    assert len(problems) == 1 and "item 2" in problems[0].message


def truncated_feed(tmp_path: Path, cut: int) -> tuple[Path, list[dict]]:
    rng = random.Random(7)
    records = [{"id": f"r{i}", "title": f"Judul {i}", "content": "Isi."} for i in range(1, 4)]
    # Incompressible text, so that cutting the compressed stream cuts this record.
    noise = "".join(rng.choice(string.ascii_letters) for _ in range(2000))
    records.append({"id": "r4", "title": "Terakhir", "content": noise})
    feed = tmp_path / "arsip.jsonl.gz"
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    feed.write_bytes(data[:-cut])
    return feed, records


def test_gzip_jsonl_with_a_broken_last_line_keeps_the_records_before_it(tmp_path: Path):
    feed, _ = truncated_feed(tmp_path, cut=200)
    good = tmp_path / "baik.txt"
    good.write_text("Judul Baik\n\nIsi baik.\n", encoding="utf-8")
    docs, problems = read(feed, good)
    assert [d.id for d in docs] == ["r1", "r2", "r3", "baik"]
    assert len(problems) == 1
    assert problems[0].line == 4 and "truncated" in problems[0].message


def test_gzip_cut_inside_its_trailer_keeps_every_record_and_still_reports(tmp_path: Path):
    feed, records = truncated_feed(tmp_path, cut=4)
    docs, problems = read(feed)
    assert [d.id for d in docs] == [r["id"] for r in records]
    assert len(problems) == 1 and "truncated" in problems[0].message


def test_corrupt_gzip_data_is_reported_not_raised(tmp_path: Path):
    feed, _ = truncated_feed(tmp_path, cut=1)
    data = bytearray(feed.read_bytes())
    for i in range(40, 80):
        data[i] ^= 0x55
    feed.write_bytes(bytes(data))
    items = list(read_documents([feed]))
    assert any(isinstance(i, InputProblem) for i in items)


def test_gzip_is_recognised_by_content_and_a_plain_file_named_gz_by_content_too(tmp_path: Path):
    hidden_gzip = tmp_path / "a.jsonl"
    write_jsonl(hidden_gzip, [{"id": "a", "title": "A"}], compress=True)
    plain_gz = tmp_path / "b.jsonl.gz"
    write_jsonl(plain_gz, [{"id": "b", "title": "B"}])
    docs, problems = read(hidden_gzip, plain_gz)
    assert [d.id for d in docs] == ["a", "b"] and problems == []


def test_binary_and_empty_files_are_reported_and_the_rest_of_the_batch_is_read(tmp_path: Path):
    (tmp_path / "rusak.bin").write_bytes(b"\x00\x01\x02\xff" * 100)
    (tmp_path / "acak").write_bytes(bytes(random.Random(1).randrange(1, 32) for _ in range(4000)))
    (tmp_path / "kosong.txt").write_bytes(b"")
    (tmp_path / "spasi.txt").write_bytes(b" \n\n\t\n")
    (tmp_path / "kosong.jsonl").write_bytes(b"\n\n")
    (tmp_path / "boilerplate.txt").write_text("Komentar (0)\n\nYang lain\n", encoding="utf-8")
    (tmp_path / "halaman.html").write_text("<html><body>Isi</body></html>", encoding="utf-8")
    (tmp_path / "baik.txt").write_text("Judul\n\nIsi.\n", encoding="utf-8")
    docs, problems = read(tmp_path)
    assert [d.id for d in docs] == ["baik"]
    reported = {Path(p.path).name: p.message for p in problems}
    assert set(reported) == {
        "rusak.bin", "acak", "kosong.txt", "spasi.txt", "kosong.jsonl", "boilerplate.txt", "halaman.html"
    }  # fmt: skip
    assert "binary" in reported["rusak.bin"] and "binary" in reported["acak"]
    for name in ("kosong.txt", "spasi.txt", "kosong.jsonl"):
        assert "empty" in reported[name]
    assert "unsupported" in reported["halaman.html"]


def test_cp1252_text_is_decoded_not_lost(tmp_path: Path):
    path = tmp_path / "lama.txt"
    text = "Kafé di Jakarta\n\nDia berkata “Kopi di kafé ini sangat enak” kepada kami.\n"
    path.write_bytes(text.encode("cp1252"))
    (doc,), problems = read(path)
    assert problems == []
    assert doc.title == "Kafé di Jakarta"
    assert doc.quotes == (Quote("Kopi di kafé ini sangat enak"),)


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path):
    path = tmp_path / "aneh.txt"
    path.write_bytes(b"Judul\n\nIsi caf\xe9 \x81 selesai.\n")
    (doc,), problems = read(path)
    assert problems == [] and "café" in doc.body


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_with_a_bom(tmp_path: Path, codec: str):
    path = tmp_path / "u.txt"
    text = "Kafé Baru Dibuka\n\nIsi berita é.\n"
    path.write_bytes(("\ufeff" + text).encode(codec) if codec == "utf-16-be" else text.encode(codec))
    (doc,), problems = read(path)
    assert problems == [] and doc.title == "Kafé Baru Dibuka" and doc.body == "Isi berita é."


def test_truncated_utf8_keeps_the_text_and_replaces_only_the_broken_tail(tmp_path: Path):
    path = tmp_path / "potong.txt"
    path.write_bytes("Kafé Baru\n\nIsi berita tentang kafé dan ©".encode("utf-8")[:-1])
    (doc,), problems = read(path)
    assert problems == []
    assert doc.title == "Kafé Baru"
    assert doc.body == "Isi berita tentang kafé dan \ufffd"


def test_missing_paths_are_reported(tmp_path: Path):
    good = tmp_path / "ada.txt"
    good.write_text("Judul\n\nIsi.\n", encoding="utf-8")
    docs, problems = read(tmp_path / "tidak-ada.txt", good)
    assert [d.id for d in docs] == ["ada"]
    assert [str(p) for p in problems] == [f"{tmp_path / 'tidak-ada.txt'}: no such file or folder"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file_is_reported(tmp_path: Path):
    path = tmp_path / "rahasia.txt"
    path.write_text("Judul\n\nIsi.\n", encoding="utf-8")
    path.chmod(0)
    try:
        docs, problems = read(path)
    finally:
        path.chmod(0o644)
    assert docs == [] and "permission denied" in problems[0].message


def test_a_permission_error_while_opening_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Runs as root too, where chmod cannot make a file unreadable.
    locked = tmp_path / "rahasia.txt"
    locked.write_text("Judul\n\nIsi.\n", encoding="utf-8")
    good = tmp_path / "terbuka.txt"
    good.write_text("Judul\n\nIsi.\n", encoding="utf-8")
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(ingest_streams, "open", guarded_open, raising=False)
    docs, problems = read(locked, good)
    assert [d.id for d in docs] == ["terbuka"]
    assert [(Path(p.path).name, p.message) for p in problems] == [("rahasia.txt", "permission denied")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_reported_instead_of_blocking(tmp_path: Path):
    os.mkfifo(tmp_path / "pipa")
    docs, problems = read(tmp_path / "pipa")
    assert docs == [] and "regular file" in problems[0].message


def test_size_caps_on_a_text_file_and_a_jsonl_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ingest_streams, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(ingest_streams, "MAX_LINE_BYTES", 1000)
    big = tmp_path / "besar.txt"
    big.write_text("Judul\n\n" + "kata " * 400, encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    long_record = {"id": "b", "title": "B", "content": "x" * 5000}
    write_jsonl(feed, [{"id": "a", "title": "A"}, long_record, {"id": "c", "title": "C"}])
    bomb = tmp_path / "bom.txt.gz"
    bomb.write_bytes(gzip.compress(b"Judul\n\n" + b"a " * 100_000))
    docs, problems = read(big, feed, bomb)
    assert [d.id for d in docs] == ["a", "c"]
    where = [(Path(p.path).name, p.line) for p in problems]
    assert where == [("besar.txt", None), ("feed.jsonl", 2), ("bom.txt.gz", None)]
    assert all("limit" in p.message for p in problems)


def test_input_problem_prints_as_one_line():
    assert str(InputProblem("a/b.jsonl", 3, "not valid JSON")) == "a/b.jsonl:3: not valid JSON"
    assert str(InputProblem("a.txt", None, "binary\nfile")) == "a.txt: binary file"


def test_a_file_name_that_is_not_utf8_still_gives_an_indexable_id(tmp_path):
    import os

    from diplosearch.documents import Document
    from diplosearch.ingest import read_documents

    folder = tmp_path / "arsip"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "w", encoding="utf-8") as handle:
        handle.write("Kopi Hanoi\n\nKopi di Hanoi makin terkenal.\n")
    (item,) = list(read_documents([folder]))
    assert isinstance(item, Document)
    assert item.id == "caf\\xe9"
    item.id.encode("utf-8")
    assert item.path is not None and item.path.encode("utf-8")


def test_old_mac_line_ends_end_lines_in_jsonl_and_in_articles(tmp_path: Path):
    records = [{"id": f"r{i}", "title": f"Judul {i}", "content": "Isi."} for i in range(1, 4)]
    feed = tmp_path / "mac.jsonl"
    feed.write_bytes("".join(json.dumps(r) + "\r" for r in records).encode())
    article = tmp_path / "mac.txt"
    article.write_bytes(b"Judul Lama\r\rParagraf satu.\rParagraf dua.\r")
    docs, problems = read(feed, article)
    assert problems == []
    assert [d.id for d in docs] == ["r1", "r2", "r3", "mac"]
    assert docs[3].title == "Judul Lama" and docs[3].body == "Paragraf satu.\n\nParagraf dua."


def test_mixed_line_ends_count_lines_like_an_editor_even_across_read_chunks(tmp_path: Path, monkeypatch):
    lines = [json.dumps({"id": "a", "title": "A"}), "{rusak", json.dumps({"id": "c", "title": "C"}), "[1]"]
    # This read size ends the first chunk between the "\r" and the "\n" of one line end.
    monkeypatch.setattr(ingest_streams, "_CHUNK", len(lines[0]) + 1)
    feed = tmp_path / "campur.jsonl"
    feed.write_bytes((lines[0] + "\r\n" + lines[1] + "\r" + lines[2] + "\n" + lines[3] + "\r\n").encode())
    docs, problems = read(feed)
    assert [d.id for d in docs] == ["a", "c"]
    assert [p.line for p in problems] == [2, 4]


def folder_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with links out of it (to a file and to a folder) and links inside it."""
    outside = tmp_path / "luar"
    (outside / "rahasia").mkdir(parents=True)
    (outside / "kata-sandi.txt").write_text("Kata Sandi\n\nrahasia sekali.\n", encoding="utf-8")
    (outside / "rahasia" / "kunci.txt").write_text("Kunci\n\nkunci rahasia.\n", encoding="utf-8")
    folder = tmp_path / "berita"
    (folder / "sub").mkdir(parents=True)
    (folder / "asli.txt").write_text("Judul Asli\n\nIsi asli.\n", encoding="utf-8")
    (folder / "ke-luar.txt").symlink_to(outside / "kata-sandi.txt")
    (folder / "folder-luar").symlink_to(outside / "rahasia", target_is_directory=True)
    (folder / "sub" / "ke-dalam.txt").symlink_to(folder / "asli.txt")
    (folder / "sub" / "putar").symlink_to(folder, target_is_directory=True)
    return folder, outside


def test_links_out_of_a_folder_are_reported_not_followed(tmp_path: Path):
    folder, _ = folder_with_links(tmp_path)
    docs, problems = read(folder)
    assert [d.id for d in docs] == ["asli", "sub/ke-dalam"]
    reported = {Path(p.path).name: p.message for p in problems}
    assert reported["ke-luar.txt"] == f"skipped: link points outside {folder}"
    assert reported["folder-luar"] == f"skipped: link points outside {folder}"
    assert "not followed" in reported["putar"]
    assert set(reported) == {"ke-luar.txt", "folder-luar", "putar"}


def test_follow_links_reads_links_out_of_the_folder_but_never_loops(tmp_path: Path):
    folder, _ = folder_with_links(tmp_path)
    docs, problems = split(list(read_documents([folder], follow_links=True)))
    assert [d.id for d in docs] == ["asli", "folder-luar/kunci", "ke-luar", "sub/ke-dalam"]
    assert [(Path(p.path).name, "loop" in p.message) for p in problems] == [("putar", True)]


def test_a_link_given_directly_is_always_read(tmp_path: Path):
    folder, outside = folder_with_links(tmp_path)
    linked_folder = tmp_path / "pintas"
    linked_folder.symlink_to(outside, target_is_directory=True)
    docs, problems = read(folder / "ke-luar.txt", linked_folder)
    assert [d.id for d in docs] == ["ke-luar", "kata-sandi", "rahasia/kunci"] and problems == []


def test_ids_that_cleaning_makes_equal_are_each_reported_naming_both_lines(tmp_path: Path):
    feed = tmp_path / "kotor.jsonl"
    ids = ["a", "a\u0000", "b", "b ", " c", "c"]
    write_jsonl(feed, [{"id": i, "title": f"Judul {n}", "content": "Isi."} for n, i in enumerate(ids, 1)])
    docs, problems = read(feed)
    assert [d.id for d in docs] == ["a", "a", "b", "b", "c", "c"]
    assert [p.line for p in problems] == [2, 4, 6]
    assert problems[0].message.startswith(f"id 'a\\x00' was cleaned to 'a', the id of {feed}:1;")
    assert problems[1].message.startswith(f"id 'b ' was cleaned to 'b', the id of {feed}:3;")
    assert problems[2].message.startswith(f"id 'c' repeats the id of {feed}:5 (cleaned from ' c');")
    assert all("later" in p.message and "replaces" in p.message for p in problems)


def test_a_repeated_id_in_one_read_is_reported_and_the_last_record_wins_in_the_index(tmp_path: Path):
    from diplosearch import open_index

    feed = tmp_path / "ulang.jsonl"
    write_jsonl(feed, [{"id": "x", "title": "Lama"}, {"id": "y", "title": "Y"}, {"id": "x", "title": "Baru"}])
    folder = tmp_path / "berita"
    folder.mkdir()
    (folder / "z.txt").write_text("Judul Teks\n\nIsi.\n", encoding="utf-8")
    (folder / "z.md").write_text("# Judul Markdown\n\nIsi.\n", encoding="utf-8")
    with open_index(tmp_path / "ix", create=True) as ix:
        report = ix.add_files([feed, folder])
        assert sorted(report.added) == ["x", "y", "z"]
        assert [(Path(p.path).name, p.line) for p in report.problems] == [("ulang.jsonl", 3), ("z.txt", None)]
        assert f"the id of {feed}:1" in report.problems[0].message
        assert f"the id of {folder / 'z.md'};" in report.problems[1].message
        assert ix.get("x").title == "Baru" and ix.get("z").title == "Judul Teks"


def test_a_repeated_id_in_a_json_array_names_both_items(tmp_path: Path):
    path = tmp_path / "kumpulan.json"
    path.write_text(json.dumps([{"id": "k", "title": "A"}, {"id": "k", "title": "B"}]), encoding="utf-8")
    docs, problems = read(path)
    assert [d.title for d in docs] == ["A", "B"]
    assert [p.line for p in problems] == [None]
    assert problems[0].message.startswith(f"item 2: id 'k' repeats the id of {path} item 1;")


def test_read_jsonl_stream_reads_records_from_an_open_binary_stream():
    import io

    from diplosearch import read_jsonl_stream

    data = b'{"id": "a", "title": "Satu", "body": "isi"}\nnot json\n{"title": "Dua", "body": "isi"}\n'
    items = list(read_jsonl_stream(io.BytesIO(gzip.compress(data))))
    assert [getattr(i, "id", None) for i in items] == ["a", None, "stdin:3"]
    assert str(items[1]).startswith("stdin:2")
    (empty,) = read_jsonl_stream(io.BytesIO(b""), name="-")
    assert "no JSON records" in str(empty)


def test_a_feed_whose_only_record_is_too_long_is_not_called_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ingest_streams, "MAX_LINE_BYTES", 1000)
    feed = tmp_path / "feed.jsonl"
    write_jsonl(feed, [{"id": "b", "title": "B", "content": "x" * 5000}])
    docs, problems = read(feed)
    assert docs == [] and len(problems) == 1  # was also "empty file (no JSON records)"
    assert "limit" in problems[0].message


@pytest.mark.parametrize("paths", [None, b"/tmp/a.txt", 5, [None], ["a.txt", ""]])
def test_read_documents_refuses_what_is_not_paths_when_called_not_when_iterated(paths):
    from diplosearch.errors import InvalidArgumentError
    from diplosearch.ingest import read_documents

    with pytest.raises(InvalidArgumentError, match="read_documents takes"):
        read_documents(paths)  # raised at the call: no generator handed out to fail later
