"""Films for the headsets (SPEC V-4): a short-lived signed URL, for licensed films only."""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.vr.models import FilmNotLicensed, FilmUrl
from shared import catalogue, storage
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.tenants import load


def object_name(film_id: str) -> str:
    """The supplier's film in the uploads bucket (the catalogue is the supplier's)."""
    return f"catalogue/vr-films/{film_id}"


def check_licensed(tenant: TenantData, film_id: str) -> None:
    """A film is licensed when a VR-film exercise of a licensed focus area shows it."""
    areas = load(tenant).focus_areas
    exercises = (
        firestore_client()
        .collection(catalogue.collection_name(catalogue.Kind.EXERCISES))
        .where(filter=FieldFilter("content.film_id", "==", film_id))
        .stream()
    )
    for exercise in exercises:
        content = exercise.get("content") or {}
        if content.get("kind") == "vr_film" and exercise.get("focus_area") in areas:
            return
    raise FilmNotLicensed()


def film_url(tenant: TenantData, film_id: str) -> FilmUrl:
    check_licensed(tenant, film_id)
    now = datetime.now(UTC)
    url = storage.signed_download(object_name(film_id))
    return FilmUrl(url=url, expires_at=now + storage.SIGNED_URL_LIFETIME)
