"""support_api's owner routes for usage statistics (JSON, CSV)."""

from __future__ import annotations

from pydantic import Field

from functions.support.usage.report import UsageReport, as_csv, build
from shared.gcp import firestore_client
from shared.http import Api, CsvText
from shared.models import Model
from shared.principal import Principal, Role


class MonthQuery(Model):
    month: str = Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")


def register(api: Api) -> None:
    @api.route(
        "GET", "/usage", summary="Usage per tenant for a month (aggregates)", roles=[Role.OWNER]
    )
    def usage(caller: Principal, query: MonthQuery) -> UsageReport:
        return build(firestore_client(), query.month)

    @api.route("GET", "/usage.csv", summary="The same, as CSV", roles=[Role.OWNER])
    def usage_csv(caller: Principal, query: MonthQuery) -> CsvText:
        return CsvText(as_csv(build(firestore_client(), query.month)))
