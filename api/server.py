"""uvicorn's httptools HTTP protocol with TCP_NODELAY on every connection.

With `--workers` > 1, uvicorn 0.54 binds the listening socket itself without naming the TCP
protocol, and asyncio then leaves Nagle's algorithm on: a response written in two parts waits for
the client's delayed ACK, about 40 ms per keep-alive request (Kludex/uvicorn#3149). Setting
TCP_NODELAY on each accepted connection removes that wait whatever uvicorn does.

`policycheck serve` uses it (httptools, uvicorn's faster parser, is a dependency).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _no_delay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that switches Nagle's algorithm off on its connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)
