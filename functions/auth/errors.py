"""Refusals that only identity gives: licences, slugs, e-mail addresses, pictures."""

from __future__ import annotations

from shared.errors import ApiError


class LicenceExhausted(ApiError):
    status, code = 409, "licence_exhausted"
    title = "The licences are used up; contact the supplier to upgrade"


class SlugTaken(ApiError):
    status, code, title = 409, "slug_taken", "Another tenant has this slug"


class EmailTaken(ApiError):
    status, code, title = 409, "email_taken", "Another account has this e-mail address"


class NotAnImage(ApiError):
    status, code, title = 422, "not_an_image", "The file is not a JPEG, PNG or WebP image"
