# ruff: noqa: E501  (HTML fixtures read best unwrapped)
"""Crawler logic without any network: URL decisions, decoding, pagination, page metadata, blocking,
attachment names and sources.yaml validation."""

from __future__ import annotations

import pytest
from parsel import Selector

from crawlers.listing import discover_pages, parse_list_items
from crawlers.middlewares import classify_block
from crawlers.pagemeta import extract_hints, filename_from_disposition, find_attachments, normalize_doc_no
from crawlers.sources import ListSelectors, SourcesError, load_sources, parse_sources
from crawlers.urlpolicy import decide_url
from policywatch.core.decode import decode_html

ALLOWED = ["xx.gov.cn"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://www.xx.gov.cn/zwgk/index.html", "ok"),
        ("https://xx.gov.cn/a.html", "ok"),
        ("http://mp.weixin.qq.com/s/x", "offsite"),
        ("http://xx.gov.cn.evil.com/", "offsite"),
        ("ftp://www.xx.gov.cn/a.pdf", "scheme"),
        ("http://127.0.0.1/", "loopback"),
        ("http://localhost:8080/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/admin", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://100.64.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link_local"),
        ("http://[fe80::1]/", "link_local"),
        ("http://0.0.0.0/", "reserved"),
        ("http://[::ffff:10.0.0.1]/", "private"),
    ],
)
def test_url_decision(url, reason):
    assert decide_url(url, ALLOWED).reason == reason


def test_loopback_only_with_the_test_flag_and_never_private():
    assert decide_url("http://127.0.0.1:8000/a", ["127.0.0.1:8000"], allow_loopback=True).allowed
    assert decide_url("http://127.0.0.1:8001/a", ["127.0.0.1:8000"], allow_loopback=True).reason == "offsite"
    assert decide_url("http://127.0.0.2:8000/a", ["127.0.0.1:8000"], allow_loopback=True).reason == "offsite"
    assert decide_url("http://10.0.0.1:8000/a", ["10.0.0.1:8000"], allow_loopback=True).reason == "private"


RARE = "商河经济开发区管委会主任王喆、副主任李堃出席会议。"


@pytest.mark.parametrize(
    ("meta", "content_type"),
    [
        ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', "text/html"),
        ('<meta charset="utf-8">', "text/html"),
        ("", "text/html"),
        ("", "text/html; charset=utf-8"),  # header lies too
        ('<meta charset="gbk">', None),
    ],
)
def test_gbk_pages_decode_without_losing_rare_characters(meta, content_type):
    body = f"<html><head>{meta}</head><body><p>{RARE}</p></body></html>".encode("gb18030")
    decoded = decode_html(body, content_type)
    assert RARE in decoded.text
    assert decoded.encoding == "gb18030"
    assert decoded.mojibake_score == 0


def test_real_utf8_page_without_charset_is_utf8():
    body = f"<html><body>{RARE}</body></html>".encode()
    decoded = decode_html(body, "text/html")
    assert decoded.encoding == "utf-8" and RARE in decoded.text


def test_create_page_html_pagination():
    html = '<ul><li><a href="./a.html">x</a></li></ul><script>createPageHTML(3, 0, "index", "html");</script>'
    pages = discover_pages(Selector(text=html), html, "http://x.gov.cn/zwgk/ghjh/index.html", max_pages=10)
    assert pages == [f"http://x.gov.cn/zwgk/ghjh/{n}" for n in ("index.html", "index_1.html", "index_2.html")]


def test_query_and_numbered_pagination():
    html = '<a href="?page=2">2</a><a href="?page=4">尾页</a>'
    pages = discover_pages(Selector(text=html), html, "http://x.gov.cn/list.jsp?cat=1", max_pages=10)
    # page 1 is the page itself (not requested twice); the others keep the page's own query
    assert pages == [f"http://x.gov.cn/list.jsp?cat=1&page={n}" for n in (2, 3, 4)]
    html = '<a href="list_2.shtml">2</a><a href="list_3.shtml">3</a>'
    pages = discover_pages(Selector(text=html), html, "http://x.gov.cn/zx/index.shtml", max_pages=10)
    assert pages == ["http://x.gov.cn/zx/list_2.shtml", "http://x.gov.cn/zx/list_3.shtml"]
    html = "<script>var totalPage = 4;</script>"
    pages = discover_pages(Selector(text=html), html, "http://x.gov.cn/a/index.html", max_pages=3)
    assert pages == [
        "http://x.gov.cn/a/index.html",
        "http://x.gov.cn/a/index_1.html",
        "http://x.gov.cn/a/index_2.html",
    ]


