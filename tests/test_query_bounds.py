"""The work one query may ask for is bounded: its fuzzy words share a budget of close
spellings (``diplosearch.query.with_expansion_budget``) and it holds at most
``MAX_QUERY_PHRASES`` distinct phrases."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from diplosearch import Document, open_index
from diplosearch import query as q
from diplosearch.cli import main
from diplosearch.query_parser import MAX_QUERY_PHRASES, parse_query
from diplosearch.schema import TEXT_FIELDS

# Close spellings of "zorx" (one edit each), in fewer documents as they go.
SPELLINGS = {"zora": 5, "zorb": 4, "zorc": 3, "zord": 2}
# Words with no close spelling in the index, to fill a query with fuzzy words.
LONELY = [f"qw{chr(97 + i)}{chr(97 + j)}" for i in range(6) for j in range(6)]


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bounds") / "ix"
    docs = [Document(id=f"{word}-{n}", title=f"Kabar {word}", body=f"Warga menyebut {word} di kota.")
            for word, count in SPELLINGS.items() for n in range(count)]
    with open_index(path, create=True) as index:
        index.add_many(docs)
    return path


def fuzzy(word: str, expansions: int = q.MAX_FUZZY_EXPANSIONS) -> q.Fuzzy:
    return q.Fuzzy(word, ("body",), max_expansions=expansions)


def test_fuzzy_words_share_the_query_budget() -> None:
    three = q.with_expansion_budget(q.AnyOf((fuzzy("a"), fuzzy("b"), q.Term("c", ("body",)))))
    assert [leaf.max_expansions for leaf in q.positive_leaves(three) if isinstance(leaf, q.Fuzzy)] == [10, 10]
    # 40 fuzzy words: one spelling each for the first 32 (64 // 40 is 1), none past them
    many = q.AnyOf(tuple(fuzzy(f"w{n}") for n in range(40)))
    shares = [leaf.max_expansions for leaf in q.positive_leaves(q.with_expansion_budget(many))]
    assert shares == [1] * q.MAX_FUZZY_WORDS + [0] * (40 - q.MAX_FUZZY_WORDS)
    shares = [leaf.max_expansions for leaf in q.positive_leaves(q.with_expansion_budget(many, budget=120))]
    assert shares == [3] * q.MAX_FUZZY_WORDS + [0] * (40 - q.MAX_FUZZY_WORDS)
    # an excluded fuzzy word costs a posting list too, so it counts
    excluded = q.Exclude(fuzzy("a"), q.AnyOf(tuple(fuzzy(f"w{n}") for n in range(9))))
    budgeted = q.with_expansion_budget(excluded)
    assert budgeted.positive.max_expansions == 6  # type: ignore[union-attr]
    assert {leaf.max_expansions for leaf in budgeted.negative.children} == {6}  # type: ignore[union-attr]
    plain = q.AnyOf((q.Term("a", ("body",)), q.Term("b", ("body",))))
    assert q.with_expansion_budget(plain) is plain


class _Identity:
    def terms(self, text: str) -> list[str]:
        return [text.lower()]


def test_the_parser_budgets_the_fuzzy_words_it_reads() -> None:
    one = parse_query("zorx~", _Identity(), text_fields=TEXT_FIELDS).root
    assert isinstance(one, q.Fuzzy) and one.max_expansions == q.MAX_FUZZY_EXPANSIONS
    text = " ".join(f"{word}~" for word in ["zorx", *LONELY])  # 37 fuzzy words: 64 // 37 = 1 each
    root = parse_query(text, _Identity(), text_fields=TEXT_FIELDS).root
    shares = [leaf.max_expansions for leaf in q.positive_leaves(root)]
    assert shares == [1] * q.MAX_FUZZY_WORDS + [0] * (37 - q.MAX_FUZZY_WORDS)


def test_a_query_of_many_fuzzy_words_expands_each_to_its_most_frequent_spellings(index_path: Path) -> None:
    with open_index(index_path) as ix:
        alone = ix.search("zorx~", limit=50, snippets=0)
        assert alone.total == sum(SPELLINGS.values())
        crowded_text = " ".join(["zorx", *LONELY])
        for crowded in (ix.search(" ".join(f"{w}~" for w in crowded_text.split()), limit=50),
                        ix.search(crowded_text, fuzzy=True, limit=50)):
            # one spelling each: the most frequent, in scores, snippets and explanations alike
            assert {hit.id.split("-")[0] for hit in crowded.hits} == {"zora"}
            assert crowded.total == SPELLINGS["zora"]
            assert all("[[zora]]" in " ".join(hit.snippets) for hit in crowded.hits)
            assert all(abs(hit.explain().score - hit.score) < 1e-6 for hit in crowded.hits)
        # past the 16th fuzzy word, a word is matched exactly: no document holds "zorx"
        last = " ".join(f"{w}~" for w in [*LONELY, "zorx"])
        assert ix.search(last, snippets=0).total == 0
        assert ix.search(" ".join([*LONELY, "zorx"]), fuzzy=True, snippets=0).total == 0


# ------------------------------------------------------------------------- phrases

def test_a_query_holds_at_most_eight_distinct_phrases_and_names_the_rest() -> None:
    phrases = [f'"kata{n} lain{n}"' for n in range(MAX_QUERY_PHRASES + 2)]
    # 8 phrases of 2 terms and 48 words: the 64 terms a query looks up, if the dropped
    # phrases take none of them
    words = [f"kota{n}" for n in range(64 - 2 * MAX_QUERY_PHRASES)]
    parsed = parse_query(" ".join(phrases + words), _Identity(), text_fields=TEXT_FIELDS)
    kept = [leaf.texts for leaf in q.positive_leaves(parsed.root) if isinstance(leaf, q.Phrase)]
    assert kept == [(f"kata{n}", f"lain{n}") for n in range(MAX_QUERY_PHRASES)]
    assert parsed.dropped == tuple(f'"kata{n} lain{n}"' for n in range(MAX_QUERY_PHRASES, MAX_QUERY_PHRASES + 2))
    assert set(words) <= parsed.terms and f"kata{MAX_QUERY_PHRASES}" not in parsed.terms


def test_repeated_and_one_word_phrases_are_free_and_excluded_ones_count() -> None:
    eight = " ".join(f'"kata{n} lain{n}"' for n in range(MAX_QUERY_PHRASES))
    again = parse_query(f'{eight} "kata0 lain0" title:"kata1 lain1" "banjir"', _Identity(), text_fields=TEXT_FIELDS)
    assert again.dropped == () and "banjir" in again.terms
    excluded = parse_query(f'{eight} -"kota tua" kota', _Identity(), text_fields=TEXT_FIELDS)
    assert excluded.dropped == ('"kota tua"',) and "kota" in excluded.terms
    negated_first = parse_query(f'-"kota tua" {eight}', _Identity(), text_fields=TEXT_FIELDS)
    assert negated_first.dropped == (f'"kata{MAX_QUERY_PHRASES - 1} lain{MAX_QUERY_PHRASES - 1}"',)


def test_search_and_command_line_name_the_phrases_left_out(index_path: Path) -> None:
    text = " ".join(f'"{word} {word}"' for word in [*SPELLINGS, *LONELY[:MAX_QUERY_PHRASES]])
    with open_index(index_path) as ix:
        results = ix.search(text, snippets=0)
    assert results.dropped == tuple(f'"{word} {word}"' for word in LONELY[MAX_QUERY_PHRASES - len(SPELLINGS):
                                                                         MAX_QUERY_PHRASES])
    out, err = io.StringIO(), io.StringIO()
    assert main([text, "--index", str(index_path)], out=out, err=err) == 0, err.getvalue()
    left_out = [line for line in out.getvalue().splitlines() if line.startswith("Left out")]
    assert left_out and results.dropped[0] in left_out[0]
