"""What every benchmark script shares that is not data, metrics or an engine: paths,
the ``--snapshot`` re-run, the environment record, result files and tables.

Importing this module first also makes ``import diplosearch`` work from a plain checkout
(no editable install) and puts ``benchmarks/`` on the path, so the scripts can import
``data``, ``metrics`` and ``engines``. Nothing here is part of diplosearch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Sequence

# importlib.metadata, platform, subprocess and tempfile are imported where used: the
# children that time a new process's first result import this module, and its imports
# counted in every engine's figure (importlib.metadata alone: about 12 ms).

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = BENCH_DIR / "work"

# Make `import diplosearch` work from a plain checkout too (no editable install).
if importlib.util.find_spec("diplosearch") is None:
    sys.path.insert(0, str(REPO / "src"))
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))


SNAPSHOT_ENV = "DIPLOSEARCH_BENCH_SNAPSHOT"


def reexec_on_snapshot(argv: Sequence[str]) -> None:
    """With ``--snapshot`` in ``argv``: export the committed ``src/`` of HEAD to
    benchmarks/work/snapshot-<commit>/ and re-run this script on it.

    Others may be editing the working tree while a long benchmark runs; diplosearch's
    helper processes would then import newer code than their parent. A snapshot makes
    one run measure one commit.
    """
    if "--snapshot" not in argv or os.environ.get(SNAPSHOT_ENV):
        return
    import subprocess

    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = WORK_DIR / f"snapshot-{commit[:12]}"
    if not (dest / "src" / "diplosearch" / "__init__.py").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    env = dict(os.environ)
    env[SNAPSHOT_ENV] = commit
    env["PYTHONPATH"] = str(dest / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    script = str(Path(sys.argv[0]).resolve())
    args = [a for a in argv if a != "--snapshot"]
    print(f"running on a snapshot of commit {commit[:12]} ({dest / 'src'})", flush=True)
    os.execve(sys.executable, [sys.executable, script, *args], env)


# ---------------------------------------------------------------------------------------
# Environment and output


def package_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def has_score_table(index_path: Path) -> bool:
    """Whether the newest commit of the diplosearch index at ``index_path`` has its
    score table (a kept ``speed.py`` index has none after its add step: searches of
    it score each word the first time, so its figures are not an import's)."""
    import diplosearch
    from diplosearch.store import score_table

    with diplosearch.open_index(index_path) as index, index.snapshot() as snapshot:
        segments = snapshot.columns.segment_signature()
    return Path(score_table.table_path(index_path, segments)).is_file()


def environment() -> dict[str, object]:
    """Date, machine and versions, recorded with every result."""
    import platform
    import sqlite3
    import subprocess

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    packages = {
        dist: package_version(dist)
        for dist in ("diplosearch", "whoosh-reloaded", "PyStemmer", "attrs", "bm25s", "tantivy", "PySastrawi", "numpy", "scipy", "matplotlib")
    }
    packages["sqlite"] = sqlite3.sqlite_version
    try:
        import diplosearch
        from diplosearch import IndonesianAnalyzer

        analysis = IndonesianAnalyzer().version
        diplosearch_path = str(Path(diplosearch.__file__).resolve().parent)
    except Exception as exc:  # pragma: no cover - reported, not fatal
        analysis = f"unavailable: {exc}"
        diplosearch_path = None
    try:
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain", "src"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        dirty = None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        # Other work on the machine skews timings; the 1-minute load average says how busy it was.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit,
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "diplosearch_analysis_version": analysis,
        "diplosearch_path": diplosearch_path,
        # The commit measured: a --snapshot of HEAD, else the working tree (src_dirty: with uncommitted edits).
        "snapshot_commit": os.environ.get(SNAPSHOT_ENV),
        "src_dirty": None if os.environ.get(SNAPSHOT_ENV) else dirty,
    }


def write_json(name: str | Path, payload: dict[str, object]) -> Path:
    """Write ``payload`` to benchmarks/results/``name`` (a file name), or to ``name``
    itself when it is a ``Path`` (a script's ``--out``); indented, UTF-8. Returns the path."""
    path = name if isinstance(name, Path) else RESULTS_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    return path


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal too)."""
    cells = [[format_value(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    # Text columns are left-aligned, numbers right-aligned.
    def looks_numeric(value: object) -> bool:
        if value is None or isinstance(value, (int, float)):
            return True
        text = str(value)
        return text in ("", "n/a") or bool(re.match(r"^[±+\-]?\d", text))

    numeric = [i > 0 and all(looks_numeric(row[i]) for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)) + " |"

    sep = "|" + "|".join("-" * (w + 1) + (":" if num else "-") for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def format_value(value: object) -> str:
    """A table cell: None and NaN as "n/a", floats to about three significant digits."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    return str(value)


def fresh_dir(name: str) -> Path:
    """A new, empty working directory of its own under benchmarks/work/ (git-ignored).

    Unique per call, so two benchmark runs at the same time never remove each other's
    indexes.
    """
    import tempfile

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK_DIR))


def dir_size(path: Path) -> int:
    """Bytes of all files under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
