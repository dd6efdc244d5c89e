"""Where indexes live: the index home, the environment variables, bare index names,
and the bundled corpus the default index is built from (:func:`diplosearch.open_index`,
which opens or builds it, is in :mod:`diplosearch.index`).

``$DIPLOSEARCH_HOME`` moves the index home; ``$DIPLOSEARCH_INDEX`` names the index
used when none is given. The default index belongs to diplosearch: it is built on
first use and rebuilt when the corpus or the analysis changes, so nothing may write
to it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

from ..analysis.analyzer import IndonesianAnalyzer

HOME_ENV = "DIPLOSEARCH_HOME"
INDEX_ENV = "DIPLOSEARCH_INDEX"
DEFAULT_INDEX_NAME = "default"


def index_home() -> Path:
    """Where named indexes (and the default one) live.

    ``$DIPLOSEARCH_HOME`` if set; else the ``indexes/`` folder of the source checkout
    diplosearch runs from (an editable install); else ``$XDG_CACHE_HOME/diplosearch``
    (``~/.cache/diplosearch``). Never inside site-packages.
    """
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    package_dir = Path(__file__).resolve().parent.parent
    checkout = package_dir.parent.parent
    if (
        package_dir.parent.name == "src"
        and (checkout / "pyproject.toml").is_file()
        and (checkout / "indexes").is_dir()
    ):
        return checkout / "indexes"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "diplosearch"


def is_bare_name(name_or_path: str | os.PathLike[str]) -> bool:
    """Whether ``name_or_path`` is a bare index name (no ``/``, not ``.`` or ``..``)."""
    text = os.fspath(name_or_path)
    return bool(text) and os.sep not in text and "/" not in text and text not in (".", "..") and not text.startswith("~")


def resolve_index_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A bare name (``berita``) means ``index_home()/berita``, always, even when the
    current directory holds a ``berita``; anything else (``./berita``) is a path."""
    if is_bare_name(name_or_path):
        return index_home() / os.fspath(name_or_path)
    return Path(os.fspath(name_or_path)).expanduser()


def bundled_corpus_files() -> list[Path]:
    """The articles shipped with diplosearch, which the default index is built from."""
    corpus = Path(__file__).resolve().parent.parent / "data" / "corpus"
    return sorted(p for p in corpus.iterdir() if p.suffix == ".txt")


def corpus_fingerprint(files: Sequence[Path], analyzer: IndonesianAnalyzer) -> str:
    """What the default index records of the corpus and analysis it was built with."""
    digest = hashlib.sha256(analyzer.version.encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]
