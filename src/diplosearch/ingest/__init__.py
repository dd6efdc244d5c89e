"""Ingest: turning raw input into :class:`~diplosearch.documents.Document` objects.

The rooms, each building on the ones before it:

* :mod:`.quotes`: quotations and their speakers (:func:`extract_quotes`).
* :mod:`.article`: one plain-text news article: title, boilerplate, captions,
  datelines (:func:`parse_article`).
* :mod:`.records`: one JSON object, a JSON Lines record (:func:`document_from_record`).
* :mod:`.streams`: bytes into text: gzip, size caps, encodings, line ends.
* :mod:`.files`: files and folders (:func:`read_documents`) and JSON Lines
  streams (:func:`read_jsonl_stream`), which never raises for
  bad input but yields an :class:`~diplosearch.documents.InputProblem` instead.
"""

from __future__ import annotations

from .article import parse_article
from .files import read_documents, read_jsonl_stream
from .quotes import extract_quotes
from .records import document_from_record
from .streams import MAX_FILE_BYTES, MAX_LINE_BYTES

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "document_from_record",
    "extract_quotes",
    "parse_article",
    "read_documents",
    "read_jsonl_stream",
]
