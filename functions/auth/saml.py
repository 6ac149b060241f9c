"""ADFS (or any SAML 2.0 identity provider) as a tenant's sign-in, like Entra ID.

The settings are checked before anything is stored: the identity provider's entity id,
its single sign-on URL (https only) and its signing certificates, each a PEM that must
parse as an X.509 certificate (`cryptography`) and be valid now. In production they
become Firebase's SAML provider `saml.adfs-<slug>` (firebase-admin's
`create_saml_provider_config` / `update_saml_provider_config`); the Auth emulator
implements no provider configurations (as for OIDC), so locally only the checked
settings are stored. The tenant's document keeps the entity id, the URL and each
certificate's SHA-256 fingerprint and expiry, which is what an administrator needs to
see when ADFS rolls its certificate; the PEMs themselves go to Firebase.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from firebase_admin import auth
from pydantic import AfterValidator, Field, HttpUrl

from shared.gcp import firebase_app
from shared.models import Strict
from shared.settings import get_settings
from shared.tenants import SamlCertificate, SamlSettings

DISPLAY_NAME = "ADFS"


def _certificate(pem: str) -> str:
    parse(pem)  # a ValueError becomes a 422 naming the field
    return pem.strip()


def parse(pem: str) -> x509.Certificate:
    """The certificate in `pem`, if it is one and valid now."""
    try:
        certificate = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        raise ValueError("not a PEM-encoded X.509 certificate") from None
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise ValueError("the certificate is not valid now (expired or not yet valid)")
    return certificate


def _https(url: HttpUrl) -> HttpUrl:
    if url.scheme != "https":
        raise ValueError("the single sign-on URL must use https")
    return url


class SamlConfig(Strict):
    idp_entity_id: str = Field(
        min_length=1,
        max_length=1024,
        pattern=r"^\S+$",
        description="e.g. http://adfs.x.dk/adfs/services/trust",
    )
    sso_url: Annotated[HttpUrl, AfterValidator(_https)] = Field(
        description="the identity provider's SAML 2.0 endpoint, https"
    )
    x509_certificates: list[Annotated[str, AfterValidator(_certificate)]] = Field(
        min_length=1, max_length=5, description="the token-signing certificates, PEM"
    )


def provider_id(slug: str) -> str:
    return f"saml.adfs-{slug}"


def settings_of(slug: str, config: SamlConfig) -> SamlSettings:
    certificates = []
    for pem in config.x509_certificates:
        certificate = parse(pem)
        certificates.append(
            SamlCertificate(
                sha256=certificate.fingerprint(hashes.SHA256()).hex(),
                not_valid_after=certificate.not_valid_after_utc,
            )
        )
    return SamlSettings(
        provider_id=provider_id(slug),
        idp_entity_id=config.idp_entity_id,
        sso_url=str(config.sso_url),
        certificates=certificates,
    )


def provider_options(slug: str, config: SamlConfig, project: str) -> dict[str, Any]:
    """firebase-admin's arguments for the tenant's SAML provider."""
    return {
        "idp_entity_id": config.idp_entity_id,
        "sso_url": str(config.sso_url),
        "x509_certificates": list(config.x509_certificates),
        "rp_entity_id": f"https://{slug}.trivsel.dk",
        "callback_url": f"https://{project}.firebaseapp.com/__/auth/handler",
        "display_name": DISPLAY_NAME,
        "enabled": True,
    }


def configure(slug: str, config: SamlConfig) -> SamlSettings:
    """Create or update the tenant's SAML provider (production only; see above)."""
    settings = settings_of(slug, config)
    if get_settings().uses_emulators:
        return settings
    options = {**provider_options(slug, config, get_settings().project_id), "app": firebase_app()}
    try:
        auth.update_saml_provider_config(settings.provider_id, **options)
    except auth.ConfigurationNotFoundError:
        auth.create_saml_provider_config(settings.provider_id, **options)
    return settings
