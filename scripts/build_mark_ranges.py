#!/usr/bin/env python3
"""Record this Python's combining-mark ranges in ``src/diplosearch/analysis/marks.py``.

The tokeniser keeps combining marks inside words; scanning every code point for them
costs each process tens of milliseconds at import, so ``marks.KNOWN_RANGES`` keeps the
ranges per Unicode version. Run this under a Python whose ``unicodedata`` version is
not there yet (a new Python release) to add it; entries already there are rewritten
from a fresh scan only for this Python's version::

    python scripts/build_mark_ranges.py          # update marks.py
    python scripts/build_mark_ranges.py --check  # exit 1 if marks.py disagrees
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import textwrap
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKS_MODULE = REPO / "src" / "diplosearch" / "analysis" / "marks.py"
if importlib.util.find_spec("diplosearch") is None:
    sys.path.insert(0, str(REPO / "src"))

from diplosearch.analysis.marks import KNOWN_RANGES, format_ranges, scan_mark_ranges  # noqa: E402

BLOCK = re.compile(r"(KNOWN_RANGES: dict\[str, str\] = \{\n)(.*?)(^\}\n# END GENERATED)", re.S | re.M)


def render(table: dict[str, str]) -> str:
    """The body of the ``KNOWN_RANGES`` literal, versions in order."""
    lines = []
    for version in sorted(table, key=lambda v: tuple(int(p) for p in v.split("."))):
        lines.append(f'    "{version}": (')
        for chunk in textwrap.wrap(table[version], 86):
            lines.append(f'        "{chunk} "')
        lines.append("    ),")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when marks.py disagrees")
    args = parser.parse_args(argv)
    version = unicodedata.unidata_version
    scanned = format_ranges(scan_mark_ranges())
    if args.check:
        same = " ".join(KNOWN_RANGES.get(version, "").split()) == scanned
        print(f"Unicode {version}: marks.py {'agrees' if same else 'DISAGREES'} with a fresh scan")
        return 0 if same else 1
    table = {v: " ".join(t.split()) for v, t in KNOWN_RANGES.items()}
    table[version] = scanned
    source = MARKS_MODULE.read_text("utf-8")
    updated, count = BLOCK.subn(lambda m: m.group(1) + render(table) + m.group(3), source)
    if count != 1:
        raise SystemExit(f"{MARKS_MODULE}: the generated KNOWN_RANGES block was not found")
    MARKS_MODULE.write_text(updated, "utf-8")
    print(f"wrote the combining-mark ranges of Unicode {version} ({len(scanned.split())} ranges) to {MARKS_MODULE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
