"""Request/response plumbing shared by the Google APIs: Google's error body, the `fields`
partial-response selector, opaque page tokens and query-parameter parsing."""
from __future__ import annotations

import base64
import binascii
import functools
import time
from typing import Any, Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response

from sandbox.emulator import json_response

# HTTP status -> (google.rpc status, errors[].reason, default message)
STATUS = {
    400: ("INVALID_ARGUMENT", "badRequest", "Bad Request"),
    401: ("UNAUTHENTICATED", "authError",
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
          "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."),
    403: ("PERMISSION_DENIED", "forbidden", "The caller does not have permission"),
    404: ("NOT_FOUND", "notFound", "Requested entity was not found."),
    410: (None, "gone", "Resource has been deleted"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "backendError", "Internal error encountered."),
    502: ("UNAVAILABLE", "backendError", "Bad Gateway"),
    503: ("UNAVAILABLE", "backendError", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "backendError", "The request timed out. Please try again."),
}


class ApiError(Exception):
    """An error answered in Google's shape: `{"error": {"code", "message", "errors": [...], "status"}}`.

    `legacy` APIs (Calendar, Drive, Gmail) carry the `errors` list; the newer ones (Sheets, GA4) don't."""

    def __init__(self, code: int, message: str | None = None, reason: str | None = None, domain: str = "global",
                 location: str | None = None, legacy: bool = True, details: list | None = None):
        status, default_reason, default_message = STATUS.get(code, (None, "unknown", "Unknown Error"))
        super().__init__(message or default_message)
        self.code, self.message, self.status = code, message or default_message, status
        self.reason, self.domain, self.location = reason or default_reason, domain, location
        self.legacy, self.details = legacy, details

    def body(self) -> dict:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.legacy:
            item = {"message": self.message, "domain": self.domain, "reason": self.reason}
            if self.location:
                item |= {"location": self.location, "locationType": "header" if self.location == "Authorization" else "parameter"}
            err["errors"] = [item]
        if self.status:
            err["status"] = self.status
        if self.details:
            err["details"] = self.details
        return {"error": err}

    def response(self) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'} if self.code == 401 else None
        return json_response(self.body(), self.code, headers)


def invalid(message: str, location: str | None = None, reason: str = "invalid") -> ApiError:
    return ApiError(400, message, reason, location=location)


Handler = Callable[[Request], Awaitable[Any]]


def endpoint(default_fields: str | None = None) -> Callable[[Handler], Handler]:
    """Wraps a handler returning a dict: renders `ApiError`s and applies the `fields` selector
    (or the API's default selection, as Drive v3 does)."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def handler(*args: Any) -> Response:  # (request) or, on a method, (self, request)
            request: Request = args[-1]
            try:
                body = await fn(*args)
                selector = request.query_params.get("fields") or default_fields
                if selector:
                    body = select(body, parse_fields(selector))
            except ApiError as e:
                return e.response()
            return json_response(body)

        return handler

    return wrap


# --- the `fields` selector: `a,b(c,d/e),f/*` -> {"a": None, "b": {"c": None, "d": {"e": None}}, "f": None}

def parse_fields(text: str) -> dict:
    compact = text.replace(" ", "")
    tree, end = _parse_fields(compact, 0)
    if end != len(compact):
        raise invalid(f"Invalid field selection {text}", "fields", "invalidParameter")
    return tree


def _parse_fields(s: str, i: int) -> tuple[dict, int]:
    tree: dict = {}
    while i < len(s):
        j = i
        while j < len(s) and s[j] not in ",()":
            j += 1
        path = s[i:j].split("/")
        if not all(path):
            raise invalid(f"Invalid field selection {s}", "fields", "invalidParameter")
        sub = None
        if j < len(s) and s[j] == "(":
            sub, j = _parse_fields(s, j + 1)
            if j >= len(s) or s[j] != ")":
                raise invalid(f"Invalid field selection {s}", "fields", "invalidParameter")
            j += 1
        node = tree
        for name in path[:-1]:
            node = node.setdefault(name, {}) if node.get(name, {}) is not None else {}
        last = path[-1]
        if sub is None or node.get(last, {}) is None:
            node[last] = None
        else:
            node[last] = {**(node.get(last) or {}), **sub}
        if j < len(s) and s[j] == ",":
            j += 1
        elif j < len(s) and s[j] == ")":
            return tree, j
        i = j
    return tree, i


def select(value: Any, tree: dict | None) -> Any:
    if tree is None or "*" in tree and len(tree) == 1:
        return value
    if isinstance(value, list):
        return [select(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return {k: select(v, tree.get(k)) for k, v in value.items()}
    return {k: select(value[k], sub) for k, sub in tree.items() if k in value}


def rfc3339(t: int) -> str:
    """A whole-second epoch as Google writes timestamps (`2026-11-02T09:30:00.000Z`), without datetime objects."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


# --- opaque page tokens

def encode_token(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


def decode_token(token: str, location: str = "pageToken") -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise invalid("Invalid page token value." if location == "pageToken" else "Invalid Value", location) from None


def decode_cursor(token: str) -> tuple:
    """A page token holding the sort key of the previous page's last item (lists become tuples)."""
    value = decode_token(token)
    if not isinstance(value, list) or not value:
        raise invalid("Invalid page token value.", "pageToken")
    return _tupled(value)


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


# --- query parameters

def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    """An integer parameter; values above `hi` are coerced to `hi`, as Google does."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"Invalid value '{raw}'. Values must match the following regular expression: '[0-9]+'", name) from None
    if value < lo:
        raise invalid(f"Invalid value '{raw}' for {name}", name)
    return min(value, hi)


def bool_param(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise invalid(f"Invalid value '{raw}'. Values must be 'true' or 'false'", name)
    return raw.lower() == "true"
