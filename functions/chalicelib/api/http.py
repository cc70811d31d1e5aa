"""The one place where HTTP meets the domain: authentication, body parsing, error mapping.

Every route is declared through `endpoint`, so each view only parses its parameters,
calls one service function and shapes the answer. Domain exceptions become HTTP statuses
here, by type; no message of a submitted value can reach a response because domain
exceptions are built without them and anything unexpected becomes a bare 500.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable

from chalice import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.domain import errors

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.InvalidInput: (400, "invalid_input"),
    errors.Unauthorized: (401, "unauthorized"),
    errors.Forbidden: (403, "forbidden"),
    errors.NotFound: (404, "not_found"),
    errors.Conflict: (409, "conflict"),
    errors.PreconditionFailed: (412, "precondition_failed"),
    errors.PayloadTooLarge: (413, "payload_too_large"),
    errors.Unavailable: (503, "unavailable"),
}
RETRY_AFTER_SECONDS = "2"


def error_response(status: int, code: str, message: str,
                   details: list[dict[str, str]] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return Response(body={"error": body}, status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def response_for(error: errors.DomainError) -> Response:
    for error_type in type(error).__mro__:
        if error_type in STATUS_BY_ERROR:
            status, code = STATUS_BY_ERROR[error_type]
            break
    else:
        status, code = 500, "internal_error"
    details = [{"path": problem.path, "message": problem.message}
               for problem in getattr(error, "problems", ())]
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return error_response(status, code, str(error), details, headers)


def bearer_token(headers: dict[str, str]) -> str:
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized("a bearer token is required")
    return token.strip()


def json_body(raw_body: bytes | None) -> Any:
    """The request's JSON document; the size limit is checked before anything is parsed."""
    raw = raw_body or b""
    if len(raw) > bootstrap.get_settings().max_body_bytes:
        raise errors.PayloadTooLarge("the request body is larger than the limit")
    if not raw.strip():
        raise errors.InvalidInput([errors.Problem("", "a JSON body is required")])
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise errors.InvalidInput([errors.Problem("", "the body is not valid UTF-8 JSON")]) from e


def endpoint(blueprint: Blueprint, path: str, *, methods: tuple[str, ...] = ("GET",),
             public: bool = False, status: int = 200,
             content_types: tuple[str, ...] = ("application/json",)) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers a view that receives the authenticated `Caller` (unless public) and the request."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handle(**path_parameters: str) -> Response:
            request = blueprint.current_request
            try:
                if public:
                    answer = view(request, **path_parameters)
                else:
                    caller = bootstrap.get_token_verifier().caller(bearer_token(request.headers))
                    answer = view(caller, request, **path_parameters)
            except errors.DomainError as e:
                return response_for(e)
            except Exception as e:
                logger.error("unhandled %s on %s %s", type(e).__name__, request.method, request.path)
                return error_response(500, "internal_error", "an internal error occurred")
            if isinstance(answer, Response):
                return answer
            return Response(body=answer, status_code=status, headers={"Content-Type": "application/json"})

        blueprint.route(path, methods=list(methods), content_types=list(content_types))(handle)
        return view

    return register

