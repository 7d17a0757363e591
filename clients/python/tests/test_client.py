"""Tests of the Palisade client: RFC thumbprints, proof format and signatures, and the
httpx.Auth flow (enroll, DPoP per request, DPoP-Nonce retry, refresh) against a fake gateway
on httpx.MockTransport (no network)."""

import base64
import hashlib
import json
import os
import pathlib

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from palisade_client import DpopKey, EnrollmentError, PalisadeAuth, binding, jwk_thumbprint

FIXTURES = pathlib.Path(
    os.environ.get("PALISADE_FIXTURES", pathlib.Path(__file__).resolve().parents[4] / "shared" / "fixtures")
)


def unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def decode(jws: str):
    h, p, s = jws.split(".")
    return json.loads(unb64(h)), json.loads(unb64(p)), (h + "." + p).encode(), unb64(s)


def verify(jws: str) -> dict:
    """Verifies a proof with the key embedded in its header; returns the claims."""
    header, claims, signing_input, sig = decode(jws)
    jwk = header["jwk"]
    if header["alg"] == "ES256":
        pub = ec.EllipticCurvePublicNumbers(
            int.from_bytes(unb64(jwk["x"]), "big"), int.from_bytes(unb64(jwk["y"]), "big"), ec.SECP256R1()
        ).public_key()
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        pub.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    else:
        ed25519.Ed25519PublicKey.from_public_bytes(unb64(jwk["x"])).verify(sig, signing_input)
    assert header["typ"] == "dpop+jwt"
    return claims


