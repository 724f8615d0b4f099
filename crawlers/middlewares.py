"""Downloader middlewares: URL policy (domains, private addresses, robots.txt, size cap) and blocking.

Both get the crawl's SourceRun (source, robots rules, counters) from `crawler.settings` in
`from_crawler` (crawlers/report.py `run_of`), never from the spider.
"""

from __future__ import annotations

import logging
import re

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawlers.report import SourceRun, has_run, run_of
from crawlers.urlpolicy import classify_address, decide_url

logger = logging.getLogger(__name__)


class RefusedRequest(IgnoreRequest):
    """A request the crawler must not send or a response it must not use (policy, not failure)."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"refused ({reason}): {url}")
        self.reason = reason
        self.url = url


class BlockedRequest(IgnoreRequest):
    """The site answered with an anti-crawler challenge or a block page."""

    def __init__(self, block_type: str, url: str) -> None:
        super().__init__(f"blocked ({block_type}): {url}")
        self.block_type = block_type
        self.url = url


class SourcePolicyMiddleware:
    """Refuses off-domain, non-http(s), private/link-local (and, outside tests, loopback) targets and
    robots.txt-disallowed paths; adds the source's configured headers and cookies; caps response size."""

    user_agent_token = "policywatch"

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not has_run(crawler):
            raise NotConfigured("not a policywatch source crawl")
        return cls(crawler)

    @property
    def run(self) -> SourceRun:
        return run_of(self.crawler)

    def process_request(self, request: Request, spider=None):
        run = self.run
        source = run.source
        decision = decide_url(request.url, source.allowed_domains, allow_loopback=run.allow_loopback,
                              allow_private=source.allow_private)
        if not decision.allowed:
            raise RefusedRequest(decision.reason, request.url)
        kind = request.meta.get("pw_kind")
        if (
            kind != "robots"
            and source.obey_robots
            and not run.robots_allows(request.url, self.user_agent_token)
        ):
            raise RefusedRequest("robots", request.url)
        for name, value in source.headers.items():
            request.headers.setdefault(name, value)
        if source.cookies:
            request.cookies = {**source.cookies, **(request.cookies or {})}  # type: ignore[dict-item]
        cap = source.max_attachment_bytes if kind == "attachment" else source.max_page_bytes
        request.meta.setdefault("download_maxsize", cap)
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        run = self.run
        address = getattr(response, "ip_address", None)
        if address is not None and not run.source.allow_private:
            # Defence in depth: crawlers.resolver already refused such addresses before connecting.
            kind = classify_address(str(address))
            if kind in ("private", "link_local", "reserved") or (
                kind == "loopback" and not run.allow_loopback
            ):
                raise RefusedRequest(f"resolved_{kind}", request.url)
        cap = request.meta.get("download_maxsize")
        if cap and len(response.body) > cap:
            raise RefusedRequest("too_large", request.url)
        run.note("fetched", url=request.url, status=response.status, kind=request.meta.get("pw_kind"))
        return response


_RUISHU_COOKIE = re.compile(rb"^[A-Za-z0-9]{8,}[SOT]=", re.MULTILINE)  # FSSBBIl1UgzbN7N80S=…
_JS_COOKIE_MARKERS = (b"document.cookie=", b"document.cookie =")
_JS_RELOAD_MARKERS = (b"location.reload", b"location.href", b"window.location", b"setTimeout")


def _cookie_names(headers: dict[bytes, list[bytes]]) -> list[bytes]:
    return [c.split(b"=", 1)[0].strip().lower() for c in headers.get(b"Set-Cookie", [])]


def _header_text(headers: dict[bytes, list[bytes]], name: bytes) -> bytes:
    return b" ".join(headers.get(name, [])).lower()


def classify_block(status: int, headers: dict[bytes, list[bytes]], body: bytes) -> str | None:
    """The kind of anti-crawler challenge or block page, from headers, cookies and body, or None.

    `ruishu_412` (瑞数: 412 + `<prefix>S` cookie, `$_ts` / `r="m"` script), `wzws` (wzws_cid /
    wzws_sessionid cookies, wzwsconfirm/wzwsfactor challenge), `jiasule` (加速乐: __jsluid cookie with a
    __jsl_clearance challenge or 521), `yunsuo` (云锁), `safedog` (安全狗), `aliyun_waf` (acw_sc__v2),
    `js_challenge` (a short page that only sets a cookie in script and reloads), `http_403/412/429/521`.
    """
    head = body[:6000]
    low = head.lower()
    cookies = b"\n".join(headers.get(b"Set-Cookie", []))
    names = _cookie_names(headers)
    server = _header_text(headers, b"Server") + b" " + _header_text(headers, b"X-Via-Jsl")
    if status in (202, 412) and (b'r="m"' in head or b"$_ts" in head or _RUISHU_COOKIE.search(cookies)):
        return "ruishu_412"
    if (
        any(n.startswith(b"wzws") for n in names)
        or b"wzwsconfirm" in low
        or b"wzwsfactor" in low
        or b"wzwsquestion" in low
        or b"wzws_cid" in low
    ):
        return "wzws"
    jsluid = any(n.startswith(b"__jsluid") for n in names)
    if b"__jsl_clearance" in head or (jsluid and status in (521, 503)) or b"jiasule" in server:
        return "jiasule"
    if b"yunsuo_session_verify" in names or b"yunsuo" in low or b"yunsuo" in server:
        return "yunsuo"
    if b"safedog-flow-item" in names or b"safedog" in low or b"safedog" in server:
        return "safedog"
    if b"acw_sc__v2" in head or b"acw_sc__v2" in names:
        return "aliyun_waf"
    if b"\xe7\x94\xb5\xe4\xbf\xa1\xe4\xba\x91\xe5\xa0\xa4" in head:  # 电信云堤 block page
        return "waf"
    # A real article may set a cookie in script, but a challenge page is short, has no text paragraphs
    # and reloads itself once the cookie is set.
    if (
        status == 200
        and len(body) < 20000
        and any(marker in head for marker in _JS_COOKIE_MARKERS)
        and (b"<p" not in low or any(marker in head for marker in _JS_RELOAD_MARKERS))
    ):
        return "js_challenge"
    if status in (403, 412, 429, 521):
        return f"http_{status}"
    return None


class BlockDetectionMiddleware:
    """Recognises challenge and block pages. A source with configured cookies gets one retry per
    request (the cookie jar then also holds the cookie the challenge set); otherwise the response is
    counted as blocked and dropped."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not has_run(crawler):
            raise NotConfigured("not a policywatch source crawl")
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider=None):
        headers = {k: list(v) for k, v in response.headers.items()}
        block = classify_block(response.status, headers, response.body)
        if block is None:
            return response
        run = run_of(self.crawler)
        if run.source.cookies and not request.meta.get("pw_block_retry"):
            logger.info(
                "%s: %s challenge at %s, retrying with configured cookies", run.source.id, block, request.url
            )
            return request.replace(dont_filter=True, meta={**request.meta, "pw_block_retry": True})
        run.block_type = run.block_type or block
        run.note("blocked", url=request.url, block_type=block, status=response.status)
        run.first_error = run.first_error or f"blocked ({block}): {request.url}"
        run.count("blocked")
        raise BlockedRequest(block, request.url)
