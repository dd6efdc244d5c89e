"""Measuring a process from inside: resident memory, CPU time, and the memory of a
process tree (diplosearch indexes with helper processes).

Used by ``speed.py``'s child processes, each of which measures one engine and one step.
"""

from __future__ import annotations

import resource
import threading
from pathlib import Path


def memory_mb() -> dict[str, float]:
    """Current and peak resident set size of this process, in MB."""
    values: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount = line.split(":", 1)
                values[key] = int(amount.split()[0]) / 1024
    except OSError:
        pass
    peak = values.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"rss_mb": round(values.get("VmRSS", float("nan")), 1), "peak_rss_mb": round(peak, 1)}


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class TreeMemory:
    """Samples the RSS of this process plus all its descendants every 20 ms while in a
    ``with`` block; ``peak_mb`` is the largest sum seen. Needs psutil (None without).

    The descendants are looked up again every half second only: psutil finds them by
    reading every process's ``/proc`` entry (about 1 ms here), and doing that at every
    sample took 5% of a CPU, and the GIL, from the process being measured.
    """

    _LOOKUP_EVERY = 25  # samples

    def __init__(self) -> None:
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        peak = 0
        tree = [me]
        samples = 0
        while not self._stop.is_set():
            if samples % self._LOOKUP_EVERY == 0:
                try:
                    tree = [me, *me.children(recursive=True)]
                except psutil.Error:
                    pass
            samples += 1
            total = 0
            for proc in tree:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, total)
            self._stop.wait(0.02)
        self.peak_mb = round(peak / 2**20, 1)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
