"""Resident memory and CPU time, as Linux reports them."""
from __future__ import annotations

import os
from pathlib import Path


def rss_mb(pid: int | str = "self") -> float:
    """VmRSS of a process (this one by default) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used: a start-up cost that a loaded machine does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)
