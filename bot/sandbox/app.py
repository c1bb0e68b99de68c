"""The sandbox ASGI app: Sinch's token endpoint, three Numbers endpoints, /_sandbox/ controls."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.sandbox.connections import ConnectionRegistry
from bot.sandbox.control import control_routes
from bot.sandbox.queries import InvalidArgument, list_active, list_regions, search_available
from bot.sandbox.rentals import SandboxApiError
from bot.sandbox.state import FaultTarget, SandboxState

_PROJECT_PATH = "/v1/projects/{project_id}"

# Google RPC status names (the envelope's "status") for the HTTP statuses the sandbox sends.
_RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# OAuth 2 error codes (RFC 6749 section 5.2) for injected token-endpoint failures.
_OAUTH_ERROR = {
    400: "invalid_request",
    401: "invalid_client",
    403: "unauthorized_client",
    429: "temporarily_unavailable",
    503: "temporarily_unavailable",
}

_EXPIRED = 'Bearer error="invalid_token", error_description="expired"'
_REJECTED = 'Bearer error="invalid_token", error_description="unknown or revoked token"'
_NO_TOKEN = 'Bearer realm="sinch"'

Endpoint = Callable[[Request], Awaitable[Response]]
Answer = Callable[[Request], dict[str, object] | Awaitable[dict[str, object]]]


def api_error(
    status_code: int,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The Numbers API error envelope: ``{"error": {"code", "message", "status", "details"}}``."""
    body = {
        "error": {
            "code": status_code,
            "message": message,
            "status": _RPC_STATUS.get(status_code, "UNKNOWN"),
            "details": details or [],
        }
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


def _oauth_error(
    status_code: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status_code=status_code, headers=headers)


class _ResetConnection(Response):
    """Instead of answering, drop the connection with a TCP reset."""

    def __init__(self, connections: ConnectionRegistry | None) -> None:
        super().__init__(status_code=500)
        self._connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        peer = (str(client[0]), int(client[1])) if client else None
        if self._connections is None or not self._connections.reset(peer):
            # Not served by SandboxServer (e.g. httpx.ASGITransport): the nearest equivalent.
            raise ConnectionResetError("sandbox fault: connection reset")
        # Wait until uvicorn has seen the connection go, or it would log and try to send a 500.
        while (await receive())["type"] != "http.disconnect":
            pass


class _Handlers:
    def __init__(
        self,
        state: SandboxState,
        closing: asyncio.Event | None,
        connections: ConnectionRegistry | None,
    ) -> None:
        self.state = state
        self.closing = closing
        self.connections = connections

    async def pause(self, seconds: float) -> None:
        """Sleep for real (latency is the point), but wake at once when the server is closing."""
        if seconds <= 0:
            return
        if self.closing is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.closing.wait()

    async def apply_fault(self, target: FaultTarget) -> Response | None:
        """Run the fault due now, if any: wait its delay, then the response replacing the answer."""
        fault = self.state.take_fault(target)
        if fault is None:
            return None
        if fault.delay:
            await self.pause(fault.delay)
        if fault.reset_connection:
            return _ResetConnection(self.connections)
        if fault.status is None:
            return None
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        if target == "token":
            error = _OAUTH_ERROR.get(fault.status, "server_error")
            return _oauth_error(fault.status, error, "injected by the sandbox", headers)
        if fault.status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": _REJECTED}
        return api_error(fault.status, "injected by the sandbox", headers=headers)

    # Token endpoint

    async def token(self, request: Request) -> Response:
        self.state.token_fetches += 1
        await self.pause(self.state.config.token_latency)
        faulted = await self.apply_fault("token")
        if faulted is not None:
            return faulted
        credentials = _basic_credentials(request.headers.get("authorization"))
        if credentials is None or not self.state.check_key(*credentials):
            return _oauth_error(
                401,
                "invalid_client",
                "client authentication failed",
                {"WWW-Authenticate": 'Basic realm="sinch"'},
            )
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return _oauth_error(
                400, "unsupported_grant_type", "only grant_type=client_credentials is supported"
            )
        body = {
            "access_token": self.state.issue_token(),
            "expires_in": self.state.config.token_lifetime,
            "scope": "",
            "token_type": "bearer",
        }
        # RFC 6749 section 5.1: token responses must not be cached.
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # Numbers API

    def numbers(self, endpoint: str, answer: Answer) -> Endpoint:
        async def handle(request: Request) -> Response:
            self.state.count_numbers_call(endpoint)
            await self.pause(self.state.config.latency)
            faulted = await self.apply_fault("numbers")
            if faulted is not None:
                return faulted
            refused = self.authenticate(request.headers.get("authorization"))
            if refused is not None:
                self.state.numbers_unauthorized += 1
                return refused
            project_id = request.path_params["project_id"]
            if project_id != self.state.project_id:
                return api_error(
                    404,
                    f"Project {project_id} not found",
                    details=[
                        {
                            "type": "ResourceInfo",
                            "resourceType": "Project",
                            "resourceName": project_id,
                            "owner": "",
                            "description": "",
                        }
                    ],
                )
            try:
                body = answer(request)
                if inspect.isawaitable(body):
                    body = await body
                return JSONResponse(body)
            except SandboxApiError as exc:
                return api_error(exc.status, exc.message, details=exc.details)
            except InvalidArgument as exc:
                violations = [
                    {"field": v.field, "description": v.description} for v in exc.violations
                ]
                return api_error(
                    400, str(exc), details=[{"type": "BadRequest", "fieldViolations": violations}]
                )

        return handle

    def authenticate(self, authorization: str | None) -> Response | None:
        """None when the caller may proceed; otherwise the 401 to send."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            status = self.state.check_token(value.strip())
            if status == "valid":
                return None
            header = _EXPIRED if status == "expired" else _REJECTED
            message = "token expired" if status == "expired" else "invalid token"
            return api_error(401, message, headers={"WWW-Authenticate": header})
        # The Numbers API also takes the key itself with HTTP Basic (rate-limited at Sinch).
        if scheme.lower() == "basic":
            credentials = _basic_credentials(authorization)
            if credentials is not None and self.state.check_key(*credentials):
                return None
            return api_error(401, "invalid credentials", headers={"WWW-Authenticate": _REJECTED})
        return api_error(401, "missing credentials", headers={"WWW-Authenticate": _NO_TOKEN})


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key_id, sep, key_secret = decoded.partition(":")
    return (key_id, key_secret) if sep else None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return api_error(exc.status_code, exc.detail, headers=dict(exc.headers or {}))


def create_app(
    state: SandboxState,
    *,
    closing: asyncio.Event | None = None,
    connections: ConnectionRegistry | None = None,
) -> Starlette:
    """The sandbox as a Starlette app. ``closing`` cuts injected waits short at shutdown."""
    handlers = _Handlers(state, closing, connections)

    def answer_search(request: Request) -> dict[str, object]:
        return search_available(state.catalog, request.query_params)

    def answer_regions(request: Request) -> dict[str, object]:
        return list_regions(state.catalog, request.query_params)

    def answer_active(request: Request) -> dict[str, object]:
        return list_active(
            state.catalog,
            request.query_params,
            project_id=state.project_id,
            today=state.today,
            max_page_size=state.config.max_page_size,
        )

    def number_of(request: Request) -> str:
        return str(request.path_params["phone_number"])

    def answer_available_number(request: Request) -> dict[str, object]:
        return state.rentals.available(state.catalog, number_of(request))

    def answer_active_number(request: Request) -> dict[str, object]:
        return state.rentals.active(
            state.catalog, number_of(request), state.project_id, state.today
        )

    async def answer_rent(request: Request) -> dict[str, object]:
        state.catalog, answer = state.rentals.rent(
            state.catalog,
            number_of(request),
            await request.body(),
            project_id=state.project_id,
            today=state.today,
        )
        # Committed above: a delay here is a rent whose answer the client never sees.
        await handlers.pause(answer.delay)
        return answer.body

    async def answer_release(request: Request) -> dict[str, object]:
        state.catalog, body = state.rentals.release(
            state.catalog, number_of(request), project_id=state.project_id, today=state.today
        )
        return body

    available_one = f"{_PROJECT_PATH}/availableNumbers/{{phone_number}}"
    active_one = f"{_PROJECT_PATH}/activeNumbers/{{phone_number}}"
    routes = [
        Route("/oauth2/token", handlers.token, methods=["POST"]),
        Route(
            available_one + ":rent",
            handlers.numbers("rent", answer_rent),
            methods=["POST"],
        ),
        Route(
            active_one + ":release",
            handlers.numbers("release", answer_release),
            methods=["POST"],
        ),
        Route(
            available_one,
            handlers.numbers("availableNumber", answer_available_number),
            methods=["GET"],
        ),
        Route(
            active_one,
            handlers.numbers("activeNumber", answer_active_number),
            methods=["GET"],
        ),
        Route(
            f"{_PROJECT_PATH}/availableNumbers",
            handlers.numbers("availableNumbers", answer_search),
            methods=["GET"],
        ),
        Route(
            f"{_PROJECT_PATH}/availableRegions",
            handlers.numbers("availableRegions", answer_regions),
            methods=["GET"],
        ),
        Route(
            f"{_PROJECT_PATH}/activeNumbers",
            handlers.numbers("activeNumbers", answer_active),
            methods=["GET"],
        ),
        *control_routes(state),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
