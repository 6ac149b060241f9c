"""Remote-task links: one signed spelling per link, expiry, purpose (pure logic)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.tasks import links


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from shared.settings import get_settings

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-unit"))
    monkeypatch.setenv("TRIVSEL_LINK_SECRET", base64.b64encode(b"k" * 32).decode())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def a_link(expires_in: int = 3600) -> links.Link:
    return links.Link("aarhus", "task-1", 2, int(time.time()) + expires_in)


def test_a_signed_link_verifies_to_what_it_names() -> None:
    assert links.verify(links.sign(a_link())) == a_link()


def test_an_expired_link_is_refused_as_expired() -> None:
    with pytest.raises(links.BadLink, match="expired"):
        links.verify(links.sign(a_link(-60)))


def test_every_other_spelling_of_the_signature_is_refused() -> None:
    """Base64's spare bits: the last character has variants that decode to the same bytes."""
    token = links.sign(a_link())
    payload, mac = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for char in alphabet:
        variant = f"{payload}.{mac[:-1]}{char}"
        if variant != token:
            with pytest.raises(links.BadLink, match="tampered"):
                links.verify(variant)


def test_a_link_signed_under_another_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import get_settings

    token = links.sign(a_link())
    monkeypatch.setenv("TRIVSEL_LINK_SECRET", base64.b64encode(b"x" * 32).decode())
    get_settings.cache_clear()
    with pytest.raises(links.BadLink, match="tampered"):
        links.verify(token)


@given(st.text(max_size=500))
def test_no_text_but_a_signed_link_verifies(text: str) -> None:
    with pytest.raises(links.BadLink):
        links.verify(text)
