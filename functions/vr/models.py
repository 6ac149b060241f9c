"""VR sessions (SPEC V-1 ... V-4): request and response models, and the area's refusals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from shared import errors
from shared.models import ID, Model, Strict

MAX_HEADSETS = 50
# A short code a person types on a headset: no 0/O, 1/I/L (unambiguous when read aloud).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


class VrNotLicensed(errors.ApiError):
    status, code = 403, "vr_not_licensed"
    title = "Your organisation's licence does not include VR"


class SessionFull(errors.ApiError):
    status, code = 409, "session_full"
    title = f"The session already has {MAX_HEADSETS} headsets"


class PairingCodeInvalid(errors.ApiError):
    status, code = 404, "pairing_code_invalid"
    title = "No open session has this pairing code"


class PairingCodeExpired(errors.ApiError):
    status, code = 410, "pairing_code_expired"
    title = "The pairing code has expired; ask for a new one on the tablet"


class FilmNotLicensed(errors.ApiError):
    status, code = 403, "film_not_licensed"
    title = "The film is not in your organisation's licensed catalogue"


class SessionEnded(errors.ApiError):
    status, code = 409, "session_ended"
    title = "The session has ended"


class HeadsetRefused(errors.ApiError):
    status, code = 401, "headset_refused"
    title = "This headset is not paired with an open session"


class SessionStatus(StrEnum):
    OPEN = "open"
    ENDED = "ended"


class Action(StrEnum):
    PLAY = "play"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


class OpenSession(Strict):
    client_id: str = Field(pattern=ID)


class Session(Model):
    id: str
    client_id: str
    status: SessionStatus
    pairing_code: str | None
    pairing_code_expires_at: datetime | None
    headsets: int = Field(description="headsets paired and not removed")
    connected: int = Field(description="headsets seen alive within the last 15 seconds")
    command_seq: int
    break_recommended_at: datetime | None = None


class Pair(Strict):
    code: str = Field(min_length=1, max_length=32)


class Paired(Model):
    custom_token: str = Field(description="sign in with signInWithCustomToken")
    tenant_id: str
    session_id: str
    headset_id: str
    valid_until: datetime


class Command(Strict):
    action: Action
    film_id: str | None = Field(default=None, pattern=ID)
    target: str = Field(default="all", pattern=ID, description="'all' or one headset id")

    @model_validator(mode="after")
    def _film_with_play(self) -> Command:
        if (self.action is Action.PLAY) != (self.film_id is not None):
            raise ValueError("play names a film_id; other actions do not")
        return self


class Issued(Model):
    seq: int
    action: Action
    film_id: str | None
    target: str
    issued_at: datetime
    expires_at: datetime


class FilmUrl(Model):
    url: str
    expires_at: datetime


class BreakCheck(Strict):
    tenant_id: str = Field(pattern=ID)
    session_id: str = Field(pattern=ID)
    run: int = Field(ge=0)


class BreakOutcome(Model):
    recommended: bool


class CourseItemRef(Strict):
    course_ref: str = Field(pattern=ID)
    item_id: str = Field(pattern=ID)


class FilmSummary(Strict):
    film_id: str = Field(pattern=ID)
    watched_seconds: int = Field(ge=0, le=24 * 3600)
    stops: int = Field(ge=0, le=10_000)
    # Dwell time per named region of the film (seconds), from the headsets' gaze.
    gaze_dwell_seconds: dict[str, float] = Field(default_factory=dict, max_length=100)
    course_item: CourseItemRef | None = None


class Summary(Strict):
    films: list[FilmSummary] = Field(default_factory=list, max_length=50)


class Ended(Model):
    id: str
    status: Literal["ended"] = "ended"
    performed_items: list[str]
