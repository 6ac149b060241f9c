"""Request parsing and error mapping of shared.http, on a throwaway Api (pure logic)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import flask
import pytest
from pydantic import BaseModel, Field

from shared import errors
from shared.http import MAX_BODY_BYTES, Api, JsonStream, openapi_document

app = flask.Flask(__name__)


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests need no stack, only settings (kept if a stack already set them)."""
    from shared.settings import get_settings

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-unit"))
    # Emulator mode: a refusal a route does not declare is an error there.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", os.environ.get("FIRESTORE_EMULATOR_HOST", "x:1"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


api = Api("Demo")
api.name = "demo_api"


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    times: int = Field(ge=1, le=3)


class Reply(BaseModel):
    text: str


@api.route("POST", "/greet/<item_id>", summary="Greet", roles=None, status=201)
def greet(item_id: str, body: Greeting) -> Reply:
    return Reply(text=f"{item_id}: " + " ".join([f"Hej {body.name}"] * body.times))


@api.route("GET", "/boom", summary="Fails", roles=None)
def boom() -> None:
    raise RuntimeError("secret internals")


@api.route("GET", "/taken", summary="Refuses", roles=None, refusals=[errors.Conflict])
def taken() -> None:
    raise errors.Conflict("Already there")


@api.route("GET", "/drifted", summary="Refuses with what it does not declare", roles=None)
def drifted() -> None:
    raise errors.Forbidden()


@api.route("POST", "/contended", summary="Loses a transaction race", roles=None)
def contended() -> None:
    from google.api_core.exceptions import Aborted

    raise Aborted("Transaction lock timeout.")  # type: ignore[no-untyped-call]


def send(method: str, path: str, **kwargs: object) -> flask.Response:
    with app.test_request_context(path, method=method, **kwargs):
        return api(flask.request)


def test_valid_body_reaches_the_handler() -> None:
    reply = send("POST", "/greet/abc", json={"name": "Ida", "times": 2})
    assert reply.status_code == 201
    assert reply.get_json() == {"text": "abc: Hej Ida Hej Ida"}


def test_invalid_fields_are_listed_one_by_one() -> None:
    reply = send("POST", "/greet/abc", json={"name": "", "times": 9})
    assert reply.status_code == 422
    body = json.loads(reply.data)
    assert body["code"] == "validation_failed"
    assert {e["field"] for e in body["errors"]} == {"name", "times"}


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "malformed_request"),
        (
            {"data": "name=x", "content_type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ({"json": ["a", "list"]}, 422, "validation_failed"),
        (
            {"data": "x" * (MAX_BODY_BYTES + 1), "content_type": "application/json"},
            413,
            "payload_too_large",
        ),
    ],
)
def test_bad_bodies_get_a_4xx_with_a_stable_code(
    kwargs: dict[str, object], status: int, code: str
) -> None:
    reply = send("POST", "/greet/abc", **kwargs)
    assert reply.status_code == status
    assert reply.mimetype == "application/problem+json"
    assert json.loads(reply.data)["code"] == code


def test_path_parameters_outside_the_id_alphabet_do_not_match() -> None:
    assert send("POST", "/greet/a.b", json={"name": "x", "times": 1}).status_code == 404


def test_unexpected_errors_are_500_without_internals() -> None:
    reply = send("GET", "/boom")
    assert reply.status_code == 500
    assert json.loads(reply.data)["code"] == "internal_error"
    assert b"secret" not in reply.data


def test_refusals_keep_their_status_and_code() -> None:
    reply = send("GET", "/taken")
    assert reply.status_code == 409
    assert json.loads(reply.data)["detail"] == "Already there"


def test_openapi_describes_bodies_responses_and_refusals() -> None:
    document = openapi_document([api])
    operation = document["paths"]["/greet/{item_id}"]["post"]
    assert operation["parameters"][0]["name"] == "item_id"
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    assert "validation_failed" in operation["responses"]["422"]["description"]
    assert "conflict" in document["paths"]["/taken"]["get"]["responses"]["409"]["description"]
    assert "security" not in operation  # public route


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://esbjerg.trivsel.dk", True),
        ("https://trivsel.dk", True),
        ("http://esbjerg.trivsel.dk", False),
        ("https://esbjerg.trivsel.dk.evil.example", False),
        ("https://eviltrivsel.dk", False),
        (None, False),
    ],
)
def test_cors_origins_allow_tenant_subdomains_only(origin: str | None, allowed: bool) -> None:
    from shared.http import origin_allowed
    from shared.settings import settings_from_env

    settings = settings_from_env(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "TRIVSEL_CORS_ORIGINS": "https://trivsel.dk,https://*.trivsel.dk",
        }
    )
    assert origin_allowed(origin, settings) is allowed


