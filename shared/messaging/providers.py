"""The providers that carry messages: Amazon SES for e-mail, Amazon SNS for SMS.

Locally both are moto's server (AWS_ENDPOINT_URL). Errors are sorted into
permanent (the message can never be sent as is: ends `failed` at once) and
transient (worth retrying with backoff). Throttling, 429 and 5xx are transient:
botocore's standard retry mode retries them in the call (shared/retrying.py), and
what outlasts that is the delivery's next attempt (shared/messaging/delivery.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

# SES/SNS error codes that no retry can fix.
PERMANENT_CODES = frozenset(
    {
        "MessageRejected",
        "InvalidParameterValue",
        "InvalidParameter",
        "MailFromDomainNotVerifiedException",
        "MailFromDomainNotVerified",
        "ConfigurationSetDoesNotExist",
        "AccountSendingPausedException",
        "OptedOut",
        "ValidationError",
    }
)


# Codes that say "not now": never permanent, whatever their HTTP status.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)


class ProviderError(Exception):
    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class EmailProvider(Protocol):
    def send_email(self, to: str, subject: str, text: str, html: str) -> str: ...


class SmsProvider(Protocol):
    def send_sms(self, to: str, text: str) -> str: ...


def _provider_error(exc: Exception) -> ProviderError:
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        reason = f"{code}: {error.get('Message', '')}".strip()
        transient = code in THROTTLING_CODES or status == 429 or status >= 500
        return ProviderError(reason, permanent=code in PERMANENT_CODES and not transient)
    # A body botocore cannot read (a front end's HTML 5xx page) is the service's fault too.
    if isinstance(exc, (BotoCoreError, ResponseParserError)):
        return ProviderError(f"{type(exc).__name__}: {exc}", permanent=False)
    raise exc


@dataclass
class SesEmailProvider:
    client: Any  # boto3 SES client
    sender: str

    def send_email(self, to: str, subject: str, text: str, html: str) -> str:
        # Sent as the MIME message itself, so what the provider holds is what the person
        # gets: one multipart/alternative with the text part first and the HTML part.
        raw = mime_message(self.sender, to, subject, text, html)
        try:
            reply = self.client.send_raw_email(Source=self.sender, RawMessage={"Data": raw})
        except Exception as exc:
            raise _provider_error(exc) from exc
        return str(reply["MessageId"])


def mime_message(sender: str, to: str, subject: str, text: str, html: str) -> bytes:
    """An e-mail as a reader's mail client receives it: multipart/alternative, the plain
    text first (spam filters and text-only clients read it), then the HTML; UTF-8."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # Quoted-printable keeps the message 7-bit: Danish letters survive every relay.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message.as_bytes(policy=SMTP)


@dataclass
class SnsSmsProvider:
    client: Any  # boto3 SNS client
    sender_id: str

    def send_sms(self, to: str, text: str) -> str:
        try:
            reply = self.client.publish(
                PhoneNumber=to,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self.sender_id},
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except Exception as exc:
            raise _provider_error(exc) from exc
        return str(reply["MessageId"])


@dataclass
class Providers:
    email: EmailProvider
    sms: SmsProvider


@lru_cache(maxsize=1)
def default_providers() -> Providers:
    """The SES and SNS providers, created once per process."""
    from shared.gcp import aws_client
    from shared.settings import get_settings

    settings = get_settings()
    return Providers(
        email=SesEmailProvider(aws_client("ses"), settings.mail_sender),
        sms=SnsSmsProvider(aws_client("sns"), settings.sms_sender_id),
    )
