"""The lexicon-backed Indonesian stemmer: roots kept, derivations undone, unknown words
left alone, and the contract the analyzer and the index rely on (pickling, versions,
threads, the cache)."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplosearch.analysis import indonesian_stemmer as module
from diplosearch.analysis.indonesian_stemmer import (
    HEAD,
    LONG_HEADS,
    PREFIX_INITIALS,
    AffixParser,
    IndonesianStemmer,
    prefix_options,
    strip_clitics,
)
from diplosearch.analysis.lexicon import load_lexicon, parse_lexicon
from diplosearch.analysis.morphology import (
    PARTICLES,
    POSSESSIVES,
    PREFIX_LETTER,
    PREFIX_LETTER_BY_START,
    decode_patterns,
    encode_patterns,
    pattern_bit,
)
from diplosearch.analysis.reduplication import fold_reduplication
from diplosearch.analysis.stemmer import SnowballStemmer, WordStemmer, default_stemmer

GOLD = Path(__file__).resolve().parents[2] / "shared" / "data" / "stemming" / "gold"


@pytest.fixture(scope="module")
def stemmer() -> IndonesianStemmer:
    return IndonesianStemmer()


# --- roots ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    # roots that look affixed: pe-lopor, di-plomasi, me-reka, ke-mbali, per-dana,
    # ber-ita, se-kitar, pe-luang, per-gi, ter-nak, ke-lapa, me-rdeka, pe-rlu
    ["pelopor", "diplomasi", "mereka", "kembali", "perdana", "berita", "sekitar", "peluang",
     "pergi", "ternak", "kelapa", "merdeka", "perlu", "petang", "selamat", "bekal", "tentara"],
)
def test_roots_that_look_affixed_are_never_cut(stemmer: IndonesianStemmer, word: str) -> None:
    assert stemmer.stem(word) == word


def test_no_root_of_the_lexicon_is_changed(stemmer: IndonesianStemmer) -> None:
    roots = load_lexicon().roots
    changed = [root for root in roots if "-" not in root and stemmer.stem(root) != root]
    assert changed == []


# --- derivations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "root"),
    [
        # meN- and its sound changes
        ("melihat", "lihat"), ("merawat", "rawat"), ("mewarnai", "warna"), ("membaca", "baca"),
        ("memakai", "pakai"), ("memproses", "proses"), ("mencuci", "cuci"), ("mendengar", "dengar"),
        ("menulis", "tulis"), ("menuduh", "tuduh"), ("menyapu", "sapu"), ("mengambil", "ambil"),
        ("mengirim", "kirim"), ("menggali", "gali"), ("menghadap", "hadap"), ("mengecat", "cat"),
        ("menyanyi", "nyanyi"), ("memasuki", "masuk"), ("menegaskan", "tegas"),
        ("mengembangkan", "kembang"), ("menjual", "jual"),
        # peN-, pe-
        ("pembaca", "baca"), ("penulis", "tulis"), ("penyapu", "sapu"), ("pengirim", "kirim"),
        ("pengambilan", "ambil"), ("pemakaian", "pakai"), ("petani", "tani"), ("pedagang", "dagang"),
        # ber-, be-, bel-
        ("bermain", "main"), ("berenang", "renang"), ("bekerja", "kerja"), ("belajar", "ajar"),
        ("berlaku", "laku"), ("bertanya", "tanya"),
        # ter-, di-, ke-, se-, per-
        ("terpilih", "pilih"), ("tertulis", "tulis"), ("dibaca", "baca"), ("dituliskan", "tulis"),
        ("ketiga", "tiga"), ("sebesar", "besar"), ("perbesar", "besar"),
        # confixes
        ("kepercayaan", "percaya"), ("keadilan", "adil"), ("kebersihan", "bersih"),
        ("perkembangan", "kembang"), ("pertanian", "tani"), ("pembangunan", "bangun"),
        ("persahabatan", "sahabat"), ("berdatangan", "datang"), ("ketidakpastian", "pasti"),
        # suffixes
        ("peranan", "peran"), ("makanan", "makan"), ("tulisan", "tulis"), ("tanyakan", "tanya"),
        # stacked prefixes
        ("diperbaiki", "baik"), ("memperdengarkan", "dengar"), ("dipertanyakan", "tanya"),
        ("keberhasilan", "hasil"), ("pemberdayaan", "daya"), ("berkelanjutan", "lanjut"),
        ("diberlakukan", "laku"),
        # clitics: possessives, particles; the pronoun proclitics ku-, kau-
        ("bukunya", "buku"), ("rumahku", "rumah"), ("mobilmu", "mobil"), ("itulah", "itu"),
        ("bukankah", "bukan"), ("keputusannya", "putus"), ("kutulis", "tulis"), ("kaubaca", "baca"),
    ],
)
def test_derived_forms_reach_their_root(stemmer: IndonesianStemmer, word: str, root: str) -> None:
    assert stemmer.stem(word) == root


@pytest.mark.parametrize(
    "family",
    [
        ["kembang", "berkembang", "mengembangkan", "dikembangkan", "perkembangan", "pengembang"],
        ["tulis", "menulis", "ditulis", "tulisan", "penulis", "penulisan", "tertulis", "tulisannya"],
        ["ajar", "belajar", "pelajar", "pelajaran", "mengajar", "pengajar", "ajaran", "mempelajari"],
        ["percaya", "kepercayaan", "mempercayai", "dipercaya", "terpercaya"],
    ],
)
def test_a_family_of_derivations_shares_one_stem(stemmer: IndonesianStemmer, family: list[str]) -> None:
    assert {stemmer.stem(word) for word in family} == {family[0]}


def test_licensed_analysis_wins_over_a_shorter_root(stemmer: IndonesianStemmer) -> None:
    # membeli could be mem- + bel + -i, but the dictionary derives membeli from beli;
    # berikan could be ber- + ikan (fish), but -kan on beri is the licensed reading
    assert stemmer.stem("membeli") == "beli"
    assert stemmer.stem("berikan") == "beri"
    assert stemmer.stem("mengawal") == "kawal"  # not meng- + awal: awal takes meN- only with -i


def test_analyses_that_indonesian_does_not_form_are_not_considered(stemmer: IndonesianStemmer) -> None:
    parser = stemmer.parser
    # di-...-an is not an Indonesian confix: no analysis of "dipukulan" strips both
    assert all(not (a.prefixes[:1] == ("di",) and a.suffix == "an") for a in parser.parses("dipukulan"))
    # meN- never stands inside another prefix
    assert all("me" not in a.prefixes[1:] for a in parser.parses("dimenulis"))


# --- unknown words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["blogger", "asean", "pbb", "dpr", "xiii", "2023", "g20", "jum'at", "bui", "thanh", "son",
     "jokowi", "prabowo", "unesco", "diana", "abdullah", "kenya", "facebook", "covid", "hadi", "helmi",
     "fuadi", "tapi"],
)
def test_names_foreign_words_acronyms_and_numbers_are_left_alone(stemmer: IndonesianStemmer, word: str) -> None:
    assert stemmer.stem(word) == word


def test_unknown_words_only_lose_their_clitics(stemmer: IndonesianStemmer) -> None:
    assert stemmer.stem("jokowinya") == "jokowi"
    assert stemmer.stem("bloggerlah") == "blogger"
    assert strip_clitics("abdullah") == "abdullah"  # the -llah of Arabic names stays
    assert strip_clitics("kenya") == "kenya"  # too little would remain
    assert IndonesianStemmer(fallback="none").stem("jokowinya") == "jokowinya"


def test_snowball_fallback_is_used_only_for_unknown_words() -> None:
    snowball = IndonesianStemmer(fallback="snowball")
    assert snowball.stem("pelopor") == "pelopor"  # a root: Snowball would say "lopor"
    assert snowball.stem("menegaskan") == "tegas"  # analysed: Snowball would say "egas"
    assert snowball.stem("mentwitkan") == SnowballStemmer().stem("mentwitkan")


def test_unknown_fallback_is_validated() -> None:
    with pytest.raises(ValueError):
        IndonesianStemmer(fallback="porter")


words = st.text(alphabet="abdegikmnprstuy", min_size=1, max_size=14)
affixed = st.tuples(
    st.sampled_from(["", "me", "mem", "men", "meng", "meny", "pe", "pen", "ber", "ter", "di", "ke", "se", "diper"]),
    st.sampled_from(sorted(r for r in load_lexicon().roots if "-" not in r)[::97]),
    st.sampled_from(["", "kan", "an", "i", "nya", "lah", "annya", "kanlah"]),
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(words, affixed))
def test_every_stem_is_a_root_or_the_word_less_its_clitics(word: str) -> None:
    stemmer = IndonesianStemmer()
    result = stemmer.stem(word)
    assert result in load_lexicon().roots or result == strip_clitics(word) or result == word
    assert result == stemmer.stem(word)  # deterministic, cached or not


# --- the fast path agrees with the rules it computes -----------------------------------
# AffixParser.best() computes best_of(parses()) without building the parses, from prefix
# options kept per word head; these hold it to that definition.

_PREFIX_STACKS = ["", "me", "mem", "men", "meng", "meny", "menge", "pe", "pem", "pen", "peng", "peny",
                  "per", "pel", "ber", "be", "bel", "ter", "te", "di", "ke", "se", "ku", "kau", "diper",
                  "memper", "keber", "ketidak", "diber", "dipel", "member", "pember", "seper", "terper"]
_ENDINGS = ["", "kan", "an", "i", "nya", "ku", "mu", "lah", "kah", "tah", "pun", "annya", "kanlah",
            "inya", "kannyalah", "anmu", "ilah", "nyapun"]
_SOME_ROOTS = sorted(r for r in load_lexicon().roots if "-" not in r)
built_words = st.tuples(
    st.sampled_from(_PREFIX_STACKS),
    st.one_of(st.sampled_from(_SOME_ROOTS), st.text(alphabet="abcdeghijklmnoprstuwy", min_size=1, max_size=8)),
    st.sampled_from(_ENDINGS),
).map("".join)


def _reference_best(parser: AffixParser, word: str) -> str | None:
    return parser.best_of(parser.parses(word))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(built_words, words))
def test_best_is_the_best_of_all_parses(word: str) -> None:
    parser = IndonesianStemmer().parser
    assert parser.best(word) == _reference_best(parser, word)


def test_best_is_the_best_of_all_parses_for_tricky_words(stemmer: IndonesianStemmer) -> None:
    parser = stemmer.parser
    tricky = ["ketidakpastian", "ketidakadilannya", "pelajaran", "belajarlah", "mempelajari", "pelajukan",
              "memperdengarkan", "dipertanyakan", "keberhasilannya", "berikan", "membeli", "mengawal",
              "jauhi", "helmi", "asean", "diana", "menyanyikan", "mengebom", "memprogram", "sepengetahuanku",
              "dimenulis", "dipukulan", "kaubaca", "kutuliskan", "tahu", "kapanpun", "bukumu", "apatah"]
    assert {w: parser.best(w) for w in tricky} == {w: _reference_best(parser, w) for w in tricky}


def test_best_is_the_best_of_all_parses_on_the_gold_words() -> None:
    if not GOLD.is_dir():
        pytest.skip(f"stemming gold data not found at {GOLD} (it lives in ../shared/data)")
    parser = IndonesianStemmer().parser
    vocabulary = sorted({
        line.split("\t")[0] for path in GOLD.glob("*.tsv") for line in path.read_text("utf-8").splitlines()
    })
    differ = [w for w in vocabulary if w and parser.best(w) != _reference_best(parser, w)]
    assert differ == []


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(built_words, words), min_size=1, max_size=20))
def test_prefix_cuts_rebuild_the_prefix_options_whatever_word_filled_the_memo(batch: list[str]) -> None:
    # the cuts of a head are remembered from the first word with that head and reused for
    # the others: each word must still get exactly its own prefix_options
    parser = IndonesianStemmer().parser
    for word in batch + [w[:HEAD] + "ankan" for w in batch]:
        if len(word) < 5:
            continue
        rebuilt = [(prefix, letter + word[cut:]) for prefix, letter, cut in parser.prefix_cuts(word)]
        assert rebuilt == prefix_options(word)


def test_the_long_heads_are_not_shared_between_words() -> None:
    parser = IndonesianStemmer().parser
    for word in ["pelajukan", "pelajaran", "pelaju", "belajarlah", "belajur"]:
        rebuilt = [(prefix, letter + word[cut:]) for prefix, letter, cut in parser.prefix_cuts(word)]
        assert rebuilt == prefix_options(word)
    assert all(head.startswith(("pel", "bel")) and len(head) == HEAD for head in LONG_HEADS)


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=5, max_size=9))
def test_prefixes_begin_only_with_the_prefix_initials(word: str) -> None:
    if word[0] not in PREFIX_INITIALS:
        assert prefix_options(word) == []


def test_the_fast_paths_may_take_every_particle_as_three_letters_long() -> None:
    # best() and strip_clitics() remove any particle with one endswith and a cut of 3
    assert {len(particle) for particle in PARTICLES} == {3}
    assert {len(possessive) for possessive in POSSESSIVES} == {3, 2} and POSSESSIVES[0] == "nya"


def _reference_strip_clitics(word: str) -> str:
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 4 and not word.endswith("llah"):
            word = word[: -len(particle)]
            break
    if word.endswith("nya") and len(word) - 3 >= 3:
        word = word[:-3]
    return word


@settings(max_examples=500, deadline=None)
@given(st.one_of(built_words, words, st.sampled_from(["abdullah", "kenya", "bloggerlah", "apapun", "nyapun"])))
def test_strip_clitics_removes_what_the_rule_says(word: str) -> None:
    assert strip_clitics(word) == _reference_strip_clitics(word)


# --- contract with the analyzer and the index -----------------------------------------


def test_it_is_a_word_stemmer_and_the_default() -> None:
    assert isinstance(IndonesianStemmer(), WordStemmer)
    assert isinstance(default_stemmer(), IndonesianStemmer)


def test_is_root_keeps_true_reduplicated_roots_only(stemmer: IndonesianStemmer) -> None:
    assert stemmer.is_root("kura-kura")  # turtle, not "many kura"
    assert stemmer.is_root("undang-undang")  # law, not "many invitations"
    assert stemmer.is_root("kupu-kupu")  # kupu is no word on its own
    assert not stemmer.is_root("anak-anak")  # children: the plural of anak
    assert not stemmer.is_root("sayur-mayur")
    assert stemmer.is_root("rumah") and not stemmer.is_root("rumahnya")


def test_pickles_as_configuration_only() -> None:
    stemmer = IndonesianStemmer()
    for word in ["menulis", "pembangunan", "kebersihan"]:
        stemmer.stem(word)
    assert stemmer.__getstate__() == {"fallback": "clitics"}
    data = pickle.dumps(stemmer)
    assert len(data) < 300  # no cache, no lexicon
    clone = pickle.loads(data)
    assert clone == stemmer and hash(clone) == hash(stemmer)
    assert clone._cache == {}
    assert clone.stem("menulis") == "tulis"


def test_version_names_rules_lexicon_and_fallback() -> None:
    stemmer = IndonesianStemmer()
    assert module.RULES_VERSION in stemmer.version
    assert load_lexicon().digest in stemmer.version
    other = IndonesianStemmer(fallback="none")
    assert other.version != stemmer.version and other != stemmer
    assert stemmer != SnowballStemmer()


def test_lexicon_digest_follows_its_content() -> None:
    a = parse_lexicon("kata\tMk\nrumah\n")
    b = parse_lexicon("kata\tMk\nrumah\nmeja\n")
    assert a.digest != b.digest
    assert "rumah" in a and "meja" not in a
    assert a.patterns["kata"] == pattern_bit("M", "k")
    assert decode_patterns("BaoMk_a") == (
        pattern_bit("B", "a") | pattern_bit("B", "o") | pattern_bit("M", "k") | pattern_bit("_", "a")
    )


def test_patterns_the_builder_writes_read_back_as_the_same_pairs() -> None:
    pairs = {"Bo", "Ba", "Mk", "_a", "Di", "Tk"}
    encoded = encode_patterns(pairs)
    assert encoded == "BaoDiMkTk_a"
    mask = 0
    for pair in pairs:
        mask |= pattern_bit(pair[0], pair[1])
    assert decode_patterns(encoded) == mask


def test_builder_and_stemmer_give_each_prefix_the_same_letter() -> None:
    by_start = dict(PREFIX_LETTER_BY_START)
    for prefix, letter in PREFIX_LETTER.items():
        assert next(l for start, l in PREFIX_LETTER_BY_START if prefix.startswith(start)) == letter
    assert by_start["kau"] == by_start["ku"] == PREFIX_LETTER["ku"]


def test_stemming_from_many_threads_agrees_with_one_thread() -> None:
    words = ["menulis", "pembangunan", "kebersihan", "berlari", "jokowinya", "pelopor", "dikembangkan"] * 300
    expected = [IndonesianStemmer(fallback="snowball").stem(w) for w in words]
    shared = IndonesianStemmer(fallback="snowball")  # exercises the PyStemmer lock too
    results: dict[int, list[str]] = {}

    def work(n: int) -> None:
        results[n] = [shared.stem(w) for w in words]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected for result in results.values())


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "CACHE_LIMIT", 3)
    stemmer = IndonesianStemmer()
    for word in ["menulis", "membaca", "bermain", "berlari", "dibaca"]:
        stemmer.stem(word)
    assert len(stemmer._cache) == 3
    assert stemmer.stem("berlari") == "lari"  # uncached words are still stemmed


# --- measured on the shared gold data ---------------------------------------------------


def _affixed_pairs(name: str) -> dict[str, set[str]]:
    path = GOLD / name
    if not path.is_file():
        pytest.skip(f"stemming gold data not found at {path} (it lives in ../shared/data)")
    roots: dict[str, set[str]] = {}
    for line in path.read_text("utf-8").splitlines():
        word, root = line.split("\t")[:2]
        roots.setdefault(word, set()).add(root)
    return {word: gold for word, gold in roots.items() if word not in gold}


@pytest.mark.parametrize(
    ("name", "floor"),
    # the targets (Sastrawi's accuracy on the same words)
    [("ud-csui.tsv", 96.0), ("ud-gsd-devtest.tsv", 92.0), ("unimorph-ind.tsv", 92.5)],
)
def test_accuracy_on_affixed_gold_words_meets_the_target(name: str, floor: float) -> None:
    pairs = _affixed_pairs(name)
    stemmer = IndonesianStemmer()
    correct = sum(
        " ".join(stemmer.stem(w) for w in fold_reduplication(word, stemmer.is_root)) in gold
        for word, gold in pairs.items()
    )
    assert 100 * correct / len(pairs) >= floor
