"""Documents: parsing plain-text articles and JSON records, and reading hostile files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import random
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from diplosearch import documents
from diplosearch.documents import (
    Document,
    InputProblem,
    Quote,
    content_id,
    document_from_record,
    extract_quotes,
    parse_article,
    parse_date,
    read_documents,
)
from diplosearch.errors import DocumentError

CORPUS = Path(documents.__file__).resolve().parent / "data" / "corpus"
VOV = CORPUS / "vovworld-peranan-pelopor-diplomatik.txt"
DANTRI = CORPUS / "dantri-to-lam-diplomasi-era-baru.txt"

LEAD = (
    "Pemerintah Indonesia dan Vietnam sepakat memperluas kerja sama perdagangan beras, kopi, "
    "dan hasil laut dalam pertemuan tingkat menteri yang berlangsung di Hanoi pada hari Senin."
)


def split(items):
    docs = [i for i in items if isinstance(i, Document)]
    problems = [i for i in items if isinstance(i, InputProblem)]
    assert len(docs) + len(problems) == len(items)
    return docs, problems


def read(*paths):
    return split(list(read_documents(paths)))


# --------------------------------------------------------------------------- titles


def test_a_headline_on_the_first_line_is_the_title_and_is_not_repeated_in_the_body():
    doc = parse_article(f"Ekspor Kopi Indonesia Naik Tajam\n\n{LEAD}\n")
    assert doc.title == "Ekspor Kopi Indonesia Naik Tajam"
    assert doc.body == LEAD
    assert "Ekspor Kopi" not in doc.body


def test_a_markdown_heading_is_the_title_without_its_hashes_even_when_it_ends_in_a_period():
    doc = parse_article(f"## Ekspor kopi naik tajam tahun ini. ##\n\n{LEAD}")
    assert doc.title == "Ekspor kopi naik tajam tahun ini."
    assert doc.body == LEAD


def test_a_headline_repeated_as_the_first_line_of_the_story_is_dropped_once():
    doc = parse_article(f"Ekspor Kopi Naik\nEkspor Kopi Naik\n\n{LEAD}")
    assert doc.title == "Ekspor Kopi Naik" and doc.body == LEAD


def test_an_article_without_a_headline_gets_its_lead_sentence_cut_at_a_word_boundary():
    doc = parse_article(LEAD + "\n\nParagraf kedua menyusul.")
    assert doc.title.endswith("…")
    stem = doc.title[:-1]
    assert len(stem) <= 100
    assert LEAD.startswith(stem)
    assert LEAD[len(stem)] == " "  # no word is cut in half
    assert doc.body.startswith(LEAD)  # the lead stays in the body


def test_a_short_lead_sentence_becomes_the_whole_title_without_its_period():
    doc = parse_article("Hujan deras turun di Jakarta sejak pagi. Banyak jalan tergenang air setinggi lutut.")
    assert doc.title == "Hujan deras turun di Jakarta sejak pagi"


def test_abbreviations_do_not_end_the_lead_sentence():
    doc = parse_article("Menurut Dr. Siti dan Jl. Sudirman ramai sekali hari ini. Kalimat kedua di sini.")
    assert doc.title == "Menurut Dr. Siti dan Jl. Sudirman ramai sekali hari ini"


@pytest.mark.parametrize(
    "first_line",
    [
        "JAKARTA, KOMPAS.com - Presiden meresmikan jalan tol baru di Jawa Tengah",
        "(VOVWORLD) - Konferensi diplomatik berlangsung di Hanoi",
        "pada hari Senin pemerintah mengumumkan kebijakan baru",
        "Presiden meresmikan jalan tol baru. Menteri ikut hadir",
    ],
)
def test_datelines_lowercase_starts_and_two_sentences_are_not_headlines(first_line: str):
    doc = parse_article(first_line + "\n\nParagraf kedua berisi hal lain.")
    assert doc.body.startswith(first_line)
    assert "Paragraf kedua" not in doc.title


def test_the_lead_title_leaves_the_dateline_out():
    doc = parse_article("JAKARTA, KOMPAS.com - Presiden meresmikan jalan tol baru. Menteri ikut hadir.")
    assert doc.title == "Presiden meresmikan jalan tol baru"
    assert doc.source == "KOMPAS.com"


# --------------------------------------------------------------------------- body


def test_boilerplate_lines_are_removed_and_paragraph_breaks_kept():
    text = "\n".join(
        [
            "Komentar (12)",
            "Harga Beras Turun",
            "",
            "Harga beras di pasar induk turun pekan ini.",
            "Bagikan",
            "Facebook | Twitter | WhatsApp",
            "Baca juga: Harga Cabai Naik Lagi di Pasar",
            "Pedagang mengaku pasokan dari Jawa Timur melimpah.",
            "Harga Beras Turun - ảnh 2",
            "Advertisement",
            "Komentar",
            "Yang lain",
        ]
    )
    doc = parse_article(text)
    assert doc.title == "Harga Beras Turun"
    assert doc.body == (
        "Harga beras di pasar induk turun pekan ini.\n\nPedagang mengaku pasokan dari Jawa Timur melimpah."
    )


def test_words_like_komentar_inside_prose_are_not_boilerplate():
    line = "Komentar warganet soal harga beras ramai di media sosial sejak kemarin sore."
    doc = parse_article(f"Harga Beras\n\n{line}")
    assert doc.body == line


def test_an_image_marker_is_dropped_but_the_caption_glued_to_it_is_kept():
    doc = parse_article(
        "Judul Berita Hari Ini\n\nParagraf pembuka yang cukup panjang di sini.\n\n"
        "Judul Berita Hari Ini - ảnh 1Menteri meninjau pelabuhan (Foto: Humas)\n\nParagraf penutup."
    )
    assert doc.captions == ("Menteri meninjau pelabuhan",)
    assert "ảnh" not in doc.body and "Menteri meninjau" not in doc.body
    assert doc.body == "Paragraf pembuka yang cukup panjang di sini.\n\nParagraf penutup."


def test_hard_wrapped_lines_are_joined_into_one_paragraph_but_headings_are_not():
    text = (
        "Judul\n\nPemerintah mengumumkan kebijakan baru yang\nakan berlaku mulai bulan depan.\n"
        "Subjudul Penting\nIsi setelah subjudul."
    )
    doc = parse_article(text)
    assert doc.body.split("\n\n") == [
        "Pemerintah mengumumkan kebijakan baru yang akan berlaku mulai bulan depan.",
        "Subjudul Penting",
        "Isi setelah subjudul.",
    ]


def test_markdown_links_keep_their_text_and_images_disappear():
    doc = parse_article("# Judul\n\nLihat [laporan resmi](https://kemlu.go.id/laporan) ini. ![foto](a.jpg)")
    assert doc.body == "Lihat laporan resmi ini."


def test_an_article_of_only_boilerplate_is_a_document_error():
    with pytest.raises(DocumentError):
        parse_article("Komentar (0)\n\nYang lain\n\n")
    with pytest.raises(DocumentError):
        parse_article("   \n\n")


# --------------------------------------------------------------------------- quotes


@pytest.mark.parametrize("verb", ["kata", "ujar", "ucap", "tutur", "jelas", "tegas"])
def test_a_speaker_named_after_the_quote(verb: str):
    text = f"Judul\n\n“Kami akan membangun pelabuhan baru tahun depan,” {verb} Budi Santoso di Jakarta."
    doc = parse_article(text)
    assert doc.quotes == (Quote("Kami akan membangun pelabuhan baru tahun depan", "Budi Santoso"),)


@pytest.mark.parametrize("verb", ["menegaskan", "mengatakan", "menyatakan", "mengungkapkan"])
def test_a_speaker_announced_before_the_quote_in_the_previous_paragraph(verb: str):
    doc = parse_article(
        f"Judul\n\nSoal itu, Menteri Luar Negeri (Menlu) Vietnam, Bui Thanh Son {verb}:\n\n"
        "“Kerja sama kedua negara terus berkembang dengan baik”."
    )
    assert doc.quotes == (Quote("Kerja sama kedua negara terus berkembang dengan baik", "Bui Thanh Son"),)


@pytest.mark.parametrize(
    ("phrase", "speaker"),
    [
        ("Menlu Bui Thanh Son", "Bui Thanh Son"),  # leading titles are stripped ...
        ("Menteri Luar Negeri Retno Marsudi", "Retno Marsudi"),
        ("Ketua KPK Agus Rahardjo", "Agus Rahardjo"),  # ... with the acronym after one
        ("Presiden", "Presiden"),  # ... unless nothing but the title would be left
        ("Namun Jokowi", "Jokowi"),  # a sentence opener is not part of the name
        ("Hubungan dengan Vietnam. Menlu Bui Thanh Son", "Bui Thanh Son"),  # nor is the sentence before
    ],
)
def test_speaker_titles_are_stripped_consistently(phrase: str, speaker: str):
    quotes = extract_quotes([f"{phrase} menegaskan:", "“Indonesia siap menjadi tuan rumah pertemuan itu.”"])
    assert [q.speaker for q in quotes] == [speaker]


def test_pronouns_give_no_speaker():
    quotes = extract_quotes(
        '"Kami sudah bekerja keras sepanjang tahun ini," katanya. "Hasilnya akan terlihat nanti sore," kata dia.'
    )
    assert [q.speaker for q in quotes] == [None, None]
    assert len(quotes) == 2


def test_short_scare_quotes_are_not_quotations_and_single_quotes_survive_apostrophes():
    quotes = extract_quotes("Diplomasi “titik cerah” disebut ‘jalan tengah yang paling masuk akal’ pada Jum’at pagi.")
    assert [q.text for q in quotes] == ["jalan tengah yang paling masuk akal"]


def test_straight_quotes_in_clickid_style_comma_joined_paragraphs():
    content = 'Polisi menangkap dua orang.,"Keduanya diduga sebagai pemasok sabu," kata Zulmi.,Zulmi menjelaskan lagi.'
    quotes = extract_quotes(content)
    assert quotes == (Quote("Keduanya diduga sebagai pemasok sabu", "Zulmi"),)


def test_a_quotation_over_several_paragraphs_shares_the_speaker_named_at_its_end():
    quotes = extract_quotes(
        [
            "“Kami tidak akan mundur sedikit pun dari perundingan ini.",
            "“Kami akan terus bekerja demi rakyat,” ujar Agus Rahardjo.",
            "Paragraf lain tanpa kutipan.",
        ]
    )
    assert [q.speaker for q in quotes] == ["Agus Rahardjo", "Agus Rahardjo"]


def test_quotes_stay_in_the_body_verbatim():
    doc = parse_article(VOV.read_text(encoding="utf-8"))
    assert doc.quotes
    for quote in doc.quotes:
        assert quote.text in doc.body


# --------------------------------------------------------------------------- captions, url, source, id


@pytest.mark.parametrize(
    ("line", "caption"),
    [
        ("Presiden meninjau pelabuhan (Foto: Biro Pers).", "Presiden meninjau pelabuhan."),
        ("Presiden meninjau pelabuhan (Foto/Antara)", "Presiden meninjau pelabuhan"),
        ("Presiden meninjau pelabuhan (ANTARA FOTO/Hafidz Mubarak)", "Presiden meninjau pelabuhan"),
        ("Presiden meninjau pelabuhan. Foto: Biro Pers", "Presiden meninjau pelabuhan."),
        ("Foto: Presiden meninjau pelabuhan di Makassar", "Presiden meninjau pelabuhan di Makassar"),
    ],
)
def test_captions_are_taken_out_of_the_body_without_the_photo_credit(line: str, caption: str):
    doc = parse_article(f"Judul\n\nParagraf pertama berita ini.\n{line}\nParagraf kedua berita ini.")
    assert doc.captions == (caption,)
    assert doc.body == "Paragraf pertama berita ini.\n\nParagraf kedua berita ini."


def test_lowercase_foto_in_prose_is_not_a_caption():
    line = "Warga mengirim foto: banjir setinggi lutut menggenangi jalan."
    assert parse_article(f"Judul\n\n{line}").body == line


def test_sumber_url_becomes_url_and_its_host_the_source():
    doc = parse_article("Judul\n\nIsi berita.\nSumber: https://www.antaranews.com/berita/123\n")
    assert doc.url == "https://www.antaranews.com/berita/123"
    assert doc.source == "antaranews.com"
    assert "Sumber" not in doc.body


def test_a_given_source_wins_over_url_and_dateline():
    doc = parse_article("(VOVWORLD) - Isi.\nSumber: https://dantri.com.vn/x", source="Dân trí")
    assert doc.source == "Dân trí"


@pytest.mark.parametrize(
    ("lead", "source"),
    [
        ("(VOVWORLD) - Konferensi berlangsung di Hanoi.", "VOVWORLD"),
        ("Jakarta (ANTARA) - Konferensi berlangsung di Hanoi.", "ANTARA"),
        ("Liputan6.com, Jakarta - Konferensi berlangsung di Hanoi.", "Liputan6.com"),
        ("JAKARTA - Konferensi berlangsung di Hanoi.", None),
        ("Konferensi berlangsung di Hanoi - kota yang ramai.", None),
    ],
)
def test_source_from_a_dateline(lead: str, source: str | None):
    assert parse_article(f"Judul\n\n{lead}").source == source


def test_ids_given_else_from_the_path_else_a_stable_content_hash():
    text = "Judul\n\nIsi berita."
    assert parse_article(text, id="x1").id == "x1"
    assert parse_article(text, path="/data/2023/berita-satu.txt").id == "berita-satu"
    hashed = parse_article(text).id
    assert hashed == parse_article(text).id == content_id("Judul", "Isi berita.")
    assert len(hashed) == 16 and all(c in string.hexdigits for c in hashed)
    assert parse_article("Judul\n\nIsi lain.").id != hashed


def test_text_is_cleaned_before_it_is_stored():
    doc = parse_article("Judul\u00a0Berita\r\n\r\nIsi\u00a0\u00a0berita¬†ini\x07 selesai.")
    assert doc.title == "Judul Berita"
    assert doc.body == "Isi berita ini selesai."


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            list("ab “”\"‘’:.,-#()\n\u00a0ảKF") + [" kata Budi ", " menegaskan:", "Komentar", "(Foto: x)", "Sumber: "]
        )
        | st.text(max_size=5)
    ).map("".join)
)
def test_any_text_parses_or_is_a_document_error(text: str):
    try:
        doc = parse_article(text)
    except DocumentError:
        return
    assert doc.title or doc.body or doc.captions
    for quote in doc.quotes:
        assert quote.text in doc.body


# --------------------------------------------------------------------------- the bundled articles


def test_vovworld_article():
    doc = parse_article(VOV.read_text(encoding="utf-8"), path=str(VOV))
    first_line = VOV.read_text(encoding="utf-8").split("\n", 1)[0].strip()
    assert doc.id == "vovworld-peranan-pelopor-diplomatik"
    assert doc.title == first_line
    assert first_line not in doc.body  # neither as a line nor as the image alt text
    assert doc.source == "VOVWORLD" and doc.url is None
    assert doc.body.startswith("(VOVWORLD) - Dengan tema:")
    assert doc.body.endswith("komprehensif dan modern.")
    for junk in ("Komentar", "Yang lain", "ảnh", "Foto", "\u00a0", "\n\n\n"):
        assert junk not in doc.body
    assert doc.captions == ("Menlu Vietnam, Bui Thanh Son",)
    spoken = [q for q in doc.quotes if q.speaker]
    assert [q.speaker for q in spoken] == ["Bui Thanh Son", "Bui Thanh Son"]
    assert spoken[0].text.startswith("Kesuksesan kunjungan-kunjungan")
    assert spoken[1].text.startswith("Semua prestasi")
    assert "titik cerah" not in [q.text for q in doc.quotes]  # two words: a scare quote
    assert "diplomasi bambu dari Vietnam" in [q.text for q in doc.quotes]
    assert "Rekam Jejak yang Sukses" in doc.body.split("\n\n")


def test_dantri_article():
    doc = parse_article(DANTRI.read_text(encoding="utf-8"), path=str(DANTRI))
    assert doc.url is not None and doc.url.startswith("https://dantri.com.vn/")
    assert doc.source == "dantri.com.vn"
    # Its first line is the lead paragraph, so the title comes from the lead sentence.
    assert doc.title.startswith("Pada tanggal 29 Agustus") and doc.title.endswith("…")
    assert doc.body.startswith("Pada tanggal 29 Agustus")
    assert doc.body.endswith("pelaksanaan Resolusi tersebut.")
    for junk in ("Komentar", "Sumber:", "(Foto", "\n\n\n"):
        assert junk not in doc.body
    assert len(doc.captions) == 3
    for caption in doc.captions:
        assert "Foto" not in caption and caption not in doc.body
    paragraphs = doc.body.split("\n\n")
    assert "Memperkuat diplomasi di era baru" in paragraphs
    texts = [q.text for q in doc.quotes]
    assert "posisi dan kekuatannya" not in texts
    assert "mengganti tirani dengan kebajikan" in texts
    ho_chi_minh = [q for q in doc.quotes if q.text.startswith("...cara terbaik")]
    assert [q.speaker for q in ho_chi_minh] == ["Ho Chi Minh"]


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-09 00:00:00", dt.datetime(2019, 10, 9)),
        ("2019-10-09T10:30:00+07:00", dt.datetime(2019, 10, 9, 10, 30)),  # zone dropped
        ("16/09/2019", dt.datetime(2019, 9, 16)),  # day first
        (" Sep 30, 2019 ", dt.datetime(2019, 9, 30)),
        (" Oct 2, 2019 ", dt.datetime(2019, 10, 2)),
        ("10-Sep-19", dt.datetime(2019, 9, 10)),
        ("29 Agustus 2019", dt.datetime(2019, 8, 29)),
        ("Oktober 19, 2019", dt.datetime(2019, 10, 19)),
        ("17 Desember 2023", dt.datetime(2023, 12, 17)),
        ("Senin, 17 Des 2023 10:30 WIB", dt.datetime(2023, 12, 17, 10, 30)),
        ("Rabu, 18/09/2019 | 14.05", dt.datetime(2019, 9, 18, 14, 5)),
    ],
)
def test_parse_date_formats_seen_in_indonesian_feeds(text: str, expected: dt.datetime):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "kemarin sore", "31 Februari 2023", "2023-13-01", "tahun 2023 " * 20])
def test_parse_date_returns_none_when_nothing_fits(text: str):
    assert parse_date(text) is None


def test_every_clickid_date_parses(shared_data: Path):
    path = shared_data / "clickid" / "clickid_raw_articles.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        dates = {json.loads(line)["date"] for line in handle}
    unparsed = [d for d in dates if parse_date(d) is None]
    assert not unparsed
    years = {parse_date(d).year for d in dates}  # type: ignore[union-attr]
    assert years <= {2019}  # the corpus is from 2019: day/month order and two-digit years are right


# --------------------------------------------------------------------------- records


def test_a_record_maps_its_keys_onto_the_document():
    doc = document_from_record(
        {
            "id": "clickid-1",
            "source": "Kompas.com",
            "date": " Sep 30, 2019 ",
            "category": "News",
            "title": "Diduga Pasok Sabu",
            "content": ' - Polisi menangkap dua orang.,"Keduanya diduga sebagai pemasok sabu," kata Zulmi.',
            "url": "https://kompas.com/x",
        }
    )
    assert (doc.id, doc.title) == ("clickid-1", "Diduga Pasok Sabu")
    assert (doc.source, doc.url) == ("Kompas.com", "https://kompas.com/x")
    assert doc.published == dt.datetime(2019, 9, 30)
    # The dateline's leftover dash goes; CLICK-ID's ",”-joined paragraphs stay as they are.
    assert doc.body.startswith("Polisi menangkap dua orang.,")
    assert doc.quotes == (Quote("Keduanya diduga sebagai pemasok sabu", "Zulmi"),)


def test_a_record_body_is_cleaned_of_mojibake():
    doc = document_from_record({"title": "T", "content": "‚Äì¬†Lebih dari satu dasawarsa¬†ini."})
    assert doc.body == "Lebih dari satu dasawarsa ini."


def test_body_is_used_when_content_is_missing_and_published_when_date_is():
    doc = document_from_record({"title": "T", "body": "Isi.", "published": "2023-12-17"})
    assert doc.body == "Isi." and doc.published == dt.datetime(2023, 12, 17)


def test_record_quotes_and_captions_are_taken_as_given():
    doc = document_from_record(
        {
            "title": "T",
            "content": '"Kalimat panjang yang tidak boleh diambil," kata Budi.',
            "quotes": ["Kutipan dari rekaman", {"text": "Kutipan kedua", "speaker": "Siti"}, ["Ketiga", None]],
            "captions": ["Presiden di Istana"],
        }
    )
    assert doc.quotes == (Quote("Kutipan dari rekaman"), Quote("Kutipan kedua", "Siti"), Quote("Ketiga"))
    assert doc.captions == ("Presiden di Istana",)


def test_a_record_without_id_gets_a_content_hash_and_an_integer_id_is_kept_as_text():
    assert document_from_record({"title": "T", "content": "Isi."}).id == content_id("T", "Isi.")
    assert document_from_record({"id": 42, "title": "T"}).id == "42"


def test_a_record_without_title_gets_its_lead_sentence():
    doc = document_from_record({"content": "Harga beras turun di pasar. Pedagang senang."})
    assert doc.title == "Harga beras turun di pasar"


def test_an_unparseable_or_odd_date_keeps_the_document():
    for date in ("kemarin", "31/02/2019", 1568600000, ["2019"], None):
        doc = document_from_record({"id": "a", "title": "T", "content": "Isi.", "date": date})
        assert doc.id == "a" and doc.published is None


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"title": 5, "content": "Isi."}, "title"),
        ({"title": "T", "content": ["Isi."]}, "content"),
        ({"title": "T", "body": {"p": 1}}, "body"),
        ({"title": "T", "source": 3}, "source"),
        ({"title": "T", "url": ["https://x"]}, "url"),
        ({"id": 1.5, "title": "T"}, "id"),
        ({"id": True, "title": "T"}, "id"),
        ({"title": "T", "quotes": "satu"}, "quotes"),
        ({"title": "T", "quotes": [5]}, "quotes"),
        ({"title": "T", "captions": [1]}, "captions"),
    ],
)
def test_wrongly_typed_fields_are_a_one_line_error_naming_the_field(record: dict, field: str):
    with pytest.raises(DocumentError) as excinfo:
        document_from_record(record, origin="feed.jsonl:7")
    message = str(excinfo.value)
    assert message.startswith("feed.jsonl:7: ")
    assert f"'{field}'" in message
    assert "\n" not in message


@pytest.mark.parametrize("record", [{}, {"id": "a"}, {"title": "  ", "content": ""}, {"url": "https://x"}])
def test_a_record_without_title_and_body_is_an_error(record: dict):
    with pytest.raises(DocumentError):
        document_from_record(record)


@pytest.mark.parametrize("record", [[1, 2], "teks", 5, None])
def test_a_record_that_is_not_an_object_is_an_error(record: object):
    with pytest.raises(DocumentError, match="object"):
        document_from_record(record)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "content", "body", "source", "url", "date", "published", "quotes", "captions"]),
        json_values,
    )
)
def test_any_json_record_is_a_document_or_a_document_error(record: dict):
    try:
        doc = document_from_record(record)
    except DocumentError as exc:
        assert "\n" not in str(exc)
        return
    assert doc.id and (doc.title or doc.body)


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

    monkeypatch.setattr(documents, "open", guarded_open, raising=False)
    docs, problems = read(locked, good)
    assert [d.id for d in docs] == ["terbuka"]
    assert [(Path(p.path).name, p.message) for p in problems] == [("rahasia.txt", "permission denied")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_reported_instead_of_blocking(tmp_path: Path):
    os.mkfifo(tmp_path / "pipa")
    docs, problems = read(tmp_path / "pipa")
    assert docs == [] and "regular file" in problems[0].message


def test_size_caps_on_a_text_file_and_a_jsonl_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(documents, "MAX_LINE_BYTES", 1000)
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

    from diplosearch.documents import Document, read_documents

    folder = tmp_path / "arsip"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "w", encoding="utf-8") as handle:
        handle.write("Kopi Hanoi\n\nKopi di Hanoi makin terkenal.\n")
    (item,) = list(read_documents([folder]))
    assert isinstance(item, Document)
    assert item.id == "caf\\xe9"
    item.id.encode("utf-8")
    assert item.path is not None and item.path.encode("utf-8")
