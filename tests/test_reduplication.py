"""Reduplication folding: each kind of Indonesian reduplication ends, after stemming, at
its base; true reduplicated roots stay whole; compounds and numerals are split."""

from __future__ import annotations

import pytest

from diplosearch.analysis.indonesian_stemmer import IndonesianStemmer
from diplosearch.analysis.reduplication import fold_reduplication


@pytest.fixture(scope="module")
def stemmer() -> IndonesianStemmer:
    return IndonesianStemmer()


def stems(token: str, stemmer: IndonesianStemmer) -> list[str]:
    """What the analyzer indexes for one token: fold, then stem each word."""
    return [stemmer.stem(word) for word in fold_reduplication(token, stemmer.is_root)]


def test_words_without_hyphen_pass_through() -> None:
    assert fold_reduplication("rumah") == ["rumah"]
    assert fold_reduplication("rumah", lambda word: True) == ["rumah"]


@pytest.mark.parametrize(
    ("token", "folded", "stem"),
    [
        ("negara-negara", "negara", "negara"),
        ("buku-buku", "buku", "buku"),
        ("kunjungan-kunjungan", "kunjungan", "kunjung"),
        ("pertemuan-pertemuan", "pertemuan", "temu"),
    ],
)
def test_whole_reduplication_folds_to_the_word(
    stemmer: IndonesianStemmer, token: str, folded: str, stem: str
) -> None:
    assert fold_reduplication(token, stemmer.is_root) == [folded]
    assert stems(token, stemmer) == [stem]


@pytest.mark.parametrize(
    ("token", "folded", "stem"),
    [
        ("kemerah-merahan", "kemerahan", "merah"),  # ke-X-X-an: reddish
        ("kebiru-biruan", "kebiruan", "biru"),
        ("meniru-nirukan", "menirukan", "tiru"),  # the nasal form niru in both halves
        ("menari-nari", "menari", "tari"),
        ("memukul-mukul", "memukul", "pukul"),
        ("bermain-main", "bermain", "main"),
        ("berlari-larian", "berlarian", "lari"),
        ("dipukul-pukul", "dipukul", "pukul"),
        ("sebaik-baiknya", "sebaiknya", "baik"),  # se-X-X-nya: as X as possible
        ("menggeleng-gelengkan", "menggelengkan", "geleng"),
        ("minum-minuman", "minuman", "minum"),
    ],
)
def test_affixed_reduplication_folds_to_one_affixed_word(
    stemmer: IndonesianStemmer, token: str, folded: str, stem: str
) -> None:
    assert fold_reduplication(token, stemmer.is_root) == [folded]
    assert stems(token, stemmer) == [stem]


@pytest.mark.parametrize(
    ("token", "stem"),
    [
        ("tolong-menolong", "tolong"),  # help each other
        ("surat-menyurat", "surat"),  # correspondence
        ("pukul-memukul", "pukul"),
        ("bahu-membahu", "bahu"),  # shoulder to shoulder
        ("anak-beranak", "anak"),
        ("tarik-menarik", "tarik"),
    ],
)
def test_reciprocal_reduplication_folds_to_the_base(stemmer: IndonesianStemmer, token: str, stem: str) -> None:
    assert stems(token, stemmer) == [stem]


@pytest.mark.parametrize(
    ("token", "stem"),
    [
        ("sayur-mayur", "sayur"),  # consonant change
        ("lauk-pauk", "lauk"),
        ("ramah-tamah", "ramah"),
        ("beramah-tamah", "ramah"),  # with a prefix on the first half
        ("berselang-seling", "selang"),  # vowel change
        ("gerak-gerik", "gerak"),
        ("bolak-balik", "balik"),  # the o-form in front is the echo of the base
        ("corat-coret", "coret"),
        ("warna-warni", "warna"),
    ],
)
def test_rhyming_reduplication_folds_to_the_base(stemmer: IndonesianStemmer, token: str, stem: str) -> None:
    assert stems(token, stemmer) == [stem]


@pytest.mark.parametrize("token", ["kura-kura", "undang-undang", "kupu-kupu", "laba-laba", "mata-mata"])
def test_true_reduplicated_roots_stay_whole(stemmer: IndonesianStemmer, token: str) -> None:
    assert stems(token, stemmer) == [token]


def test_affixed_forms_of_reduplicated_roots_keep_the_root(stemmer: IndonesianStemmer) -> None:
    assert stems("perundang-undangan", stemmer) == ["undang-undang"]  # legislation
    assert stems("kura-kuranya", stemmer) == ["kura-kura"]
    assert stems("berhati-hati", stemmer) == ["hati-hati"]  # to be careful
    # but se-X-X is "as X as can be" of the base: semata-mata (merely) is not about spies
    assert stems("semata-mata", stemmer) != ["mata-mata"]


def test_without_root_knowledge_every_repetition_folds() -> None:
    assert fold_reduplication("kura-kura") == ["kura"]
    assert fold_reduplication("perundang-undangan") == ["perundangan"]


@pytest.mark.parametrize(
    ("token", "parts"),
    [
        ("sosial-ekonomi", ["sosial", "ekonomi"]),
        ("ekspor-impor", ["ekspor", "impor"]),
        ("asia-pasifik", ["asia", "pasifik"]),
        ("ke-32", ["ke", "32"]),
        ("2023-2025", ["2023", "2025"]),
        ("covid-19", ["covid", "19"]),
        ("jual-beli", ["jual", "beli"]),
        ("utara-selatan", ["utara", "selatan"]),
    ],
)
def test_compounds_and_numerals_are_split(stemmer: IndonesianStemmer, token: str, parts: list[str]) -> None:
    assert fold_reduplication(token, stemmer.is_root) == parts


def test_clitic_after_a_hyphen_goes_with_the_word(stemmer: IndonesianStemmer) -> None:
    assert fold_reduplication("rahmat-nya", stemmer.is_root) == ["rahmat"]  # rahmat-Nya
    assert fold_reduplication("kuasa-mu", stemmer.is_root) == ["kuasa"]
    assert fold_reduplication("malaikat-malaikat-nya", stemmer.is_root) == ["malaikat"]


def test_stray_hyphens_do_not_produce_empty_words() -> None:
    assert fold_reduplication("-rumah-") == ["rumah"]
    assert fold_reduplication("a--b") == ["a", "b"]
    assert fold_reduplication("hore-hore-hore") == ["hore"]
