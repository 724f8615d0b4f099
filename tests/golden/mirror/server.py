"""Serves the mirror sites on 127.0.0.1, one random free port per site, from a background thread.

    with MirrorServer() as mirror:
        path = mirror.write_sources(tmp_path / "sources.yaml")  # mirror/sources.yaml, ports filled in
        mirror.set_changed(True)                                 # site A: one article changes
        mirror.requests("a")                                     # every path site A was asked for

Nothing here talks to any address outside the loopback range.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.golden.mirror import sites

HERE = Path(__file__).resolve().parent
SOURCES_TEMPLATE = HERE / "sources.yaml"
EXPECTED = HERE / "expected.yaml"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up (the crawler cancelling an oversized download) are expected


class MirrorServer:
    def __init__(self, *, bench_articles: int = 0) -> None:
        self.changed = False
        self.views = 0
        self._lock = threading.Lock()
        self.log: dict[str, list[tuple[str, str]]] = {}
        self.sites: dict[str, sites.Site] = {
            "a": sites.build_site_a(changed=False),
            "b": sites.build_site_b(),
            "c": sites.build_site_c(),
            "d": sites.build_site_d(),
        }
        if bench_articles:
            self.sites["e"] = sites.build_site_e(bench_articles)
        self.servers: dict[str, _Server] = {}
        self.threads: list[threading.Thread] = []

    # ---- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> MirrorServer:
        for key in self.sites:
            server = _Server(("127.0.0.1", 0), self._handler(key))
            self.servers[key] = server
            thread = threading.Thread(target=server.serve_forever, name=f"mirror-{key}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- helpers for tests --------------------------------------------------------------------------

    def port(self, key: str) -> int:
        return self.servers[key].server_address[1]

    def base(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port(key)}"

    def set_changed(self, changed: bool) -> None:
        """Flip the switch: site A's article t20231208_1000009 gets an extra paragraph."""
        with self._lock:
            self.changed = changed
            self.sites["a"] = sites.build_site_a(changed=changed)

    def requests(self, key: str) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.log.get(key, []))

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def render(self, text: str) -> str:
        for key in self.servers:
            text = text.replace("{" + key + "_port}", str(self.port(key)))
        return text

    def write_sources(self, path: Path, template: Path = SOURCES_TEMPLATE) -> Path:
        path.write_text(self.render(template.read_text(encoding="utf-8")), encoding="utf-8")
        return path

    # ---- HTTP ---------------------------------------------------------------------------------------

    def _handler(self, key: str):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "mirror/1.0"
            disable_nagle_algorithm = (
                True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
            )

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                mirror._serve(key, self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                mirror._serve(key, self, self.rfile.read(length) if length else b"")

        return Handler

    def _serve(self, key: str, h: BaseHTTPRequestHandler, post_body: bytes) -> None:
        with self._lock:
            self.log.setdefault(key, []).append((h.command, h.path))
            site = self.sites[key]
        handler = getattr(self, f"_site_{key}", None)
        result = handler(site, h, post_body) if handler else None
        if result is None:
            result = self._static(site, h.path)
        status, headers, body = result
        if status == 200 and key == "d":
            headers["Last-Modified"] = format_datetime(datetime.now(UTC), usegmt=True)
            # a view counter and a token that change on every request (not a change of the page)
            with self._lock:
                self.views += 1
                views = self.views
            body = body.replace(b"<!--VIEWS-->", str(views).encode()).replace(
                b"<!--TOKEN-->", secrets.token_hex(8).encode()
            )
        self._send(h, status, headers, body)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD" and status != 304:
            h.wfile.write(body)

    def _static(self, site: sites.Site, raw_path: str, h: BaseHTTPRequestHandler | None = None):
        path = raw_path if raw_path in site.pages else urlsplit(raw_path).path
        page = site.pages.get(path)
        if page is None:
            name = urlsplit(raw_path).path.rsplit("/", 1)[-1]
            page = site.files_by_name.get(name)
        if page is None:
            return (
                404,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<html><body>404 Not Found</body></html>",
            )
        headers = {"Content-Type": page.content_type, **page.headers}
        return page.status, headers, page.body

    # Site A: validators and 304s.
    def _site_a(self, site: sites.Site, h: BaseHTTPRequestHandler, post_body: bytes):
        status, headers, body = self._static(site, h.path)
        path = urlsplit(h.path).path
        page = site.pages.get(path) or site.files_by_name.get(path.rsplit("/", 1)[-1])
        if status != 200 or page is None or not page.validators:
            return status, headers, body
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers["ETag"] = etag
        if page.last_modified:
            headers["Last-Modified"] = page.last_modified
        inm = h.headers.get("If-None-Match")
        ims = h.headers.get("If-Modified-Since")
        if inm is not None:
            if etag in [v.strip() for v in inm.split(",")]:
                return 304, {"ETag": etag}, b""
        elif ims and page.last_modified:
            try:
                if parsedate_to_datetime(ims) >= parsedate_to_datetime(page.last_modified):
                    return 304, {"ETag": etag}, b""
            except (TypeError, ValueError):
                pass
        return status, headers, body

    # Site B: Hanweb dataproxy and download script; no validators; robots.txt absent.
    def _site_b(self, site: sites.Site, h: BaseHTTPRequestHandler, post_body: bytes):
        parts = urlsplit(h.path)
        if parts.path == "/module/web/jpage/dataproxy.jsp":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            form = {k: v[0] for k, v in parse_qs(post_body.decode("ascii", "ignore")).items()}
            args = {**form, **query}
            start = int(args.get("startrecord", 1))
            end = int(args.get("endrecord", start + 14))
            return 200, {"Content-Type": "text/xml"}, sites.b_records(start, end)
        if parts.path == "/module/download/downfile.jsp":
            name = parse_qs(parts.query).get("filename", [""])[0]
            page = site.files_by_name.get(name)
            if page is None:
                return 404, {"Content-Type": "text/html"}, b"not found"
            return 200, {"Content-Type": page.content_type, **page.headers}, page.body
        return None

    # Site C: Ruishu-style gate on every path; JS cookie page, 500, off-domain redirect.
    def _site_c(self, site: sites.Site, h: BaseHTTPRequestHandler, post_body: bytes):
        cookies = {}
        for part in (h.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                cookies[name] = value
        if not (cookies.get(sites.C_COOKIE_S) and cookies.get(sites.C_COOKIE_T) == sites.C_COOKIE_VALUE):
            token = secrets.token_hex(16)
            return (
                412,
                {
                    "Content-Type": "text/html; charset=utf-8",
                    "Set-Cookie": f"{sites.C_COOKIE_S}={token}; path=/",
                },
                sites.ruishu_challenge(len(token)),
            )
        path = urlsplit(h.path).path
        if path == "/go-out":
            return 302, {"Location": f"http://127.0.0.2:{self.port('c')}/landing.html"}, b""
        return None
