"""Pure parts of the crawler: listing-kind registry, challenge kinds, relevance with the zone vocabulary,
the main-content change hash, host groups and the ok/degraded outcome."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import scrapy
from parsel import Selector
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawlers.fingerprint import content_hash
from crawlers.listing import ListItem
from crawlers.middlewares import classify_block
from crawlers.relevance import judge_body, judge_title, mentions_zone, zone_words
from crawlers.report import RUN_SETTING, RUNTIME_SETTING, Shared, SourceRun
from crawlers.run import Runtime, host_groups
from crawlers.sinks import MemorySink
from crawlers.sources import Listing, Source, SourcesError, parse_sources
from crawlers.spiders import SPIDERS
from crawlers.status import MemoryStatusStore

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _source(**entry) -> Source:
    return Source.model_validate({"id": "s1", "name": "测试", "province": "山东省",
                                  "start_urls": ["http://www.a.gov.cn/list/index.html"],
                                  "allowed_domains": ["a.gov.cn"], **entry})


# ---- every kind the schema accepts has a spider; others are refused --------------------------------


def test_every_listing_kind_has_a_spider():
    kinds = set(typing.get_args(Listing.model_fields["kind"].annotation))
    assert kinds == set(SPIDERS)
    for kind, cls in SPIDERS.items():
        assert cls.kind == kind and cls.name == kind


def test_unknown_kind_and_missing_blocks_are_refused():
    base = {"id": "x1", "name": "x", "province": "p", "start_urls": ["http://a.gov.cn/"],
            "allowed_domains": ["a.gov.cn"]}
    for listing, needle in [
        ({"kind": "json"}, "listing.kind"),
        ({"kind": "search"}, "needs a 'search' block"),
        ({"kind": "gkmlpt"}, "needs a 'gkmlpt' block"),
        ({"kind": "hanweb", "hanweb": {"mode": "jpaas"}}, "tpl_set_id"),
        ({"kind": "hanweb", "hanweb": {"mode": "dataproxy"}}, "columnid"),
    ]:
        with pytest.raises(SourcesError, match=needle):
            parse_sources({"sources": [{**base, "listing": listing}]})


def test_scrapy_commands_work_in_the_repository():
    """scrapy.cfg: `scrapy list` shows a spider per kind, `scrapy check` runs, `scrapy shell` opens pages."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]

    def scrapy(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=root, capture_output=True,
                              text=True, timeout=120, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})

    listed = scrapy("list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert sorted(listed.stdout.split()) == sorted(SPIDERS)
    checked = scrapy("check")
    assert checked.returncode == 0 and "OK" in checked.stderr, checked.stderr[-2000:]
    page = (GOLDEN / "sources/trs/list.html").as_uri()
    shell = scrapy("shell", page, "-c", "len(response.css('li a[title]'))")
    assert shell.returncode == 0 and shell.stdout.strip().splitlines()[-1].isdigit(), shell.stderr[-2000:]


# ---- challenges: headers, cookies and body ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "body", "kind"),
    [
        (412, {b"Set-Cookie": [b"FSSBBIl1UgzbN7N80S=abc; path=/"]}, b"<html></html>", "ruishu_412"),
        (412, {}, b'<meta content="x" r="m"><script r="m">$_ts=window["$_ts"];</script>', "ruishu_412"),
        (200, {b"Set-Cookie": [b"wzws_cid=1f2e; path=/"]}, b"<html><p>...</p></html>", "wzws"),
        (200, {}, b"<script>var wzwschallenge='x';location='/?wzwsconfirm=1'</script>", "wzws"),
        (521, {b"Set-Cookie": [b"__jsluid_h=8a; path=/"]}, b"<script>document.cookie=''</script>", "jiasule"),
        (200, {b"Server": [b"jiasule-WAF"]}, b"<html><p>x</p></html>", "jiasule"),
        (200, {b"Set-Cookie": [b"yunsuo_session_verify=ab12; path=/"]}, b"<html>...</html>", "yunsuo"),
        (200, {b"Set-Cookie": [b"safedog-flow-item=; path=/"]}, b"<html></html>", "safedog"),
        (200, {}, b"<script>var arg1='3A1';document.cookie='acw_sc__v2='+x;reload()</script>", "aliyun_waf"),
        (200, {}, b"<html><script>document.cookie='t=1';location.reload()</script></html>", "js_challenge"),
        (403, {}, b"forbidden", "http_403"),
    ],
)
def test_challenge_kinds(status, headers, body, kind):
    assert classify_block(status, headers, body) == kind