def test_list_items_prefer_full_title_attribute_and_dates():
    html = """<ul><li><a href="./202312/t20231228_1.html" title="XX经济开发区2023年工作总结及2024年工作计划">XX经济开发区2023年…</a>
    <span>2023-12-28</span></li><li class="top"><a href="/b.html">置顶 开发区工作</a><span>(01-25)</span></li></ul>"""
    items = parse_list_items(Selector(text=html), "http://x.gov.cn/zwgk/index.html", ListSelectors())
    assert items[0].title == "XX经济开发区2023年工作总结及2024年工作计划"
    assert items[0].url == "http://x.gov.cn/zwgk/202312/t20231228_1.html"
    assert items[0].date == "2023-12-28"
    assert items[1].pinned and items[1].date_raw == "(01-25)"


def _hints(html: str, url: str = "http://x.gov.cn/zwgk/202312/t20231228_1.html", list_date=None):
    return extract_hints(Selector(text=html), url, list_date=list_date)


def test_date_order_of_trust():
    meta = '<meta name="PubDate" content="2023-12-28 10:30">'
    visible = "<div>发布时间：2023-12-27 08:00</div>"
    assert _hints(f"<html><head>{meta}</head><body>{visible}</body></html>")["published_at_source"] == "meta"
    h = _hints(f"<html><body>{visible}</body></html>")
    assert (h["published_at"], h["published_at_source"]) == ("2023-12-27T08:00:00+08:00", "visible")
    h = _hints("<html><body><p>正文</p></body></html>")
    assert (h["published_at"], h["published_at_source"]) == ("2023-12-28", "url")
    h = _hints("<html><body><p>正文</p></body></html>", url="http://x.gov.cn/a.html", list_date="2023-01-05")
    assert (h["published_at"], h["published_at_source"]) == ("2023-01-05", "list")
    h = _hints("<html><body></body></html>", url="http://x.gov.cn/art/2024/1/5/art_1201_50001.html")
    assert h["published_at"] == "2024-01-05"


def test_info_table_fields():
    html = """<html><body><table><tr><td>索引号：</td><td>11370126MB2851234X/2024-00012</td><td>主题分类：</td><td>规划计划</td></tr>
    <tr><td>发文机关：</td><td>XX经济开发区管委会</td><td>成文日期：</td><td>2023年12月25日</td></tr>
    <tr><td>文号：</td><td>黑政调〔２０２０〕６号</td><td>发布日期：</td><td>2023年12月28日</td></tr></table>
    <div class="TRS_Editor"><p>具体见附件。</p></div></body></html>"""
    h = _hints(html)
    assert h["index_no"] == "11370126MB2851234X/2024-00012"
    assert h["issuer"] == "XX经济开发区管委会"
    assert h["written_date"] == "2023-12-25"
    assert h["doc_no_normalized"] == "黑政调〔2020〕6号"
    assert h["body_selector"] == "div.TRS_Editor" and h["body_is_stub"] == "true"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("济高管发〔２０２４〕１号", "济高管发〔2024〕1号"),
        ("[2024]3号", "〔2024〕3号"),
        ("津政人〔2020〕33 号", "津政人〔2020〕33号"),
    ],
)
def test_doc_no_normalization(raw, normalized):
    assert normalize_doc_no(raw) == normalized


