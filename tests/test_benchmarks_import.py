"""Every benchmark module still imports (they run by hand, so a moved module would otherwise go unnoticed)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

MODULES = sorted(p.stem for p in (REPO_ROOT / "benchmarks").glob("*.py") if p.stem != "__init__")


def test_there_are_benchmarks_to_import() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_module_imports(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert Path(module.__file__).parent == REPO_ROOT / "benchmarks"
