"""Semantic version triple used by contracts."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_SEMVER = re.compile(r"^\s*v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\s*$")


class ModelSemVer(BaseModel):
    """A ``major.minor.patch`` version; parses from ``"1.2.3"`` or a mapping, and is orderable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    major: int = Field(ge=0)
    minor: int = Field(ge=0)
    patch: int = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = _SEMVER.match(data)
            if match is None:
                raise ValueError(f"version {data!r} is not of the form MAJOR.MINOR.PATCH")
            major, minor, patch = (int(part) for part in match.groups())
            return {"major": major, "minor": minor, "patch": patch}
        return data

    @classmethod
    def parse(cls, text: str) -> ModelSemVer:
        """Parse ``"MAJOR.MINOR.PATCH"``; raises ``pydantic.ValidationError`` when malformed."""
        return cls.model_validate(text)

    def as_tuple(self) -> tuple[int, int, int]:
        """The version as a ``(major, minor, patch)`` tuple, the order used for comparison."""
        return (self.major, self.minor, self.patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ModelSemVer):
            return NotImplemented
        return self.as_tuple() < other.as_tuple()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, ModelSemVer):
            return NotImplemented
        return self.as_tuple() <= other.as_tuple()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, ModelSemVer):
            return NotImplemented
        return self.as_tuple() > other.as_tuple()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, ModelSemVer):
            return NotImplemented
        return self.as_tuple() >= other.as_tuple()
