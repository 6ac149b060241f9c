"""Request and response models of the sub-processor routes (auth_api, SPEC K-4)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from shared.models import SLUG, Model, Strict
from shared.subprocessors import Objection, Status, Subprocessor, SubprocessorEntry


class SubprocessorView(Subprocessor):
    status: Status


class ChangeKind(StrEnum):
    ADD = "add"
    REPLACE = "replace"  # `subprocessor` takes over from `replaces`
    REMOVE = "remove"


class NewSubprocessor(SubprocessorEntry):
    id: str = Field(pattern=SLUG, max_length=63)


class ChangeAnnouncement(Strict):
    """A planned change of the list, announced to every tenant's DPA contacts."""

    kind: ChangeKind
    subprocessor: NewSubprocessor | None = Field(default=None, description="add, replace")
    replaces: str | None = Field(default=None, pattern=SLUG, description="replace, remove")
    effective_on: date | None = Field(
        default=None, description="at least 30 days ahead (Copenhagen); default: in 30 days"
    )
    note: str | None = Field(default=None, max_length=2000, description="why (in the e-mail)")

    @model_validator(mode="after")
    def _fits_the_kind(self) -> Self:
        adds = self.kind in (ChangeKind.ADD, ChangeKind.REPLACE)
        takes_away = self.kind in (ChangeKind.REPLACE, ChangeKind.REMOVE)
        if adds != (self.subprocessor is not None):
            raise ValueError("'subprocessor' is given for add and replace, and only then")
        if takes_away != (self.replaces is not None):
            raise ValueError("'replaces' is given for replace and remove, and only then")
        if self.subprocessor is not None and self.subprocessor.id == self.replaces:
            raise ValueError("a sub-processor cannot replace itself")
        return self


class PublicChange(Model):
    id: str
    kind: ChangeKind
    subprocessor_id: str | None
    replaces: str | None
    effective_on: date
    announced_at: datetime
    note: str | None = None


class SubprocessorChange(PublicChange):
    """The stored change (`subprocessor_changes/{id}`), as the owner sees it."""

    announced_by: str
    tenants_notified: int = 0
    objections: dict[str, Objection] = Field(
        default_factory=dict, description="by tenant id: the tenants that objected"
    )


class SubprocessorChangeList(Model):
    changes: list[SubprocessorChange]


class SubprocessorList(Model):
    """The supplier's list as published: what is in use, planned or leaving."""

    as_of: date
    notice_days: int
    subprocessors: list[SubprocessorView]
    planned_changes: list[PublicChange]


class TenantApproval(Model):
    subprocessor: SubprocessorView
    approval: Literal["approved", "pending", "objected", "withdrawn", "not_approved"]
    approved_at: datetime | None = None
    approved_by: str | None = None
    source: str | None = None
    effective_on: date | None = Field(default=None, description="pending: approved from")


class TenantChange(PublicChange):
    objection: Objection | None = None


class TenantSubprocessors(Model):
    tenant_id: str
    recorded: bool = Field(description="false: approvals not recorded yet (legacy or pending)")
    subprocessors: list[TenantApproval]
    changes: list[TenantChange]


class ApprovalChange(Strict):
    """The customer's written approval, or its withdrawal, as the owner records it."""

    approved: bool
    note: str = Field(min_length=1, max_length=2000, description="the customer's letter, ...")


class ObjectionCreate(Strict):
    reason: str = Field(min_length=1, max_length=2000)