def test_real_pages_are_not_challenges():
    page = (GOLDEN / "sources/article/baoding.html").read_bytes()  # has scripts, document.write …
    assert classify_block(200, {b"Set-Cookie": [b"JSESSIONID=1"]}, page) is None
    assert classify_block(500, {}, b"error") is None  # a failure, not a block


# ---- relevance ----------------------------------------------------------------------------------------


def test_zone_vocabulary_comes_from_the_extractor_and_covers_zone_kinds():
    words = zone_words()
    for word in ("综合保税区", "保税区", "产业集聚区", "片区", "科技园", "示范区", "合作区", "高新区"):
        assert any(word.endswith(w) or w == word for w in words), word
    assert mentions_zone("青岛前湾综合保税区2023年工作总结")
    assert not mentions_zone("2023年工作总结")


def _zone_filter_source() -> Source:
    return _source(keywords={"require": ["工作总结|工作计划|汇报|执行情况"], "exclude": ["招聘"],
                             "require_zone": True})


def test_title_with_a_bonded_zone_is_kept_and_noise_is_dropped_with_a_reason():
    source = _zone_filter_source()
    assert judge_title(source, "郑州新郑综合保税区2023年工作总结").keep
    assert judge_title(source, "自贸试验区济南片区2024年工作计划").keep
    dropped = judge_title(source, "2024年公开招聘工作人员公告")
    assert not dropped.keep and not dropped.needs_body and "招聘" in dropped.reason


def test_title_without_a_zone_is_kept_on_list_context_or_body():
    source = _zone_filter_source()
    assert judge_title(source, "2023年工作总结", context="高新技术产业开发区管委会 · 工作报告").reason == (
        "list context"
    )
    undecided = judge_title(source, "2023年工作总结", context="XX县人民政府 · 规划计划")
    assert not undecided.keep and undecided.needs_body
    assert judge_body("……临港产业集聚区全年完成固定资产投资……").keep
    assert not judge_body("全县全年完成固定资产投资……").keep


def _offline_spider(source: Source):
    run = SourceRun(source=source)
    runtime = Runtime(sink=MemorySink(), status_store=MemoryStatusStore())
    cls = SPIDERS[source.listing.kind]
    crawler = get_crawler(cls, {RUN_SETTING: Shared(run), RUNTIME_SETTING: Shared(runtime)})
    return cls.from_crawler(crawler), run


def test_spider_keeps_a_report_whose_body_names_the_zone_and_lists_what_it_filtered():
    source = _zone_filter_source()
    spider, run = _offline_spider(source)
    items = [
        ListItem("http://www.a.gov.cn/art/1.html", "2023年工作总结", "2024-01-05", 0),
        ListItem("http://www.a.gov.cn/art/2.html", "2023年工作总结", "2024-01-04", 1),
        ListItem("http://www.a.gov.cn/art/3.html", "关于春节放假的通知", "2024-01-03", 2),
    ]
    requests = list(spider.handle_items(items, "http://www.a.gov.cn/list/index.html", context="XX县人民政府"))
    assert [r.url for r in requests] == ["http://www.a.gov.cn/art/1.html", "http://www.a.gov.cn/art/2.html"]
    assert all(r.meta["needs_body"] for r in requests)
    bodies = {
        requests[0].url: "<html><body><p>本区（综合保税区）2023年完成进出口总额120亿元。</p></body></html>",
        requests[1].url: "<html><body><p>全县2023年完成地区生产总值300亿元。</p></body></html>",
    }
    emitted = []
    for request in requests:
        response = HtmlResponse(url=request.url, body=bodies[request.url].encode(), encoding="utf-8",
                                headers={"Content-Type": "text/html; charset=utf-8"}, request=request)
        emitted += [x for x in spider.parse_article(response) if isinstance(x, dict)]
    assert [d["doc"].url for d in emitted] == ["http://www.a.gov.cn/art/1.html"]
    assert run.counts["filtered"] == 2 and run.counts["listed"] == 3
    assert {(f.url, f.reason) for f in run.report().filtered} == {
        ("http://www.a.gov.cn/art/2.html", "no zone in title, list context or body"),
        ("http://www.a.gov.cn/art/3.html", "title lacks '工作总结|工作计划|汇报|执行情况'"),
    }


