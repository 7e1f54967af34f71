"""Serve a folder of JSON documents over HTTP on 127.0.0.1, for OGC API Features tests.

``python tests/static_http.py FOLDER`` prints its port on the first line, then serves
``GET /a/b?query`` from ``FOLDER/a/b.json`` (``/`` from ``FOLDER/index.json``), ignoring the
query, as ``application/geo+json`` for ``.../items`` and ``application/json`` otherwise. Any
other path is 404. It runs in its own process: GDAL holds the GIL while it reads, so a server
thread in the test process would deadlock.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit


def main(folder: Path) -> None:
    root = folder.resolve()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path.strip("/")
            file = (root / (path or "index")).with_suffix(".json").resolve()
            if root not in file.parents or not file.is_file():
                self.send_error(404)
                return
            data = file.read_bytes()
            self.send_response(200)
            kind = "application/geo+json" if path.endswith("items") else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
