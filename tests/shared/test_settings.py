"""Settings know emulator from production by the environment alone (pure logic)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import settings_from_env


def test_emulator_variables_mean_emulator_mode() -> None:
    settings = settings_from_env(
        {
            "GOOGLE_CLOUD_PROJECT": "demo-x",
            "FIRESTORE_EMULATOR_HOST": "127.0.0.1:1",
            "TRIVSEL_CORS_ORIGINS": "https://a.dk, https://b.dk",
        }
    )
    assert settings.uses_emulators
    assert settings.cors_origins == ("https://a.dk", "https://b.dk")


def test_no_emulator_variables_mean_production() -> None:
    settings = settings_from_env({"GOOGLE_CLOUD_PROJECT": "trivsel-prod"})
    assert not settings.uses_emulators
    assert settings.message_max_attempts == 5


def test_a_project_is_required() -> None:
    with pytest.raises(RuntimeError, match="GOOGLE_CLOUD_PROJECT"):
        settings_from_env({})


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(ValidationError):
        settings_from_env({"GOOGLE_CLOUD_PROJECT": "p", "TRIVSEL_MESSAGE_MAX_ATTEMPTS": "0"})
