"""DPoP keys and proofs (RFC 9449) with RFC 7638 thumbprints, on the `cryptography` package.

ES256 (P-256) by default; Ed25519 (JOSE alg "EdDSA") on request. The private key never leaves
this object: only the public JWK and signatures do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8")


def binding(nonce: str, key_id: str) -> bytes:
    """SHA-256(nonce || "." || key_id): what TEE evidence must carry (report_data[0..32])."""
    return hashlib.sha256(nonce.encode("ascii") + b"." + key_id.encode("ascii")).digest()


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint of a public JWK (required members only, sorted, no whitespace)."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
    members = {k: jwk[k] for k in required[jwk["kty"]]}
    return b64u(hashlib.sha256(_json(members)).digest())


def htu_of(url: str) -> str:
    """The request URL without query or fragment (RFC 9449 section 4.2)."""
    return url.split("#", 1)[0].split("?", 1)[0]


class DpopKey:
    """A DPoP signing key. `alg` is "ES256" (default) or "EdDSA"."""

    def __init__(self, alg: str = "ES256", private_key=None):
        if alg == "ES256":
            self._key = private_key or ec.generate_private_key(ec.SECP256R1())
            nums = self._key.public_key().public_numbers()
            self.jwk = {
                "crv": "P-256",
                "kty": "EC",
                "x": b64u(nums.x.to_bytes(32, "big")),
                "y": b64u(nums.y.to_bytes(32, "big")),
            }
        elif alg == "EdDSA":
            self._key = private_key or ed25519.Ed25519PrivateKey.generate()
            from cryptography.hazmat.primitives import serialization

            raw = self._key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            self.jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64u(raw)}
        else:
            raise ValueError("alg must be ES256 or EdDSA")
        self.alg = alg

    def __repr__(self) -> str:  # never show key material
        return f"DpopKey(alg={self.alg!r}, jkt={self.thumbprint()!r})"

    def thumbprint(self) -> str:
        """RFC 7638 JWK SHA-256 thumbprint of this key."""
        return jwk_thumbprint(self.jwk)

    def _sign(self, data: bytes) -> bytes:
        if self.alg == "ES256":
            der = self._key.sign(data, ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._key.sign(data)

    def proof(
        self,
        htm: str,
        htu: str,
        access_token: Optional[str] = None,
        nonce: Optional[str] = None,
        now: Optional[int] = None,
    ) -> str:
        """A fresh dpop+jwt for one request."""
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.jwk}
        claims = {
            "jti": b64u(secrets.token_bytes(16)),
            "htm": htm.upper(),
            "htu": htu_of(htu),
            "iat": int(time.time()) if now is None else now,
        }
        if access_token is not None:
            claims["ath"] = b64u(hashlib.sha256(access_token.encode("ascii")).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        signing_input = b64u(_json(header)) + "." + b64u(_json(claims))
        return signing_input + "." + b64u(self._sign(signing_input.encode("ascii")))
