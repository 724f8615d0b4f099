"""Downloader middlewares: URL policy (domains, private addresses, robots.txt, size cap) and blocking.

Both read the source being crawled from the spider (`spider.source`, `spider.run`).
"""

from __future__ import annotations

import logging
import re

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

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

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider=None):
        spider = self.crawler.spider
        source, run = spider.source, spider.run
        decision = decide_url(request.url, source.allowed_domains, allow_loopback=run.allow_loopback,
                              allow_private=source.allow_private)
        if not decision.allowed:
            raise RefusedRequest(decision.reason, request.url)
        kind = request.meta.get("pw_kind")
        if (
            kind != "robots"
            and source.obey_robots
            and not run.robots_allows(request.url, spider.user_agent_token)
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
        spider = self.crawler.spider
        run = spider.run
        address = getattr(response, "ip_address", None)
        if address is not None and not spider.source.allow_private:
            # Defence in depth: crawlers.resolver already refused such addresses before connecting.
            kind = classify_address(str(address))
            if kind in ("private", "link_local", "reserved") or (
                kind == "loopback" and not run.allow_loopback
            ):
                raise RefusedRequest(f"resolved_{kind}", request.url)
        cap = request.meta.get("download_maxsize")
        if cap and len(response.body) > cap:
            raise RefusedRequest("too_large", request.url)
        return response


_RUISHU_COOKIE = re.compile(rb"^[A-Za-z0-9]{8,}[SO]=", re.MULTILINE)
_JS_COOKIE_MARKERS = (b"__jsl_clearance", b"acw_sc__v2", b"document.cookie=", b"document.cookie =")
_WAF_MARKERS = (
    b"wzwsfactor",
    b"wzws_cid",
    b"yunsuo_session_verify",
    b"safedog",
    b"\xe7\x94\xb5\xe4\xbf\xa1\xe4\xba\x91\xe5\xa0\xa4",
)


def classify_block(status: int, headers: dict[bytes, list[bytes]], body: bytes) -> str | None:
    """'ruishu_412', 'js_cookie', 'waf', 'http_403'/'http_429', or None for a normal response."""
    head = body[:6000]
    cookies = b"\n".join(headers.get(b"Set-Cookie", []))
    if status == 412 and (b'r="m"' in head or b"$_ts" in head or _RUISHU_COOKIE.search(cookies)):
        return "ruishu_412"
    if any(marker in head for marker in _WAF_MARKERS) or b"wzws_sessionid" in cookies:
        return "waf"
    # A real article may set a cookie in script, but a verification page is short and has no body text.
    if (
        status == 200
        and len(body) < 20000
        and any(marker in head for marker in _JS_COOKIE_MARKERS)
        and (b"<p" not in head.lower() or b"__jsl_clearance" in head or b"acw_sc__v2" in head)
    ):
        return "js_cookie"
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
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider=None):
        headers = {k: list(v) for k, v in response.headers.items()}
        block = classify_block(response.status, headers, response.body)
        if block is None:
            return response
        spider = self.crawler.spider
        if spider.source.cookies and not request.meta.get("pw_block_retry"):
            logger.info(
                "%s: %s challenge at %s, retrying with configured cookies",
                spider.source.id,
                block,
                request.url,
            )
            return request.replace(dont_filter=True, meta={**request.meta, "pw_block_retry": True})
        spider.run.block_type = spider.run.block_type or block
        spider.run.count("blocked")
        raise BlockedRequest(block, request.url)
