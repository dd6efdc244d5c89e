"""Plain-text articles: titles, body and boilerplate, captions, url, source, ids, the bundled articles."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from diplosearch import documents
from diplosearch.documents import content_id
from diplosearch.errors import DocumentError
from diplosearch.ingest import parse_article

LEAD = (
    "Pemerintah Indonesia dan Vietnam sepakat memperluas kerja sama perdagangan beras, kopi, "
    "dan hasil laut dalam pertemuan tingkat menteri yang berlangsung di Hanoi pada hari Senin."
)


CORPUS = Path(documents.__file__).resolve().parent / "data" / "corpus"
VOV = CORPUS / "vovworld-peranan-pelopor-diplomatik.txt"
DANTRI = CORPUS / "dantri-to-lam-diplomasi-era-baru.txt"


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
