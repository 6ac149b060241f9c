"""VR sessions (SPEC V-1 ... V-4): `vr_api` for the professional's tablet, `vr_headset_api`
for headsets (pairing, film URLs), `vr_break_check` (Cloud Tasks) for the 30-minute break.

Everything live (signalling, commands, presence, stops) travels through Firestore
listeners under firestore.rules; these functions only do what needs the server."""

from __future__ import annotations

import flask

from functions.vr import breaks, commands, films, headsets, pairing, sessions, summary
from functions.vr.models import (
    BreakCheck,
    BreakOutcome,
    Command,
    Ended,
    FilmNotLicensed,
    FilmUrl,
    HeadsetRefused,
    Issued,
    OpenSession,
    Pair,
    Paired,
    PairingCodeExpired,
    PairingCodeInvalid,
    Session,
    SessionEnded,
    SessionFull,
    Summary,
    VrNotLicensed,
)
from functions.vr.summary import FilmNotInSession
from shared import errors
from shared.catalogue import NotLicensed
from shared.clients import ClientRestricted
from shared.courses import AlreadyPerformed
from shared.http import Api, caller_address, http_function
from shared.principal import Principal, Role
from shared.tenancy import TenantData

api = Api("Trivsel VR sessions: the tablet's side")
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
SESSION = "/sessions/<session_id>"


@api.route(
    "POST",
    "/sessions",
    summary="Open a VR session for a client; answers its pairing code",
    roles=MEMBERS,
    status=201,
    refusals=[VrNotLicensed, ClientRestricted],
)
def open_session(caller: Principal, tenant: TenantData, body: OpenSession) -> Session:
    return sessions.open_session(caller, tenant, body)


@api.route("GET", SESSION, summary="The session: headsets paired and connected", roles=MEMBERS)
def get_session(caller: Principal, tenant: TenantData, session_id: str) -> Session:
    return sessions.describe(tenant, caller, session_id)


@api.route(
    "POST",
    SESSION + "/pairing-code",
    summary="A new pairing code (the previous one stops working)",
    roles=MEMBERS,
    refusals=[SessionEnded],
)
def new_pairing_code(caller: Principal, tenant: TenantData, session_id: str) -> Session:
    return sessions.new_pairing_code(caller, tenant, session_id)


@api.route(
    "DELETE",
    SESSION + "/headsets/<headset_id>",
    summary="Remove a headset: its token stops working at once",
    roles=MEMBERS,
    refusals=[SessionEnded],
)
def remove_headset(caller: Principal, tenant: TenantData, session_id: str, headset_id: str) -> None:
    sessions.remove_headset(caller, tenant, session_id, headset_id)


@api.route(
    "POST",
    SESSION + "/commands",
    summary="Send play, pause, resume or stop to all headsets or one, numbered by the server",
    roles=MEMBERS,
    status=201,
    refusals=[SessionEnded, FilmNotLicensed],
)
def send_command(caller: Principal, tenant: TenantData, session_id: str, body: Command) -> Issued:
    return commands.issue(caller, tenant, session_id, body)


@api.route(
    "POST",
    SESSION + "/end",
    summary="End the session with its summary (stored on the client)",
    roles=MEMBERS,
    refusals=[SessionEnded, ClientRestricted, AlreadyPerformed, NotLicensed, FilmNotInSession],
)
def end_session(caller: Principal, tenant: TenantData, session_id: str, body: Summary) -> Ended:
    return summary.end(caller, tenant, session_id, body)


@http_function(api)
def vr_api(request: flask.Request) -> flask.Response:
    return api(request)


# Headsets have no account: pairing is public (the code is the key, guesses are limited),
# a film's URL takes the headset's own ID token (functions/vr/headsets.py).
headset_api = Api("Trivsel VR sessions: the headsets' side")


@headset_api.route(
    "POST",
    "/pair",
    summary="Exchange a pairing code for the headset's custom token",
    roles=None,
    status=201,
    refusals=[
        PairingCodeInvalid,
        PairingCodeExpired,
        SessionFull,
        VrNotLicensed,
        errors.RateLimited,
        errors.TenantSuspended,
        errors.TenantTerminated,
        errors.TenantRestoring,
        errors.DpaMissing,
    ],
)
def pair(request: flask.Request, body: Pair) -> Paired:
    address = caller_address(request.headers.get("X-Forwarded-For"), request.remote_addr)
    return pairing.pair(body.code, address)


@headset_api.route(
    "GET",
    "/films/<film_id>/url",
    summary="A signed URL (15 minutes) for a film of the licensed catalogue",
    roles=None,
    refusals=[
        FilmNotLicensed,
        HeadsetRefused,
        VrNotLicensed,
        errors.Unauthenticated,
        errors.InvalidToken,
        errors.TenantSuspended,
        errors.TenantTerminated,
        errors.TenantRestoring,
        errors.DpaMissing,
    ],
)
def film_url(request: flask.Request, film_id: str) -> FilmUrl:
    headset = headsets.verify(request.headers.get("Authorization"))
    return films.film_url(headset.tenant, film_id)


@http_function(headset_api)
def vr_headset_api(request: flask.Request) -> flask.Response:
    return headset_api(request)


# Internal: reachable only by Cloud Tasks (IAM invoker), so no Firebase principal.
break_api = Api("Internal: the 30-minute VR break")


@break_api.route("POST", "/", summary="Recommend a break if it is due now", roles=None)
def check_break(body: BreakCheck) -> BreakOutcome:
    return BreakOutcome(recommended=breaks.check(body))


@http_function(break_api)
def vr_break_check(request: flask.Request) -> flask.Response:
    return break_api(request)
