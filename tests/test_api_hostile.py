"""The Python API used the way a demanding embedding application uses it: wrong types,
odd values and ids. Each test guards a defect found by doing so: a bad argument must be
a specific error naming it (never "the index is damaged"), and no value may be quietly
turned into another (``None`` into the id ``"None"``, a string into its characters)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from diplosearch import Document, open_index
from diplosearch.errors import CorruptIndexError, QueryError

WORDS = "ekonomi budaya politik hukum olahraga banjir gempa pemilu presiden menteri".split()


@pytest.fixture
def ix(tmp_path: Path):
    with open_index(tmp_path / "berita", create=True) as index:
        index.add_many([
            Document(id=f"d{i}", title=f"Berita {WORDS[i % 10]} {WORDS[(i + 1) % 10]}",
                     body=f"isi berita {WORDS[i % 10]} {WORDS[(i * 3) % 10]} diplomasi",
                     source="kompas" if i % 2 else "detik", published=dt.datetime(2019, 1, 1 + i))
            for i in range(20)
        ])
        yield index


# -- search arguments ------------------------------------------------------------------

@pytest.mark.parametrize(("option", "value"), [
    ("fields", 5),
    ("fields", "title"),  # was read as the fields 't', 'i', ...
    ("facets", 5),
    ("snippet_chars", None),
    ("snippet_chars", "x"),
    ("snippet_chars", -5),
    ("snippet_chars", 0),
    ("snippet_chars", 1.5),
    ("snippet_chars", True),
    ("markers", None),
    ("markers", ("[",)),
    ("markers", ("[", "]", "!")),
    ("markers", (1, 2)),
    ("markers", "**"),  # was unpacked into "*" and "*"
])
def test_a_bad_search_option_is_a_query_error_naming_it(ix, option, value):
    with pytest.raises(QueryError, match=f"{option} must") as raised:
        ix.search("diplomasi", **{option: value})
    assert not isinstance(raised.value, CorruptIndexError)


@pytest.mark.parametrize(("option", "value"), [
    ("snippets", "x"), ("snippets", -1), ("snippets", True),
    ("snippet_chars", None), ("snippet_chars", -1), ("markers", None), ("markers", "**"),
])
def test_a_bad_similar_option_is_a_query_error_naming_it(ix, option, value):
    with pytest.raises(QueryError, match=f"{option} must"):
        ix.similar("d1", **{option: value})


def test_an_unknown_search_keyword_is_a_type_error_not_a_damaged_index(ix):
    with pytest.raises(TypeError, match="snipets"):
        ix.search("diplomasi", snipets=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="snipets"):
        ix.search_iter("diplomasi", snipets=0)  # type: ignore[call-arg]


def test_facets_given_as_a_generator_are_counted(ix):
    wanted = ix.search("diplomasi", facets=["source"]).facets
    assert wanted["source"]  # the fixture has two sources
    assert ix.search("diplomasi", facets=(name for name in ["source"])).facets == wanted
    assert ix.search("diplomasi", facets=None).facets == {}
