"""ADFS (SAML) sign-in: the settings are checked, stored and listed like Entra ID's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from functions.auth.saml import SamlConfig, provider_options, settings_of
from shared.gcp import firestore_client
from shared.tenancy import TENANTS
from tests.accounts import activate, problem, provision
from tests.helpers import call, forge, token_payload

API = "/auth_api"


def certificate(days: int = 365, start_days: int = -1) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ADFS Signing - adfs.example.dk")])
    now = datetime.now(UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=start_days))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM).decode()


def config(**changes: Any) -> dict[str, Any]:
    return {
        "idp_entity_id": "http://adfs.example.dk/adfs/services/trust",
        "sso_url": "https://adfs.example.dk/adfs/ls/",
        "x509_certificates": [certificate()],
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sso_url": "http://adfs.example.dk/adfs/ls/"}, "sso_url"),
        (
            {"x509_certificates": ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]},
            "x509_certificates",
        ),
        ({"x509_certificates": ["not a pem"]}, "x509_certificates"),
        ({"x509_certificates": [certificate(days=-1, start_days=-30)]}, "x509_certificates"),
        ({"x509_certificates": []}, "x509_certificates"),
        ({"idp_entity_id": "has spaces in it"}, "idp_entity_id"),
    ],
)
def test_a_saml_setting_that_does_not_check_out_is_refused(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        SamlConfig.model_validate(config(**changes))
    assert refused.value.errors()[0]["loc"][0] == field


def test_the_stored_settings_keep_fingerprints_not_certificates() -> None:
    body = config()
    stored = settings_of("k-demo", SamlConfig.model_validate(body))
    assert stored.provider_id == "saml.adfs-k-demo"
    assert len(stored.certificates[0].sha256) == 64
    assert "BEGIN CERTIFICATE" not in stored.model_dump_json()
    options = provider_options("k-demo", SamlConfig.model_validate(body), "demo-p")
    assert options["x509_certificates"] == [body["x509_certificates"][0].strip()]
    assert options["rp_entity_id"] == "https://k-demo.trivsel.dk"
    assert options["callback_url"] == "https://demo-p.firebaseapp.com/__/auth/handler"


@pytest.mark.usefixtures("stack")
def test_a_licensed_tenant_configures_adfs_and_the_sign_in_page_lists_it(owner: str) -> None:
    unlicensed = provision(owner)
    admin = activate(unlicensed["admin_email"])
    refused = call("PATCH", f"{API}/tenant/sign-in", admin, json={"saml": config()})
    problem(refused, 403, "forbidden")

    licensed = provision(owner, add_ons=["adfs"])
    admin = activate(licensed["admin_email"])
    bad = call(
        "PATCH", f"{API}/tenant/sign-in", admin, json={"saml": config(sso_url="http://x.dk/")}
    )
    problem(bad, 422, "validation_failed")
    document = firestore_client().collection(TENANTS).document(licensed["slug"])
    assert (document.get().to_dict() or {})["sign_in"].get("saml") is None  # nothing written

    changed = call("PATCH", f"{API}/tenant/sign-in", admin, json={"saml": config()})
    assert changed.status_code == 200, changed.text
    saml = (document.get().to_dict() or {})["sign_in"]["saml"]
    assert saml["provider_id"] == f"saml.adfs-{licensed['slug']}"
    assert saml["sso_url"] == "https://adfs.example.dk/adfs/ls/"
    page = call("GET", f"{API}/sign-in/{licensed['slug']}").json()
    assert page["providers"] == ["password", f"saml.adfs-{licensed['slug']}"]

    # Signed in through ADFS (the tenant's own provider), the user is admitted; through
    # another tenant's SAML provider, not.
    firebase = token_payload(admin)["firebase"]
    own = forge(admin, firebase={**firebase, "sign_in_provider": saml["provider_id"]})
    assert call("GET", f"{API}/me", own).status_code == 200
    other = forge(admin, firebase={**firebase, "sign_in_provider": "saml.adfs-someone-else"})
    problem(call("GET", f"{API}/me", other), 403, "forbidden")
