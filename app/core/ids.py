"""The one type for row ids and offsets that arrive in paths, queries and forms.

SQLite and PostgreSQL store 64-bit signed integers; a larger id cannot name a row and, bound
as a parameter, raises OverflowError deep in the driver. Bounding ids here makes any id
outside 1..2^63-1 (offsets 0..2^63-1) a 422 at the edge, before a query is built.
"""
from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

MAX_ID = 2**63 - 1

RowId = Annotated[int, Ge(1), Le(MAX_ID)]
Offset = Annotated[int, Ge(0), Le(MAX_ID)]
