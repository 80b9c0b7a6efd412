"""Resident memory, as Linux reports it."""
from __future__ import annotations

from pathlib import Path


def rss_mb(pid: int | str = "self") -> float:
    """VmRSS of a process (this one by default) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")