def test_a_lost_transaction_race_is_a_conflict_not_a_crash() -> None:
    reply = send("POST", "/contended")
    assert reply.status_code == 409
    assert json.loads(reply.data)["code"] == "conflict"


def test_a_refusal_the_route_does_not_declare_is_an_error_against_the_emulators() -> None:
    reply = send("GET", "/drifted")
    assert reply.status_code == 500
    body = json.loads(reply.data)
    assert body["code"] == "undeclared_refusal"
    assert "forbidden" in body["detail"]


def test_in_production_an_undeclared_refusal_still_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.settings import get_settings

    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST")
    get_settings.cache_clear()
    reply = send("GET", "/drifted")
    assert reply.status_code == 403
    assert json.loads(reply.data)["code"] == "forbidden"


def test_reserved_firestore_ids_do_not_match_a_route() -> None:
    assert send("POST", "/greet/__name__", json={"name": "x", "times": 1}).status_code == 404
    assert send("POST", "/greet/__x", json={"name": "x", "times": 1}).status_code == 201


def test_a_handler_whose_parameters_do_not_fit_its_path_is_refused_at_import() -> None:
    other = Api("Broken")
    with pytest.raises(TypeError, match="parameters do not match"):

        @other.route("GET", "/things/<thing_id>", summary="x", roles=None)
        def wrong(item_id: str) -> None:
            return None


def test_the_api_serves_its_own_openapi_document() -> None:
    reply = send("GET", "/openapi.json")
    assert reply.status_code == 200
    assert "/greet/{item_id}" in reply.get_json()["paths"]


@api.route("GET", "/stream/<count>", summary="Streams a reply", roles=None)
def stream(count: str) -> JsonStream[Reply]:
    if count == "0":
        raise errors.NotFound("Nothing to stream")
    return JsonStream(iter(['{"text": "', "a" * int(count), '"}']))


def test_a_streamed_reply_is_sent_in_chunks_and_documented_as_its_model() -> None:
    reply = send("GET", "/stream/3")
    assert reply.status_code == 200
    assert reply.is_streamed
    assert Reply.model_validate_json(reply.get_data()) == Reply(text="aaa")
    operation = openapi_document([api])["paths"]["/stream/{count}"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Reply"
    )


def test_a_refusal_before_a_stream_starts_is_a_problem() -> None:
    reply = send("GET", "/stream/0")
    assert reply.status_code == 404
    assert json.loads(reply.data)["code"] == "not_found"


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_refused_before_parsing(depth: int) -> None:
    body = "[" * depth + "]" * depth
    reply = send("POST", "/greet/abc", data=body, content_type="application/json")
    assert reply.status_code == 422
    assert json.loads(reply.data)["errors"][0]["message"] == "nested too deeply"


def test_json_depth_skips_brackets_inside_strings() -> None:
    from shared.http._api import json_depth

    assert json_depth(b'{"a": [1, {"b": "[[[[\\"]]]]"}]}') == 3
    assert json_depth(b"[]") == 1
    assert json_depth(b'"just text ["') == 0


@api.route("POST", "/exhausted", summary="Runs out of transaction retries", roles=None)
def exhausted() -> None:
    raise ValueError("Failed to commit transaction in 5 attempts.")


def test_a_transaction_out_of_retries_is_a_conflict_not_a_crash() -> None:
    reply = send("POST", "/exhausted")
    assert reply.status_code == 409
    assert json.loads(reply.data)["code"] == "conflict"


@pytest.mark.parametrize(
    ("forwarded", "remote", "address"),
    [
        ("203.0.113.7", "10.1.1.1", "203.0.113.7"),
        ("10.0.0.1, 10.0.0.2, 203.0.113.7", "10.1.1.1", "203.0.113.7"),  # forged entries first
        (" , 203.0.113.7 ", None, "203.0.113.7"),
        (None, "127.0.0.1", "127.0.0.1"),
        ("", None, ""),
    ],
)
def test_the_caller_s_address_is_the_one_the_platform_appended(
    forwarded: str | None, remote: str | None, address: str
) -> None:
    from shared.http import caller_address

    assert caller_address(forwarded, remote) == address