# ---- change hash over the main content ----------------------------------------------------------------


def test_change_hash_ignores_counters_tokens_and_clocks_but_sees_a_real_change():
    page = (GOLDEN / "sources/article/baoding.html").read_text(encoding="utf-8")
    marker = "发布时间：2021-04-07"
    assert marker in page

    def digest(html: str) -> str:
        return content_hash(Selector(text=html), html.encode())

    noisy = page.replace(marker, marker + ' <span id="hits">浏览次数：1234</span>').replace(
        "</body>", '<input type="hidden" name="token" value="9f8e7d"><script>var t=1712;</script></body>', 1
    )
    noisier = noisy.replace("浏览次数：1234", "浏览次数：1299").replace("9f8e7d", "0a1b2c").replace(
        "var t=1712", "var t=1713"
    )
    scripted = page.replace("</body>", "<script>x()</script></body>", 1)
    assert digest(noisy) == digest(noisier) == digest(scripted)
    changed = page.replace("五大优势产业集群", "六大优势产业集群")
    assert digest(changed) != digest(page)
    with_attachment = page.replace(marker, marker + '<a href="/files/P020210407.pdf">附件</a>')
    assert digest(with_attachment) != digest(page)


def test_non_html_is_hashed_by_bytes():
    assert content_hash(None, b"%PDF-1.4 a") != content_hash(None, b"%PDF-1.4 b")


# ---- politeness: one queue per host -------------------------------------------------------------------


def test_sources_sharing_a_host_are_grouped():
    a1 = _source(id="a1", start_urls=["http://www.a.gov.cn/x/"])
    a2 = _source(id="a2", start_urls=["http://www.a.gov.cn/y/"])
    b1 = _source(id="b1", start_urls=["http://b.gov.cn/"], allowed_domains=["b.gov.cn"])
    ab = _source(id="ab", start_urls=["http://b.gov.cn/z/", "http://www.c.gov.cn/"],
                 allowed_domains=["b.gov.cn", "c.gov.cn"])
    c1 = _source(id="c1", start_urls=["http://www.c.gov.cn/w/"], allowed_domains=["c.gov.cn"])
    groups = [[s.id for s in g] for g in host_groups([a1, b1, a2, c1, ab])]
    assert groups == [["a1", "a2"], ["b1", "ab", "c1"]]


def test_a_shared_host_gets_the_strictest_delay_and_concurrency_of_its_sources():
    from crawlers.settings import host_politeness, settings_for

    a1 = _source(id="a1", delay_s=0.5, concurrency=4)
    a2 = _source(id="a2", delay_s=3.0, concurrency=8)
    host = host_politeness([a1, a2])
    assert host == (3.0, 4)
    for source in (a1, a2):  # both crawls of the host use the same queue settings
        got = settings_for(source, host=host)
        assert (got["DOWNLOAD_DELAY"], got["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (3.0, 4)
        assert got["AUTOTHROTTLE_START_DELAY"] == 3.0
    alone = settings_for(a1)
    assert (alone["DOWNLOAD_DELAY"], alone["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (0.5, 4)


# ---- outcomes -----------------------------------------------------------------------------------------


def test_ok_only_when_listing_and_articles_succeeded():
    run = SourceRun(source=_source())
    run.count("listed", 5)
    run.count("new", 5)
    assert run.report().status == "ok"
    run.fail("article", "http://www.a.gov.cn/art/9.html", "http_500")
    run.fail("list", "http://www.a.gov.cn/list/index_1.html", "http_404")
    report = run.report()
    assert report.status == "degraded"
    assert report.message.startswith("1 list page(s) failed, 1 article(s) failed")
    assert report.first_error == "article http://www.a.gov.cn/art/9.html: http_500"
    empty = SourceRun(source=_source())
    empty.fail("list", "http://www.a.gov.cn/list/index.html", "http_404")
    assert empty.report().status == "failed"


def test_counts_go_to_the_crawler_stats():
    run = SourceRun(source=_source())
    run.count("listed", 2)
    crawler = get_crawler(scrapy.Spider)
    run.bind_stats(crawler.stats)
    run.count("listed")
    assert crawler.stats.get_value("policywatch/listed") == 3 and run.counts["listed"] == 3
