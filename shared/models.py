"""Base models every area's request bodies share, and the id alphabets they check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from shared.tenancy import SEGMENT_PATTERN, TENANT_ID_PATTERN

# An id below a tenant (a path segment) and a slug (a tenant id, focus area, field id).
ID = SEGMENT_PATTERN.pattern
SLUG = TENANT_ID_PATTERN.pattern


# The moments a request may name: well inside what Firestore and every client can store.
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC)


def _bounded_utc(moment: datetime) -> datetime:
    """A moment without a time zone is UTC, like every time the platform stores."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return aware.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(_bounded_utc)]


class Model(BaseModel):
    """Every model of the platform. Its validator is built on first use rather than at
    import: a function imports far more models than its first request touches, and the
    build is most of what a cold start pays for them."""

    model_config = ConfigDict(defer_build=True)


class Strict(Model):
    """A request body: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


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