def test_rfc_thumbprints():
    rfc9449 = json.loads((FIXTURES / "jwt-dpop/rfc9449-dpop-examples.json").read_text())
    assert jwk_thumbprint(rfc9449["public_jwk"]) == rfc9449["jwk_thumbprint_rfc7638_sha256"]
    rfc8037 = json.loads((FIXTURES / "jwt-dpop/rfc8037-ed25519-jws-examples.json").read_text())
    priv = ed25519.Ed25519PrivateKey.from_private_bytes(unb64(rfc8037["private_jwk"]["d"]))
    key = DpopKey("EdDSA", priv)
    assert key.jwk == {k: rfc8037["public_jwk"][k] for k in ("crv", "kty", "x")}
    assert key.thumbprint() == rfc8037["jwk_thumbprint_rfc7638_sha256"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_proof_is_signed_and_carries_claims(alg):
    key = DpopKey(alg)
    p = key.proof("post", "https://gw.example/v1/chat?x=1#frag", access_token="tok", nonce="n1", now=100)
    claims = verify(p)
    assert claims["htm"] == "POST"
    assert claims["htu"] == "https://gw.example/v1/chat"
    assert claims["iat"] == 100
    assert claims["nonce"] == "n1"
    assert claims["ath"] == base64.urlsafe_b64encode(hashlib.sha256(b"tok").digest()).rstrip(b"=").decode()
    assert key.proof("GET", "https://x/") != key.proof("GET", "https://x/"), "fresh jti each time"
    header, _, signing_input, sig = decode(p)
    tampered = bytes([sig[0] ^ 1]) + sig[1:]
    with pytest.raises(InvalidSignature):
        verify(p.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(tampered).rstrip(b"=").decode())
    assert "d" not in header["jwk"] and "PRIVATE" not in repr(key)


class FakeGateway:
    """Just enough of Palisade's enrollment and DPoP checks to exercise the client."""

    def __init__(self, require_nonce=True, expires_in=60, allow_refresh=False, lib=httpx):
        self.lib = lib
        self.allow_refresh = allow_refresh
        self.require_nonce = require_nonce
        self.expires_in = expires_in
        self.nonces = {}
        self.tokens = {}
        self.calls = []
        self.evidence_seen = []

    def __call__(self, request):
        path = request.url.path
        if path == "/v1/enroll/challenge":
            n = f"nonce-{len(self.nonces)}"
            self.nonces[n] = json.loads(request.content)["identity"]
            return self.lib.Response(200, json={"nonce": n, "expires_at": 0})
        if path == "/v1/enroll":
            body = json.loads(request.content)
            if self.nonces.pop(body["nonce"], None) != body["identity"]:
                return self.lib.Response(401, json={"error": {"code": "nonce_reused", "message": "used"}})
            claims = verify(body["proof"])
            assert claims["nonce"] == body["nonce"] and claims["htm"] == "POST"
            assert claims["htu"] == "https://gw.example/v1/enroll"
            self.evidence_seen.append((body["nonce"], body["evidence"], jwk_thumbprint(body["jwk"])))
            tok = f"token-{len(self.tokens)}"
            self.tokens[tok] = jwk_thumbprint(body["jwk"])
            return self.lib.Response(200, json={"access_token": tok, "token_type": "DPoP", "expires_in": self.expires_in})
        if path == "/v1/enroll/refresh":
            scheme, tok = request.headers["Authorization"].split(" ", 1)
            claims = verify(request.headers["DPoP"])
            if not self.allow_refresh or tok not in self.tokens or claims["htu"] != str(request.url):
                return self.lib.Response(401, json={"error": {"code": "refused"}})
            new = f"token-{len(self.tokens)}"
            self.tokens[new] = self.tokens[tok]
            return self.lib.Response(200, json={"access_token": new, "token_type": "DPoP", "expires_in": self.expires_in})
        scheme, tok = request.headers["Authorization"].split(" ", 1)
        claims = verify(request.headers["DPoP"])
        self.calls.append((tok, claims))
        assert scheme == "DPoP" and tok in self.tokens
        assert claims["htu"] == str(request.url).split("?")[0]
        if self.require_nonce and claims.get("nonce") != "srv-nonce":
            return self.lib.Response(401, headers={"DPoP-Nonce": "srv-nonce"}, json={"error": {"code": "use_dpop_nonce"}})
        return self.lib.Response(200, json={"ok": True, "token": tok})


def make(gw, evidence, clock, lib=httpx):
    transport = lib.MockTransport(gw)
    auth = PalisadeAuth(
        "https://gw.example", "spiffe://lab.example/research/a", evidence,
        enroll_transport=transport, clock=clock, refresh_margin=10,
    )
    return auth, lib.Client(transport=transport, auth=auth)


def test_enroll_call_nonce_retry_and_refresh():
    gw = FakeGateway()
    now = [1000.0]

    def evidence(nonce, bind):
        return [{"kind": "sample_tee", "report_data": bind.hex()}]

    auth, client = make(gw, evidence, lambda: now[0])
    r = client.post("https://gw.example/v1/chat/completions?stream=false", json={"model": "m"}, headers={"Authorization": "Bearer unused"})
    assert r.status_code == 200 and r.json()["token"] == "token-0"
    assert len(gw.calls) == 2, "first call got DPoP-Nonce and was retried once"
    nonce, ev, jkt = gw.evidence_seen[0]
    assert ev[0]["report_data"] == binding(nonce, jkt).hex()
    assert bytes.fromhex(ev[0]["report_data"]) == hashlib.sha256(f"{nonce}.{jkt}".encode()).digest()
    assert client.get("https://gw.example/v1/models").status_code == 200
    assert auth.enrollments == 1
    now[0] += 51  # within refresh_margin of expiry (60 s): re-enroll
    assert client.get("https://gw.example/v1/models").json()["token"] == "token-1"
    assert auth.enrollments == 2


def test_refresh_before_expiry_keeps_key_without_new_evidence():
    gw = FakeGateway(require_nonce=False, allow_refresh=True)
    now = [0.0]
    auth, client = make(gw, [{"kind": "join_token", "token": "pjt_once"}], lambda: now[0])
    assert client.get("https://gw.example/v1/models").json()["token"] == "token-0"
    now[0] += 55
    assert client.get("https://gw.example/v1/models").json()["token"] == "token-1"
    assert (auth.enrollments, auth.refreshes) == (1, 1)
    assert gw.tokens["token-1"] == auth.key.thumbprint()
    now[0] += 120  # token expired: cannot refresh, must enroll again
    client.get("https://gw.example/v1/models")
    assert auth.enrollments == 2


def test_enrollment_refusal_raises_with_code():
    gw = FakeGateway()

    def refuse(request):
        if request.url.path == "/v1/enroll":
            return httpx.Response(403, json={"error": {"code": "identity_revoked", "message": "identity is revoked"}})
        return gw(request)

    _, client = make(refuse, [{"kind": "join_token", "token": "pjt_x"}], lambda: 0.0)
    with pytest.raises(EnrollmentError) as e:
        client.get("https://gw.example/v1/models")
    assert e.value.code == "identity_revoked" and e.value.status == 403
    assert gw.calls == [], "no request is sent without a token"


def test_import_does_no_io():
    import importlib
    import socket

    real = socket.socket

    def boom(*a, **k):
        raise AssertionError("network at import")

    socket.socket = boom
    try:
        import palisade_client

        importlib.reload(palisade_client)
    finally:
        socket.socket = real


def test_same_auth_works_with_httpx2():
    """The SDKs of the openai 3 / anthropic 2 generation run on `httpx2`: its Client must accept
    the auth (it checks isinstance against its own Auth), and enroll + refresh + the DPoP-Nonce
    retry must work on its transport."""
    httpx2 = pytest.importorskip("httpx2")
    gw = FakeGateway(allow_refresh=True, lib=httpx2)
    now = [0.0]
    auth, client = make(gw, [{"kind": "join_token", "token": "pjt_once"}], lambda: now[0], lib=httpx2)
    assert isinstance(auth, httpx2.Auth) and isinstance(auth, httpx.Auth)
    assert client.get("https://gw.example/v1/models").json()["token"] == "token-0"
    assert len(gw.calls) == 2, "DPoP-Nonce retry on httpx2"
    now[0] += 55
    assert client.get("https://gw.example/v1/models").json()["token"] == "token-1"
    assert (auth.enrollments, auth.refreshes) == (1, 1)


def test_non_json_enrollment_answer_fails_closed():
    def html(request):
        return httpx.Response(502, text="<html>bad gateway</html>")

    _, client = make(html, [{"kind": "join_token", "token": "pjt_x"}], lambda: 0.0)
    with pytest.raises(EnrollmentError) as e:
        client.get("https://gw.example/v1/models")
    assert (e.value.status, e.value.code) == (502, "invalid_response")


@pytest.mark.parametrize("missing,present", [("httpx", "httpx2"), ("httpx2", "httpx")])
def test_runs_with_only_one_http_library(missing, present):
    """Import fallback: with one library absent the client still imports and its auth is
    accepted by the other library's Client. Runs in a subprocess so the absence is real."""
    pytest.importorskip(present)
    import subprocess
    import sys

    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        f"import {present} as lib\n"
        "from palisade_client import PalisadeAuth\n"
        "from palisade_client._http import AUTH_BASES\n"
        "assert AUTH_BASES == (lib.Auth,), AUTH_BASES\n"
        "a = PalisadeAuth('https://gw.example', 'spiffe://lab.example/research/a', [])\n"
        "lib.Client(auth=a)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
