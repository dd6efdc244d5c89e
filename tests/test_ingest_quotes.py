"""Quotations and speakers in articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplosearch import documents
from diplosearch.documents import Quote
from diplosearch.ingest import extract_quotes, parse_article

VOV = Path(documents.__file__).resolve().parent / "data" / "corpus" / "vovworld-peranan-pelopor-diplomatik.txt"


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
