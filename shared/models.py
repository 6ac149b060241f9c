"""Base models every area's request bodies share, and the id alphabets they check."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator

from shared.tenancy import SEGMENT_PATTERN, TENANT_ID_PATTERN

# An id below a tenant (a path segment) and a slug (a tenant id, focus area, field id).
ID = SEGMENT_PATTERN.pattern
SLUG = TENANT_ID_PATTERN.pattern


class Strict(BaseModel):
    """A request body: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Patch(Strict):
    """A partial update: at least one field, and `keep` fields cannot be set to null."""

    keep: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(f"give at least one of {', '.join(type(self).model_fields)}")
        for name in self.keep:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self

    def changes(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        """The fields the caller gave, as stored values."""
        return self.model_dump(mode="json", exclude_unset=True, exclude=exclude)
