"""The base of every JSON request body: unknown fields are refused, not silently ignored.

A misspelt field (`{"far": 0.01}` for `target_far`) would otherwise run with the default and
look like success.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