def test_attachments_in_href_oldsrc_and_javascript():
    html = """<html><body><a href="./P1.pdf" oldsrc="/protect/P1.pdf">全文</a>
    <a oldsrc="/protect/P2.doc">旧</a>
    <script>var file_appendix='<a href="./P3.docx">附件</a>';document.write(file_appendix);</script>
    <iframe src="/pdfjs/web/viewer.html?file=/upload/P4.pdf"></iframe>
    <a href="/module/download/downfile.jsp?classid=0&filename=P5.wps">下载</a>
    <a href="./t20231228_2.html">not a file</a></body></html>"""
    base = "http://x.gov.cn/zwgk/202312/t20231228_1.html"
    found = {a.url: a.found_via for a in find_attachments(Selector(text=html), base, html)}
    assert found == {
        "http://x.gov.cn/zwgk/202312/P1.pdf": "href",
        "http://x.gov.cn/protect/P2.doc": "oldsrc",
        "http://x.gov.cn/zwgk/202312/P3.docx": "js",
        "http://x.gov.cn/upload/P4.pdf": "iframe",
        "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=P5.wps": "href",
    }


def test_content_disposition_file_names():
    gbk = ('attachment; filename="' + "工作总结.pdf".encode("gbk").decode("latin-1") + '"').encode("latin-1")
    assert filename_from_disposition(gbk) == "工作总结.pdf"
    assert filename_from_disposition("attachment; filename*=UTF-8''%E5%B7%A5%E4%BD%9C.pdf") == "工作.pdf"
    assert filename_from_disposition(b'attachment; filename="report.pdf"') == "report.pdf"
    assert filename_from_disposition(None) is None


def test_block_classification():
    challenge = b'<meta content="abc" r="m"><script r="m">$_ts=window[\'$_ts\'];</script>'
    assert classify_block(412, {b"Set-Cookie": [b"FSSBBIl1UgzbN7N80S=x; path=/"]}, challenge) == "ruishu_412"
    jsl = b"<script>document.cookie='__jsl_clearance=1|0|x';location.reload()</script>"
    assert classify_block(200, {}, jsl) == "jiasule"
    assert classify_block(200, {}, b"<html><p>" + "正文".encode() * 50 + b"</p></html>") is None
    assert classify_block(200, {b"Set-Cookie": [b"wzws_sessionid=abc"]}, b"<html></html>") == "wzws"
    assert classify_block(403, {}, b"forbidden") == "http_403"
    assert classify_block(500, {}, b"error") is None  # a failure, not a block


def test_packaged_sources_are_valid_real_and_unverified():
    sources = load_sources()
    assert len(sources.sources) >= 30
    assert len({s.province for s in sources.sources}) >= 10
    assert not sources.allow_loopback
    for source in sources.sources:
        assert source.verified_live is False, source.id
        for url in source.start_urls:
            assert decide_url(url, source.allowed_domains).allowed, (source.id, url)
        assert source.keywords is not None, source.id
    assert {s.listing.kind for s in sources.sources} >= {"list", "hanweb", "rss"}


def _one(**entry):
    base = {
        "id": "ok_site",
        "name": "n",
        "province": "山东省",
        "start_urls": ["http://www.a.gov.cn/"],
        "allowed_domains": ["a.gov.cn"],
    }
    return {"sources": [base, {**base, **entry}]}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "bad site"}, "source #2 (id 'bad site'): id"),
        ({"id": "bb", "start_urls": ["www.b.gov.cn"]}, "source #2 (id 'bb'): start_urls"),
        ({"id": "cc", "allowed_domains": ["other.gov.cn"]}, "outside allowed_domains"),
        ({"id": "dd", "listing": {"kind": "hanweb"}}, "source #2 (id 'dd'): listing"),
        ({"id": "ee", "keywords": {"require": ["(unclosed"]}}, "bad regular expression"),
        ({"id": "ff", "colour": "red"}, "source #2 (id 'ff'): colour"),
        ({}, "duplicate source id 'ok_site'"),
    ],
)
def test_invalid_sources_name_the_bad_entry(entry, message):
    with pytest.raises(SourcesError) as err:
        parse_sources(_one(**entry))
    assert message in str(err.value)


def test_keyword_filter():
    sources = parse_sources(
        _one(id="kw", keywords={"require": ["开发区|园区", "工作总结|汇报"], "exclude": ["人事任免"]})
    )
    kw = sources.get("kw").keywords
    assert kw.accepts("XX经济开发区2023年工作总结")
    assert not kw.accepts("XX经济开发区人事任免工作汇报")
    assert not kw.accepts("2023年公开招聘公告")
