"""The error model: every refusal has a stable code, an HTTP status and a message.

Responses follow RFC 9457 (application/problem+json). The `code` member is the
stable contract clients branch on; `title`/`detail` are for people.
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "https://trivsel.dk/problems/"


class ApiError(Exception):
    """A refusal that reaches the caller as problem+json."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    retry_after: int | None = None  # seconds, sent as Retry-After when set

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = errors
        super().__init__(f"{self.code}: {self.detail}")

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class ValidationFailed(ApiError):
    status, code, title = 422, "validation_failed", "The request is not valid"


class MalformedRequest(ApiError):
    status, code, title = 400, "malformed_request", "The request body is not valid JSON"


class Unauthenticated(ApiError):
    status, code, title = 401, "unauthenticated", "Sign-in is required"


class InvalidToken(ApiError):
    status, code, title = 401, "invalid_token", "The ID token is invalid or expired"


class TokenRevoked(ApiError):
    status, code, title = 401, "token_revoked", "The session has ended; sign in again"


class AccountDisabled(ApiError):
    status, code = 403, "account_disabled"
    title = "The account is deactivated; contact your administrator"


class TenantSuspended(ApiError):
    status, code = 403, "tenant_suspended"
    title = "The organisation's access is suspended; contact your administrator"


class TenantRestoring(ApiError):
    status, code = 503, "tenant_restoring"
    title = "The organisation's data is being restored from a backup; try again later"


class TenantTerminated(ApiError):
    status, code = 403, "tenant_terminated"
    title = "The organisation's subscription has ended"


class ExportPeriodOver(ApiError):
    status, code = 403, "export_period_over"
    title = "The organisation's export period after termination has ended; its data is erased"


class DpaMissing(ApiError):
    # 403, not 409: the caller's organisation may not process personal data yet, whatever
    # the request; recording the DPA (the supplier's owner) is what changes it.
    status, code = 403, "dpa_missing"
    title = "No data-processing agreement is recorded for your organisation yet"


class StaffReviewOverdue(ApiError):
    status, code = 403, "staff_review_overdue"
    title = "This owner access was not reviewed within 6 months and has lapsed"


class CertificationRequired(ApiError):
    status, code = 403, "certification_required"
    title = "Your organisation requires you to complete the certification course first"


class SecondFactorRequired(ApiError):
    status, code = 403, "second_factor_required"
    title = "Your organisation requires sign-in with an SMS code as well"


class ReauthenticationRequired(ApiError):
    status, code = 401, "reauthentication_required"
    title = "Sign in again to change this"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Your role does not allow this"


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(ApiError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "The request conflicts with the current state"


class InvalidTransition(ApiError):
    status, code, title = 409, "invalid_transition", "Not possible in the current state"


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "unsupported_media_type", "Send application/json"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload_too_large", "The request body is too large"


class RateLimited(ApiError):
    status, code, title = 429, "rate_limited", "Too many requests; try again later"


class KeyUnavailable(ApiError):
    status, code = 503, "key_unavailable"
    title = "Sealed data cannot be opened now; the key is not available"


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"
    title = "A service we depend on is unavailable for a moment; try again shortly"
    retry_after = 5  # shared.retrying.RETRY_AFTER_S (errors is below retrying)


class InternalError(ApiError):
    status, code, title = 500, "internal_error", "Something went wrong on our side"


def validation_errors(pydantic_errors: list[Any]) -> list[dict[str, Any]]:
    """Field-by-field errors from a pydantic ValidationError, without echoing input."""
    return [
        {
            "field": ".".join(str(part) for part in err["loc"]) or "(body)",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in pydantic_errors
    ]
