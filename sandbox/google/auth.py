"""OAuth 2.0 for service accounts, offline: the key file, the JWT-bearer token endpoint, and the
bearer-token and scope checks every API makes.

google-auth signs a JWT (RS256) with the key file's private key and posts it to `token_uri`; we verify
it with the public key, check `iss`/`aud`/`exp`/`scope` (and `sub` for domain-wide delegation) and issue
a random bearer token. A token expires `expires_in` seconds after issue on the wall clock, or once the
world clock has moved more than that past its issue (after an advance of a day, clients refresh)."""
from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.requests import Request
from starlette.responses import Response

from sandbox.emulator import json_response
from sandbox.google.team import DOMAIN
from sandbox.google.web import ApiError

TOKEN_LIFETIME = 3600
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URIS = ("https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token",
                     "https://www.googleapis.com/oauth2/v4/token")
CLIENT_EMAIL = "penguin-data@penguinmails-data.iam.gserviceaccount.com"
PROJECT = "penguinmails-data"

_A = "https://www.googleapis.com/auth/"
# scopes that let a token call each API (from the discovery documents' method scopes)
SCOPES = {
    "calendar": {_A + s for s in ("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly",
                                  "calendar.events.owned", "calendar.events.owned.readonly")},
    "drive": {_A + s for s in ("drive", "drive.readonly", "drive.metadata", "drive.metadata.readonly")},
    "sheets": {_A + s for s in ("spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly")},
    "gmail": {"https://mail.google.com/"} | {_A + s for s in ("gmail.modify", "gmail.readonly", "gmail.metadata")},
    "analytics": {_A + s for s in ("analytics", "analytics.readonly")},
}
SERVICE_NAMES = {"calendar": "calendar-json.googleapis.com", "drive": "drive.googleapis.com",
                 "sheets": "sheets.googleapis.com", "gmail": "gmail.googleapis.com",
                 "analytics": "analyticsdata.googleapis.com"}
GMAIL_METADATA = _A + "gmail.metadata"
# what the Workspace admin authorised the service account's client id for (domain-wide delegation)
DELEGATED_SCOPES = set().union(*SCOPES.values())


@dataclass(frozen=True, slots=True)
class Grant:
    scopes: frozenset[str]
    subject: str | None  # the impersonated user (domain-wide delegation)
    expires_wall: float
    issued_world: int


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _b64decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Auth:
    def __init__(self, client_id: str):
        self.client_id = client_id
        self.key_id = secrets.token_hex(20)
        self._key: rsa.RSAPrivateKey | None = None
        self._grants: dict[str, Grant] = {}
        self.token_uri = ""
        self.key_file = ""

    def write_key_file(self, state_dir: str, base_url: str) -> str:
        """Makes a fresh key and writes the service-account JSON (as the Cloud console downloads it); returns its path."""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.token_uri = f"{base_url}/google/token"
        pem = self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
        info = {
            "type": "service_account", "project_id": PROJECT, "private_key_id": self.key_id, "private_key": pem,
            "client_email": CLIENT_EMAIL, "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{CLIENT_EMAIL.replace('@', '%40')}",
            "universe_domain": "googleapis.com",
        }
        path = Path(state_dir) / "google-service-account.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(info, indent=2))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        self.key_file = str(path)
        return self.key_file

    # --- the token endpoint

    async def token_endpoint(self, request: Request, world_now: int) -> Response:
        form = dict(parse_qsl((await request.body()).decode(errors="replace")))
        try:
            if form.get("grant_type") != JWT_GRANT:
                raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}")
            claims = self._verify(form.get("assertion", ""))
            grant = self._grant(claims, world_now)
        except OAuthError as e:
            return json_response({"error": e.error, "error_description": e.description}, e.status)
        token = "ya29.c." + secrets.token_urlsafe(96)
        now = time.time()
        self._grants = {k: g for k, g in self._grants.items() if g.expires_wall > now}
        self._grants[token] = grant
        return json_response({"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"})

    def _verify(self, assertion: str) -> dict:
        try:
            head_b64, body_b64, sig_b64 = assertion.split(".")
            header, claims = orjson.loads(_b64decode(head_b64)), orjson.loads(_b64decode(body_b64))
            signature = _b64decode(sig_b64)
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError
        except ValueError:
            raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.") from None
        if header.get("alg") != "RS256" or header.get("kid", self.key_id) != self.key_id:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.")
        try:
            self._key.public_key().verify(signature, f"{head_b64}.{body_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        return claims

    def _grant(self, claims: dict, world_now: int) -> Grant:
        if claims.get("iss") != CLIENT_EMAIL:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") not in (self.token_uri, *GOOGLE_TOKEN_URIS):
            raise OAuthError("invalid_grant", "Invalid JWT: Failed audience check.")
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat > TOKEN_LIFETIME or not iat - 300 <= now <= exp:
            raise OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                                              "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        subject = claims.get("sub")
        if subject is not None:
            if not str(subject).lower().endswith("@" + DOMAIN):
                raise OAuthError("invalid_grant", "Invalid email or User ID")
            if not scopes <= DELEGATED_SCOPES:
                raise OAuthError("unauthorized_client", "Client is unauthorized to retrieve access tokens using this "
                                                        "method, or client not authorized for any of the scopes requested.", 401)
        return Grant(scopes, str(subject).lower() if subject else None, now + TOKEN_LIFETIME, world_now)

    # --- checks every API makes

    def lookup(self, request: Request, world_now: int) -> Grant | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        grant = self._grants.get(header[7:].strip())
        if grant is None or grant.expires_wall < time.time() or world_now - grant.issued_world > TOKEN_LIFETIME:
            return None
        return grant

    def require(self, request: Request, world_now: int, api: str, legacy: bool = True) -> Grant:
        """The request's grant if its token may call `api`, else Google's 401/403."""
        grant = self.lookup(request, world_now)
        if grant is None:
            raise ApiError(401, reason="authError", location="Authorization", legacy=legacy)
        if not grant.scopes & SCOPES[api]:
            raise ApiError(403, "Request had insufficient authentication scopes.", "insufficientPermissions", legacy=legacy,
                           details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                                     "domain": "googleapis.com", "metadata": {"service": SERVICE_NAMES[api]}}])
        return grant
