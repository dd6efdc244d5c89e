"""What a new process pays before its first result: precomputed tables must equal what
they replace, and importing diplosearch must not load what a search does not need.

(How long it takes is measured by ``benchmarks/first_query.py``, not here.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata

import pytest

from conftest import REPO, subprocess_env
from diplosearch.analysis import analyzer, marks


def test_recorded_mark_ranges_equal_a_fresh_scan() -> None:
    if unicodedata.unidata_version not in marks.KNOWN_RANGES:
        pytest.skip(f"Unicode {unicodedata.unidata_version} not recorded: run scripts/build_mark_ranges.py")
    recorded = marks.parse_ranges(marks.KNOWN_RANGES[unicodedata.unidata_version])
    assert recorded == marks.scan_mark_ranges(), "run scripts/build_mark_ranges.py"


def test_unrecorded_unicode_version_is_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marks, "KNOWN_RANGES", {})
    assert marks.mark_ranges() == marks.scan_mark_ranges()


def test_range_text_round_trips() -> None:
    ranges = [(0x300, 0x36F), (0x5BF, 0x5BF), (0xE0100, 0xE01EF)]
    assert marks.format_ranges(ranges) == "0300-036F 05BF E0100-E01EF"
    assert marks.parse_ranges(marks.format_ranges(ranges)) == ranges


def test_tokeniser_mark_classes_match_exactly_the_combining_marks() -> None:
    bmp = re.compile(f"[{analyzer._BMP_MARKS}]")
    astral = re.compile(f"[{analyzer._ASTRAL_MARKS}]")
    for code in range(0x110000):
        char = chr(code)
        is_mark = unicodedata.category(char)[0] == "M"
        assert bool(bmp.match(char)) == (is_mark and code < 0x10000), hex(code)
        assert bool(astral.match(char)) == (is_mark and code >= 0x10000), hex(code)


def test_build_mark_ranges_check_agrees() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_mark_ranges.py"), "--check"],
        capture_output=True, text=True, env=subprocess_env(REPO),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
