"""`PalisadeAuth`, an `httpx.Auth` that enrolls with Palisade and DPoP-signs every request.

Endpoints it expects on `base_url` (the gateway):

- ``POST /v1/enroll/challenge`` ``{"identity": <spiffe id>}`` -> ``{"nonce", "expires_at"}``
- ``POST /v1/enroll`` ``{"identity", "nonce", "jwk", "proof", "evidence": [...]}``
  -> ``{"access_token", "token_type": "DPoP", "expires_in"}``. ``proof`` is a DPoP proof
  (htm POST, htu the enroll URL) whose ``nonce`` claim is the challenge nonce: it proves the
  workload holds the key it enrolls.
- ``POST /v1/enroll/refresh`` (empty body; ``Authorization: DPoP <token>`` and a ``DPoP`` proof
  for that URL) -> same shape as ``/v1/enroll``: a fresh token with the same key binding, never
  past the original appraisal's expiry. Tried first when the token is about to expire; on any
  refusal the client enrolls again with fresh evidence.
- ``GET /.well-known/jwks.json`` (not needed by the client; for verifiers).

Evidence is supplied by the caller: a list of items (e.g. ``[{"kind": "join_token", "token":
"pjt_..."}]``; a join token works once), or a callable ``evidence(nonce, binding) -> list``
invoked at each enrollment, where ``binding = SHA-256(nonce || "." || jkt)`` is what TEE
evidence must carry. The token is renewed ``refresh_margin`` seconds before expiry (refresh,
else re-enrollment). A 401 with a ``DPoP-Nonce`` header is retried once with that server nonce.
"""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any, Callable, Iterable, List, Optional, Union

from ._http import AUTH_BASES, new_client
from .dpop import DpopKey, binding

Evidence = Union[List[dict], Callable[[str, bytes], List[dict]]]


class EnrollmentError(Exception):
    """Enrollment was refused; `code` is the gateway's error code."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"enrollment refused ({status} {code}): {message}")
        self.status = status
        self.code = code


class PalisadeAuth(*AUTH_BASES):  # type: ignore[misc]
    """httpx/httpx2 auth for Palisade. Works with ``openai.OpenAI(http_client=httpx.Client(auth=...))``
    and with ``httpx2.Client(auth=...)`` (the SDKs that ship with httpx2)."""

    def __init__(
        self,
        base_url: str,
        identity: str,
        evidence: Evidence,
        key: Optional[DpopKey] = None,
        verify: Union[bool, str, ssl.SSLContext] = True,
        refresh_margin: float = 30.0,
        enroll_transport: Optional[Any] = None,
        clock: Callable[[], float] = time.time,
    ):
        self.base_url = base_url.rstrip("/")
        self.identity = identity
        self.key = key or DpopKey()
        self._evidence = evidence
        self._verify = verify
        self._transport = enroll_transport
        self._margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._server_nonce: Optional[str] = None
        self.enrollments = 0
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"PalisadeAuth(identity={self.identity!r}, key={self.key!r})"

    # ------------------------------------------------------------------ enrollment

    def _client(self):
        """An `httpx` (or `httpx2`) client for enrollment calls."""
        return new_client(self._verify, self._transport)

    @staticmethod
    def _check(resp) -> dict:
        try:
            body = resp.json()
        except ValueError:
            # Fail closed with the status only: the body may be a proxy's HTML page.
            raise EnrollmentError(resp.status_code, "invalid_response", "the gateway's answer is not JSON")
        if resp.status_code != 200:
            err = body.get("error", {}) if isinstance(body, dict) else {}
            raise EnrollmentError(resp.status_code, err.get("code", "unknown"), err.get("message", ""))
        return body

    def _evidence_for(self, nonce: str) -> List[dict]:
        if callable(self._evidence):
            return list(self._evidence(nonce, binding(nonce, self.key.thumbprint())))
        return list(self._evidence)

    def enroll(self) -> str:
        """Challenge -> evidence -> token. Returns the access token."""
        with self._client() as c:
            ch = self._check(c.post(self.base_url + "/v1/enroll/challenge", json={"identity": self.identity}))
            nonce = ch["nonce"]
            url = self.base_url + "/v1/enroll"
            body = {
                "identity": self.identity,
                "nonce": nonce,
                "jwk": self.key.jwk,
                "proof": self.key.proof("POST", url, nonce=nonce),
                "evidence": self._evidence_for(nonce),
            }
            tok = self._check(c.post(url, json=body))
        self._accept(tok)
        self.enrollments += 1
        return tok["access_token"]

    def _accept(self, tok: dict) -> None:
        if tok.get("token_type") != "DPoP":
            raise EnrollmentError(200, "unexpected_token_type", str(tok.get("token_type")))
        self._token = tok["access_token"]
        self._expires_at = self._clock() + float(tok["expires_in"])

    def refresh(self) -> bool:
        """Trades the current (still valid) token for a fresh one; False if refused."""
        if self._token is None or self._clock() >= self._expires_at:
            return False
        url = self.base_url + "/v1/enroll/refresh"
        headers = {
            "Authorization": f"DPoP {self._token}",
            "DPoP": self.key.proof("POST", url, access_token=self._token, nonce=self._server_nonce),
        }
        with self._client() as c:
            resp = c.post(url, headers=headers)
            nonce = resp.headers.get("DPoP-Nonce")
            if resp.status_code == 401 and nonce and nonce != self._server_nonce:
                # RFC 9449 §8.1: retry once with the server nonce.
                self._server_nonce = nonce
                headers["DPoP"] = self.key.proof("POST", url, access_token=self._token, nonce=nonce)
                resp = c.post(url, headers=headers)
        if resp.headers.get("DPoP-Nonce"):
            self._server_nonce = resp.headers["DPoP-Nonce"]
        if resp.status_code != 200:
            return False
        self._accept(resp.json())
        self.refreshes += 1
        return True

    def token(self) -> str:
        """The current token, renewed when it expires within `refresh_margin` seconds."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                if not self.refresh():
                    self.enroll()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the token (e.g. after the gateway refused it); the next request re-enrolls."""
        with self._lock:
            self._token = None

    # ------------------------------------------------------------------ per request

    def _sign(self, request, token: str) -> None:
        request.headers["Authorization"] = f"DPoP {token}"
        request.headers.pop("x-api-key", None)
        request.headers["DPoP"] = self.key.proof(
            request.method, str(request.url), access_token=token, nonce=self._server_nonce
        )

    def auth_flow(self, request) -> Iterable:
        token = self.token()
        self._sign(request, token)
        response = yield request
        nonce = response.headers.get("DPoP-Nonce")
        if response.status_code == 401 and nonce and nonce != self._server_nonce:
            self._server_nonce = nonce
            self._sign(request, token)
            response = yield request
            nonce = response.headers.get("DPoP-Nonce")
        if nonce:
            # RFC 9449 §8.2: a nonce on any response replaces the one held.
            self._server_nonce = nonce
