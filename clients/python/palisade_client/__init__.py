"""Palisade client: enroll with evidence, hold a short-lived DPoP-bound token, sign a DPoP proof per request.

Importing this package does no I/O and no network access.
"""

from .auth import EnrollmentError, PalisadeAuth
from .dpop import DpopKey, binding, jwk_thumbprint

__all__ = ["PalisadeAuth", "EnrollmentError", "DpopKey", "binding", "jwk_thumbprint"]
