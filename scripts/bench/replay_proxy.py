"""A recording HTTP proxy, so a benchmark can time a client alone: the client's responses replayed from memory.

    python scripts/bench/replay_proxy.py UPSTREAM PORT

Until `GET /__replay` it forwards each GET to UPSTREAM (asking for the plain body) and keeps the answer,
its links rewritten from UPSTREAM to this proxy; from then on it answers every request it has seen from
memory, gzipped (level 3, as geo_service's JSON) when the client accepts gzip. scripts/bench/ogc.py uses
it to time GDAL's OAPIF harvest with no server work in it. It runs as a process of its own: pyogrio keeps
the interpreter lock while GDAL downloads, so a proxy thread beside the client would never answer.
"""

from __future__ import annotations

import gzip
import http.server
import sys
import urllib.request

_kept: dict[str, tuple[int, str, bytes, bytes]] = {}  # path → status, content type, body, gzipped body
_replaying = [False]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = here = ""  # set by main

    def log_message(self, *args: object) -> None:
        """Quiet: one line per page would cost more than serving it."""

    def do_GET(self) -> None:
        if self.path == "/__replay":
            _replaying[0] = True
            self._send(200, "text/plain", str(len(_kept)).encode(), None)
            return
        if not _replaying[0]:
            accept = {"Accept": self.headers.get("Accept", "*/*")}
            request = urllib.request.Request(self.upstream + self.path, headers=accept)  # noqa: S310 (loopback)
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
                body = response.read().replace(self.upstream.encode(), self.here.encode())
                kind = response.headers.get("Content-Type", "application/octet-stream")
                _kept[self.path] = (response.status, kind, body, gzip.compress(body, 3))
        status, kind, body, gzipped = _kept[self.path]
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            self._send(status, kind, gzipped, "gzip")
        else:
            self._send(status, kind, body, None)

    def _send(self, status: int, kind: str, body: bytes, encoding: str | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    port = int(sys.argv[2])
    Handler.upstream, Handler.here = sys.argv[1].rstrip("/"), f"http://127.0.0.1:{port}"
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
