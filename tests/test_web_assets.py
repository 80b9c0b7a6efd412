"""The vendored browser files are exactly the npm releases their README pins."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "app" / "web" / "static" / "vendor"
MAX_BYTES = 3_500_000


def test_vendored_files_match_their_pinned_sha256() -> None:
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (VENDOR / "README.md").read_text(), re.MULTILINE)
    assert len(rows) == 4
    for name, digest in rows:
        path = (VENDOR / name).resolve()
        assert path.stat().st_size <= MAX_BYTES, name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
    pinned = {(VENDOR / name).resolve().name for name, _ in rows}
    assert {p.name for p in VENDOR.glob("*.js")} | {p.name for p in VENDOR.glob("*.css")} <= pinned
