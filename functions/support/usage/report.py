"""The owner's usage report for a month: every tenant's cells (small ones suppressed),
and the tenants whose clients exceed their licence's client ceiling (reported, never
enforced)."""

from __future__ import annotations

import csv
import io

from google.cloud import firestore
from pydantic import BaseModel, ValidationError

from functions.support.usage.counting import MEASURES, cells
from functions.support.usage.job import USAGE
from shared import errors
from shared.clients import CLIENTS
from shared.tenancy import TENANTS, TenantData
from shared.tenants import load


class TenantUsage(BaseModel):
    tenant_id: str
    cells: dict[str, int | None]  # None: under 5, suppressed
    client_ceiling: int | None
    over_ceiling: bool


class UsageReport(BaseModel):
    month: str
    tenants: list[TenantUsage]


def build(db: firestore.Client, month: str) -> UsageReport:
    rows = []
    for ref in db.collection(TENANTS).list_documents():
        data = TenantData(db, ref.id)
        snap = data.document(USAGE, month).get()
        doc = snap.to_dict() if snap.exists else None
        try:
            tenant = load(data)
        except (errors.NotFound, ValidationError):  # a deleted or half-made tenant: skipped
            continue
        ceiling = tenant.licence.client_ceiling if tenant.licence else None
        over = False
        if ceiling is not None:
            [[total]] = data.collection(CLIENTS).count().get()  # type: ignore[no-untyped-call]
            over = int(total.value) > ceiling
        if doc is None and not over:
            continue
        doc = doc or {}
        row = cells(doc.get("counts", {}), len(doc.get("actors", [])), len(doc.get("clients", [])))
        rows.append(
            TenantUsage(tenant_id=ref.id, cells=row, client_ceiling=ceiling, over_ceiling=over)
        )
    return UsageReport(month=month, tenants=rows)


def as_csv(report: UsageReport) -> str:
    """The report as a spreadsheet reads it: one row per tenant, a suppressed cell empty."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["tenant_id", *MEASURES, "client_ceiling", "over_ceiling"])
    for row in report.tenants:
        values = ["" if row.cells[m] is None else str(row.cells[m]) for m in MEASURES]
        writer.writerow(
            [row.tenant_id, *values, row.client_ceiling or "", "yes" if row.over_ceiling else ""]
        )
    return out.getvalue()
