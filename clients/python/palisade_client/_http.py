"""Which HTTP library the client runs on: `httpx`, `httpx2` (the fork the 2026 generation of the
openai/anthropic SDKs ships with, same Client/Auth API), or both.

`PalisadeAuth` derives from the `Auth` base of every library present, so one instance is
accepted by `httpx.Client(auth=...)` and `httpx2.Client(auth=...)` alike (both check
`isinstance(auth, Auth)` against their own base class). Importing this module does no I/O.
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Optional, Tuple, Union

try:
    import httpx as _httpx
except ImportError:  # pragma: no cover - depends on the environment
    _httpx = None  # type: ignore[assignment]
try:
    import httpx2 as _httpx2
except ImportError:  # pragma: no cover - depends on the environment
    _httpx2 = None  # type: ignore[assignment]

LIBRARIES: Tuple[ModuleType, ...] = tuple(m for m in (_httpx, _httpx2) if m is not None)
if not LIBRARIES:  # pragma: no cover - depends on the environment
    raise ImportError("palisade_client needs `httpx` or `httpx2` installed")

#: Base classes of `PalisadeAuth`: the `Auth` class of every library present.
AUTH_BASES: Tuple[type, ...] = tuple(m.Auth for m in LIBRARIES)


def library_of(transport: object) -> ModuleType:
    """The library a transport belongs to (a client must be built from the same one)."""
    for lib in LIBRARIES:
        if isinstance(transport, lib.BaseTransport):
            return lib
    raise TypeError(f"not an httpx or httpx2 transport: {type(transport).__name__}")


def ssl_context(verify: Union[bool, str, ssl.SSLContext]) -> Union[bool, ssl.SSLContext]:
    """A CA file path becomes an SSLContext: both libraries deprecate `verify=<str>`."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


def new_client(verify: Union[bool, str, ssl.SSLContext], transport: Optional[object] = None):
    """A short-lived client for enrollment calls, on the transport's library if one is given."""
    if transport is not None:
        return library_of(transport).Client(transport=transport)
    return LIBRARIES[0].Client(verify=ssl_context(verify))
