"""The /_sandbox/ control endpoints, so another process can read counters and inject faults.

- ``GET /_sandbox/stats``: the counters (``SandboxState.stats()``).
- ``POST /_sandbox/faults``: one fault object, or a list queued in order, with the keyword
  arguments of ``SandboxState.inject`` plus ``target``, e.g.
  ``{"target": "numbers", "status": 503, "times": 2, "retry_after": "1"}``. 201, or 400 and
  nothing queued.
- ``DELETE /_sandbox/faults``: drop every queued fault. 204.
- ``POST /_sandbox/revoke``: revoke every token; answers ``{"revoked": n}``.
- ``POST /_sandbox/rent_faults``: ``{"kind": "timeout_after_commit" | "trial_account" |
  "no_credit", "delay": seconds}`` for the next rent (a list: the next ones, in order). 201.
- ``GET /_sandbox/rentals``: how many rents and releases the sandbox committed.
- ``POST /_sandbox/active``: ``{"count": N}`` replaces the project's rentals with N generated
  ones (deterministic, across regions and types, every 25th releasing); answers
  ``{"active": N}``, or 400 and nothing changed.
- ``POST /_sandbox/available``: one more number for rent, listed first (a watch's "new number");
  body ``{}`` or ``{"prefix": "+1206"}`` (the default: Seattle). Answers 201 with the offer as
  Sinch would list it, or 409 when that range is used up.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.catalog import NEW_STOCK_PREFIX
from bot.sandbox.rentals import DEFAULT_COMMIT_DELAY, RentFault
from bot.sandbox.state import Fault, FaultTarget, SandboxState

_PREFIX = re.compile(r"\+[0-9]{1,15}")
_FAULT_FIELDS = frozenset(
    {"target", "status", "times", "duration", "delay", "retry_after", "reset_connection"}
)


def control_routes(state: SandboxState) -> list[Route]:
    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats())

    async def add_faults(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _bad_request("the body must be JSON")
        items = payload if isinstance(payload, list) else [payload]
        try:
            # Validate all before queueing any, so a bad list changes nothing.
            parsed = [parse_fault(item) for item in items]
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        for target, fault in parsed:
            state.add_fault(target, fault)
        return JSONResponse({"pending_faults": state.pending_faults()}, status_code=201)

    async def clear_faults(request: Request) -> Response:
        state.clear_faults()
        return Response(status_code=204)

    async def revoke(request: Request) -> Response:
        return JSONResponse({"revoked": state.revoke_all_tokens()})

    async def add_rent_faults(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            items = payload if isinstance(payload, list) else [payload]
            parsed = [parse_rent_fault(item) for item in items]
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        for fault in parsed:
            state.rentals.add_fault(fault)
        return JSONResponse({"pending_rent_faults": len(state.rentals.faults)}, status_code=201)

    async def rentals(request: Request) -> Response:
        return JSONResponse({"rents": state.rentals.rents, "releases": state.rentals.releases})

    async def seed_active(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            count = _integer(payload, "count") if isinstance(payload, dict) else None
            if count is None:
                raise TypeError('the body must be {"count": N}')
            seeded = state.seed_active(count)
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc) or "the body must be JSON")
        return JSONResponse({"active": seeded})

    async def add_available(request: Request) -> Response:
        try:
            body = await request.body()
            payload = json.loads(body) if body.strip() else {}
            if not isinstance(payload, dict) or set(payload) - {"prefix"}:
                raise TypeError('the body must be {} or {"prefix": "+1206"}')
            prefix = payload.get("prefix", NEW_STOCK_PREFIX)
            if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
                raise ValueError('prefix must be "+" and 1-15 digits, e.g. "+1206"')
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc) or "the body must be JSON")
        offer = state.add_offer(prefix)
        if offer is None:
            return JSONResponse({"error": f"no fictional numbers left under {prefix}"}, 409)
        return JSONResponse(offer.to_wire(), status_code=201)

    return [
        Route("/_sandbox/available", add_available, methods=["POST"]),
        Route("/_sandbox/rent_faults", add_rent_faults, methods=["POST"]),
        Route("/_sandbox/rentals", rentals, methods=["GET"]),
        Route("/_sandbox/active", seed_active, methods=["POST"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/faults", add_faults, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/revoke", revoke, methods=["POST"]),
    ]


def parse_fault(item: object) -> tuple[FaultTarget, Fault]:
    """A JSON fault object as (target, Fault); TypeError/ValueError say what is wrong."""
    if not isinstance(item, dict):
        raise TypeError("each fault must be a JSON object")
    unknown = set(item) - _FAULT_FIELDS
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    target = item.get("target")
    if target != "token" and target != "numbers":
        raise ValueError('target must be "token" or "numbers"')
    retry_after = item.get("retry_after")
    if retry_after is not None and not isinstance(retry_after, str):
        raise TypeError("retry_after must be a string")
    reset = item.get("reset_connection", False)
    if not isinstance(reset, bool):
        raise TypeError("reset_connection must be true or false")
    fault = Fault(
        status=_integer(item, "status"),
        # An explicit null means "no limit"; a missing key means the default, once.
        times=_integer(item, "times") if "times" in item else 1,
        duration=_number(item, "duration"),
        delay=_number(item, "delay"),
        retry_after=retry_after,
        reset_connection=reset,
    )
    return target, fault


def parse_rent_fault(item: object) -> RentFault:
    if not isinstance(item, dict):
        raise TypeError("each rent fault must be a JSON object")
    unknown = set(item) - {"kind", "delay"}
    if unknown:
        raise ValueError(f"unknown rent fault fields: {', '.join(sorted(unknown))}")
    delay = _number(item, "delay")
    return RentFault(
        kind=item.get("kind"),  # type: ignore[arg-type]  # RentFault checks it
        delay=DEFAULT_COMMIT_DELAY if delay is None else delay,
    )


def _integer(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name)
    # JSON true is a Python int too; it is not a status or a count.
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an integer")
    return value


def _number(item: dict[str, Any], name: str) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds")
    return float(value)


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)
