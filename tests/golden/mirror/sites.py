# ruff: noqa: E501  (HTML fixtures read best unwrapped)
"""Content of the local mirror: four sites imitating real portals (see gov-sites.md §4a).

A: county portal, TRS, UTF-8, honest ETag/Last-Modified with 304s, robots.txt with a Disallow.
B: zone administration site, Hanweb JCMS, GBK with wrong or missing charsets, dataproxy.jsp lists,
   downfile.jsp attachments with GBK / RFC 5987 file names, one attachment over the size cap.
C: blocked portal: Ruishu-style 412 cookie gate, a JS-cookie page, a 500, an off-domain redirect.
D: investment-promotion news portal that reposts B's report; Last-Modified always "now".
E: (bench only) a large TRS site with N generated articles.

Every page is built here as bytes in its stated encoding; `server.py` serves them.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
RARE = "管委会主任王喆、副主任李堃出席会议并讲话。"  # 喆 and 堃 are GBK-only: gb2312 cannot decode them


def seed_lines(index: int) -> list[str]:
    path = sorted(SEEDS.glob(f"{index:03d}_*.txt"))[0]
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def paragraphs(index: int, start: int = 0, count: int = 8) -> list[str]:
    lines = seed_lines(index)
    start %= len(lines)
    return (lines[start:] + lines[:start])[:count]


def tiny_pdf(label: str) -> bytes:
    text = f"BT /F1 12 Tf 72 720 Td ({label}) Tj ET".encode("ascii")
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 1/Kids[3 0 R]>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(text)}>>stream\n".encode()
        + text
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def tiny_docx(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>',
        )
    return buf.getvalue()


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = False  # serve ETag/Last-Modified and answer conditional GETs with 304
    last_modified: str | None = None


@dataclass
class Site:
    key: str
    pages: dict[str, Page] = field(default_factory=dict)
    files_by_name: dict[str, Page] = field(default_factory=dict)  # attachments served under any directory


# ---------------------------------------------------------------------------------------------------
# Site A: TRS county portal, UTF-8
# ---------------------------------------------------------------------------------------------------

GHJH = "/zwgk/fdzdgknr/ghjh/"

# (number, date, title, kind, variant, seed)
A_ITEMS = [
    (1000000, "2021-03-01", "商河经济开发区2021年工作计划", "report", "pinned", 1),
    (1000001, "2023-12-28", "XX经济开发区2023年工作总结及2024年工作计划", "report", "full_oldsrc", 0),
    (1000002, "2023-12-27", "关于王某某等同志人事任免的通知", "noise", "", 0),
    (1000003, "2023-12-26", "经开区2023年1-10月工作情况汇报", "report", "js_docx", 3),
    (1000004, "2023-12-20", "高新区2023年度计划执行情况（全文）", "pdf", "", 0),
    (1000005, "2023-12-18", "园区工作总结（微信转载）", "weixin", "", 0),
    (1000006, "2023-12-15", "开发区内部工作汇报材料", "robots", "", 0),
    (1000007, "2023-12-12", "园区2023年重点项目建设实施方案", "report", "no_pubdate", 2),
    (1000008, "2023-12-10", "2023年公开招聘工作人员公告", "noise", "", 0),
    (1000009, "2023-12-08", "经济开发区2023年上半年工作总结", "report", "pubdate_differs", 0),
    (1000010, "2023-11-30", "关于印发高新区产业发展实施方案的通知", "report", "docno_fullwidth", 2),
    (1000011, "2023-11-25", "经开区招商引资工作实施方案", "report", "docno_square", 2),
    (1000012, "2023-11-20", "开发区2023年1-10月份经济运行情况汇报", "report", "stub", 3),
    (1000013, "2023-11-15", "关于举办消防安全培训的通知", "noise", "", 0),
    (1000014, "2023-11-10", "经济开发区2022年工作总结", "report", "", 0),
    (1000015, "2023-11-05", "园区2024年工作计划", "report", "", 1),
    (1000016, "2023-10-30", "人事任免公示", "noise", "", 0),
    (1000017, "2023-10-25", "高新区2023年前三季度计划执行情况", "report", "", 3),
    (1000018, "2023-10-20", "经开区营商环境提升实施方案", "report", "", 2),
    (1000019, "2023-10-15", "事业单位招聘公告", "noise", "", 0),
    (1000020, "2023-10-10", "开发区安全生产工作总结", "report", "", 0),
    (1000021, "2023-10-05", "园区2023年第三季度工作汇报", "report", "", 3),
    (1000022, "2023-09-30", "县政府信息公开工作年度报告", "noise", "", 0),
    (1000023, "2023-09-25", "经济开发区2023年上半年经济运行执行情况", "report", "", 1),
    (1000024, "2023-09-20", "关于开展人事档案专项审核的通知", "noise", "", 0),
]
A_PDF = "P020231220123456789012.pdf"
A_OLDSRC_PDF = "P020231228381234567890.pdf"
A_JS_DOCX = "P020231226555555555555.docx"
A_STUB_PDF = "P020231120777777777777.pdf"


def a_article_path(number: int, date: str, base: str = GHJH) -> str:
    ymd = date.replace("-", "")
    if number == 1000006:
        return f"/zwgk/nbwj/{ymd[:6]}/t{ymd}_{number}.html"
    return f"{base}{ymd[:6]}/t{ymd}_{number}.html"


def _trs_article(
    number: int, date: str, title: str, variant: str, seed: int, *, column: str, changed: bool
) -> bytes:
    paras = paragraphs(seed, start=number % 7, count=8)
    if variant == "no_pubdate":
        paras.append(f"（{date[:4]}年{int(date[5:7])}月{int(date[8:10])}日）")
    if changed and number == 1000009:
        paras.append("补充说明：根据最新统计，上半年主要指标数据已更新（2024年1月修订）。")
    body_html = "".join(f"<p>{p}</p>" for p in paras)
    if variant == "stub":
        body_html = "<p>具体见附件。</p>"
    pub = f"{date} 10:30"
    meta_pub = "" if variant == "no_pubdate" else f'<meta name="PubDate" content="{pub}">'
    visible_date = pub
    if variant == "pubdate_differs":
        visible_date = "2023-12-09 08:00"
    doc_no = {"docno_fullwidth": "济高管发〔２０２４〕１号", "docno_square": "济高管字[2024]3号"}.get(
        variant, ""
    )
    info_table = (
        '<table class="xxgk_table"><tr><td>索引号：</td><td>11370126MB2851234X/2024-00012</td>'
        "<td>主题分类：</td><td>规划计划</td></tr>"
        "<tr><td>发文机关：</td><td>XX经济开发区管委会</td><td>成文日期：</td><td>2023年12月25日</td></tr>"
        f'<tr><td>标题：</td><td colspan="3">{title}</td></tr>'
        f"<tr><td>文号：</td><td>{doc_no}</td><td>发布日期：</td><td>{date[:4]}年{date[5:7]}月{date[8:10]}日</td></tr></table>"
    )
    if variant == "no_pubdate":
        info_table = ""
    header = (
        ""
        if variant == "no_pubdate"
        else (
            f'<div class="info">发布时间：{visible_date}  来源：XX经济开发区管委会  【字体：大 中 小】【打印】</div>'
        )
    )
    extra = ""
    if variant == "full_oldsrc":
        extra = f'<p>附件：<a href="./{A_OLDSRC_PDF}" oldsrc="/protect/{A_OLDSRC_PDF}">2023年工作总结（全文）.pdf</a></p>'
    elif variant == "js_docx":
        extra = (
            "<script>var file_appendix='<a href=\"./" + A_JS_DOCX + "\">工作情况汇报.docx</a>';"
            "document.write(file_appendix);</script>"
        )
    elif variant == "stub":
        extra = f'<p>附件：<a href="./{A_STUB_PDF}">1-10月份经济运行情况汇报.pdf</a></p>'
    html = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="SiteName" content="XX县人民政府"><meta name="SiteDomain" content="www.xx.gov.cn">
<meta name="SiteIDCode" content="3701260001"><meta name="ColumnName" content="{column}">
<meta name="ColumnType" content="{column}"><meta name="ArticleTitle" content="{title}">
{meta_pub}<meta name="ContentSource" content="XX经济开发区管委会"><meta name="Keywords" content="开发区">
<title>{title}_XX县人民政府</title></head>
<body><div class="top"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/search/">搜索</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; {column}</div>
{info_table}
<h1 class="title">{title}</h1>
{header}
<div class="TRS_Editor"><DIV id="TRS_AUTOADD_1703730000{number % 1000:03d}"><style id="_Custom_V6_Style_">.Custom_UnionStyle{{font-size:16px}}</style><DIV class="Custom_UnionStyle">{body_html}</DIV></DIV></div>
{extra}
<div class="xglj"><h3>相关阅读</h3><ul><li><a href="/xwzx/">县长主持召开常务会议</a></li></ul></div>
<div class="footer">主办：XX县人民政府办公室</div></body></html>"""
    return html.encode("utf-8")


def _trs_list(items: list[tuple[str, str, str]], page: int, pages: int, column: str) -> bytes:
    rows = []
    for href, title, date in items:
        short = title if len(title) <= 14 else title[:14] + "…"
        rows.append(
            f'<li><a href="{href}" title="{title}" target="_blank">{short}</a><span>{date}</span></li>'
        )
    pager = (
        f'<div class="fanye"><script>createPageHTML({pages}, {page}, "index", "html");</script></div>'
        if pages > 1
        else ""
    )
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{column}_XX县人民政府</title>
<script>function createPageHTML(c,p,n,e){{/* writes the pager with document.write */}}</script></head>
<body><div class="position">当前位置：首页 &gt; 政务公开 &gt; {column}</div>
<div class="list"><ul>{"".join(rows)}</ul></div>{pager}</body></html>"""
    return html.encode("utf-8")


def build_site_a(*, changed: bool) -> Site:
    site = Site("a")
    site.pages["/robots.txt"] = Page(
        b"User-agent: *\nDisallow: /search/\nDisallow: /zwgk/nbwj/\n", "text/plain"
    )
    rows: list[tuple[str, str, str]] = []
    for number, date, title, kind, variant, seed in A_ITEMS:
        path = a_article_path(number, date)
        if kind == "pdf":
            href = f"./{A_PDF}"
        elif kind == "weixin":
            href = "https://mp.weixin.qq.com/s/x"
        elif kind == "robots":
            href = path
        else:
            href = "./" + path[len(GHJH) :]
        rows.append((href, title, date))
        if kind in ("report", "noise", "robots"):
            y, m, d = (int(x) for x in date.split("-"))
            lm = format_datetime(datetime(y, m, d, 2, 30, tzinfo=UTC), usegmt=True)
            site.pages[path] = Page(
                _trs_article(number, date, title, variant, seed, column="规划计划", changed=changed),
                validators=True,
                last_modified=lm,
            )
    pages = [rows[0:10], rows[10:20], rows[20:25]]
    for i, chunk in enumerate(pages):
        name = "index.html" if i == 0 else f"index_{i}.html"
        site.pages[GHJH + name] = Page(
            _trs_list(chunk, i, len(pages), "规划计划"),
            validators=True,
            last_modified="Thu, 28 Dec 2023 02:30:00 GMT",
        )
    # The same report under 部门动态: identical body, different ColumnName.
    dup_path = "/xwzx/bmdt/202312/t20231228_1000001.html"
    number, date, title, _, variant, seed = A_ITEMS[1]
    site.pages[dup_path] = Page(
        _trs_article(number, date, title, variant, seed, column="部门动态", changed=changed),
        validators=True,
        last_modified="Thu, 28 Dec 2023 02:30:00 GMT",
    )
    site.pages["/xwzx/bmdt/index.html"] = Page(
        _trs_list(
            [
                ("./202312/t20231228_1000001.html", title, date),
                ("./202312/t20231222_1000100.html", "县领导调研冬季安全生产工作", "2023-12-22"),
            ],
            0,
            1,
            "部门动态",
        ),
        validators=True,
    )
    site.files_by_name[A_PDF] = Page(tiny_pdf("A pdf report"), "application/pdf", validators=True)
    site.files_by_name[A_OLDSRC_PDF] = Page(tiny_pdf("A oldsrc"), "application/pdf", validators=True)
    site.files_by_name[A_JS_DOCX] = Page(
        tiny_docx("工作情况汇报"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    site.files_by_name[A_STUB_PDF] = Page(tiny_pdf("A stub attachment"), "application/pdf", validators=True)
    return site


# ---------------------------------------------------------------------------------------------------
# Site B: Hanweb zone site, GBK
# ---------------------------------------------------------------------------------------------------

# (number, date, title, kind, encoding case, attachment, seed)
B_ITEMS = [
    (
        50001,
        "2024-01-05",
        "商河经济开发区2023年工作总结及2024年工作计划",
        "report",
        "gb2312_rare",
        "gbk_name",
        1,
    ),
    (50002, "2024-01-04", "经开区2024年招商引资工作计划", "report", "wrong_utf8_meta", "rfc5987", 0),
    (50003, "2024-01-03", "关于调整管委会领导班子成员分工的通知", "noise", "gb2312_rare", "", 0),
    (50004, "2024-01-02", "开发区2023年1-11月经济运行情况汇报", "report", "no_meta", "docx", 3),
    (50005, "2023-12-29", "园区2023年安全生产工作总结", "report", "real_utf8", "wps", 0),
    (50006, "2023-12-28", "高新区产业链招商实施方案", "report", "gb2312_rare", "oversize", 2),
    (50007, "2023-12-27", "管委会机关食堂采购公告", "noise", "gb2312_rare", "", 0),
    (50008, "2023-12-26", "经济开发区2023年重点项目执行情况", "report", "wrong_utf8_meta", "", 3),
    (50009, "2023-12-25", "关于2024年元旦放假的通知", "noise", "no_meta", "", 0),
    (50010, "2023-12-22", "园区企业服务工作汇报", "report", "no_meta", "", 3),
    (50011, "2023-12-21", "招聘公告", "noise", "gb2312_rare", "", 0),
    (50012, "2023-12-20", "经开区2023年度工作总结", "report", "gb2312_rare", "", 0),
    (50013, "2023-12-19", "人事任免通知", "noise", "gb2312_rare", "", 0),
    (50014, "2023-12-18", "开发区营商环境工作实施方案", "report", "gb2312_rare", "", 2),
    (50015, "2023-12-15", "管委会党工委理论学习中心组学习", "noise", "gb2312_rare", "", 0),
    (50016, "2023-12-14", "高新区科技创新工作汇报", "report", "gb2312_rare", "", 3),
    (50017, "2023-12-13", "关于做好冬季防火工作的通知", "noise", "gb2312_rare", "", 0),
    (50018, "2023-12-12", "关于公布2023年度先进个人名单的通知", "noise", "gb2312_rare", "", 0),
]
B_ATTACH = {
    "gbk_name": ("P020240105001.pdf", "商河经济开发区2023年工作总结.pdf", "gbk"),
    "rfc5987": ("P020240104002.pdf", "2024年招商引资工作计划（正式稿）.pdf", "rfc5987"),
    "docx": ("P020240102003.docx", "经济运行情况汇报.docx", "gbk"),
    "wps": ("P020231229004.wps", "安全生产工作总结.wps", "gbk"),
    "oversize": ("P020231228005.pdf", "产业链招商实施方案（高清扫描）.pdf", "gbk"),
}
B_MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024


def b_article_path(number: int, date: str) -> str:
    y, m, d = (int(x) for x in date.split("-"))
    return f"/art/{y}/{m}/{d}/art_1201_{number}.html"


def b_body_text(number: int, seed: int) -> list[str]:
    if number == 50001:
        return seed_lines(1) + [RARE]  # the full report, reposted by site D
    return paragraphs(seed, start=number % 5, count=7) + [RARE]


def _hanweb_article(number: int, date: str, title: str, case: str, attachment: str, seed: int) -> bytes:
    y, m, d = date.split("-")
    charset_meta = {
        "gb2312_rare": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        "wrong_utf8_meta": '<meta charset="utf-8">',
        "no_meta": "",
        "real_utf8": "",
    }[case]
    paras = "".join(f"<p>{p}</p>" for p in b_body_text(number, seed))
    attach_html = ""
    if attachment:
        fname, label, _ = B_ATTACH[attachment]
        attach_html = (
            f'<p>附件：<a href="/module/download/downfile.jsp?classid=0&amp;filename={fname}">{label}</a></p>'
        )
    html = f"""<html><head>{charset_meta}
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date} 09:00">
<meta name="ContentSource" content="商河经济开发区管委会"><meta name="ColumnName" content="工作动态">
<meta name="i_columnid" content="1201"><title>{title} - 商河经济开发区</title></head>
<body><div class="bt_top">首页 | 园区概况 | 政务公开</div>
<div class="position">您现在的位置：<a href="/">首页</a> &gt; <a href="/col/col1201/index.html">工作动态</a></div>
<div class="bt_title">{title}</div>
<div class="bt_info">发布日期：{y}年{m}月{d}日  信息来源：商河经济开发区管委会  浏览次数：<script>document.write(123)</script></div>
<div id="zoom"><!--ZJEG_RSS.content.begin-->{paras}<!--ZJEG_RSS.content.end--></div>
{attach_html}
<div class="bt_share">分享到：微信 微博</div></body></html>"""
    return html.encode("utf-8" if case == "real_utf8" else "gb18030")


def _disposition(label: str, style: str) -> str:
    if style == "rfc5987":
        from urllib.parse import quote

        return f"attachment; filename*=UTF-8''{quote(label)}"
    # GBK bytes inside the quoted filename, as many JSP download scripts send them.
    return 'attachment; filename="' + label.encode("gb18030").decode("latin-1") + '"'


def build_site_b() -> Site:
    site = Site("b")
    shell = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>工作动态 - 商河经济开发区</title></head><body>
<div class="position">您现在的位置：首页 &gt; 工作动态</div>
<div id="4901"><script type="text/javascript">
// 大汉 jpage: records are loaded from /module/web/jpage/dataproxy.jsp
var jpage = {columnid: 1201, unitid: 4901, webid: 1, perpage: 15};
</script></div></body></html>"""
    site.pages["/col/col1201/index.html"] = Page(shell.encode("gb18030"), "text/html")
    for number, date, title, _kind, case, attachment, seed in B_ITEMS:
        site.pages[b_article_path(number, date)] = Page(
            _hanweb_article(number, date, title, case, attachment, seed), "text/html"
        )
    for key, (fname, label, style) in B_ATTACH.items():
        if key == "oversize":
            body = tiny_pdf("oversize") + b"%" + b"0" * (B_MAX_ATTACHMENT_BYTES + 512 * 1024)
        elif fname.endswith(".docx"):
            body = tiny_docx(label)
        elif fname.endswith(".wps"):
            body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512  # an OLE container, like real .wps
        else:
            body = tiny_pdf(label.encode("ascii", "ignore").decode() or fname)
        site.files_by_name[fname] = Page(
            body, "application/octet-stream", headers={"Content-Disposition": _disposition(label, style)}
        )
    return site


def b_records(start: int, end: int) -> bytes:
    total = len(B_ITEMS)
    chunk = B_ITEMS[max(start, 1) - 1 : min(end, total)]
    records = "".join(
        f'<record><![CDATA[<li><a href="{b_article_path(n, d)}" title="{t}" target="_blank">{t}</a>'
        f"<span>{d}</span></li>]]></record>"
        for n, d, t, *_ in chunk
    )
    xml = (
        f'<?xml version="1.0" encoding="gb2312"?><datastore><nextgroup><![CDATA[<a href="#"></a>]]></nextgroup>'
        f"<recordset>{records}</recordset><totalrecord>{total}</totalrecord>"
        f"<totalpage>{(total + 14) // 15}</totalpage></datastore>"
    )
    return xml.encode("gb18030")


# ---------------------------------------------------------------------------------------------------
# Site C: blocked portal
# ---------------------------------------------------------------------------------------------------

C_COOKIE_S = "FSSBBIl1UgzbN7N80S"
C_COOKIE_T = "FSSBBIl1UgzbN7N80T"
C_COOKIE_VALUE = "mirror-ok"


def ruishu_challenge(seed: int) -> bytes:
    content = hashlib.sha256(str(seed).encode()).hexdigest() * 7
    return (
        f'<html><head><meta content="{content[:400]}" r="m">'
        '<script type="text/javascript" r="m">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=84921;</script>'
        "</head><body></body></html>"
    ).encode()


def build_site_c() -> Site:
    site = Site("c")
    rows = [
        ("./202401/t20240110_2000001.html", "XX经济开发区2024年工作计划", "2024-01-10"),
        ("/jsl/index.html", "开发区工作总结（专题）", "2024-01-09"),
        ("/err", "园区工作汇报（材料）", "2024-01-08"),
        ("/go-out", "高新区实施方案解读", "2024-01-07"),
    ]
    site.pages["/zwgk/tzgg/index.html"] = Page(_trs_list(rows, 0, 1, "通知公告"))
    site.pages["/zwgk/tzgg/202401/t20240110_2000001.html"] = Page(
        _trs_article(2000001, "2024-01-10", rows[0][1], "", 1, column="通知公告", changed=False)
    )
    site.pages["/jsl/index.html"] = Page(
        b"<html><script>document.cookie='__jsl_clearance=1704850000.123|0|abc';location.href=location.pathname"
        b"+location.search</script></html>"
    )
    site.pages["/err"] = Page(b"<html><body>Internal Server Error</body></html>", status=500)
    return site


# ---------------------------------------------------------------------------------------------------
# Site D: investment-promotion news portal (repost)
# ---------------------------------------------------------------------------------------------------


def _repost_text(lines: list[str]) -> str:
    # Changed whitespace and punctuation: half-width commas and brackets, extra spaces.
    out = []
    for line in lines:
        line = line.replace("，", ",").replace("（", "(").replace("）", ")").replace("；", ";")
        out.append("　　" + line + " ")
    return "".join(f"<p>{line}</p>\n" for line in out)


def _news_article(title: str, when: str, source: str, body_html: str) -> bytes:
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}-山东招商网络</title></head>
<body><div class="top">山东招商网络 | 招商政策 | 园区动态</div>
<div class="position"><a href="/">山东招商网络</a>&gt; 正文</div>
<div class="article"><h1>{title}</h1>
<div class="info">发布时间：{when} 来源：{source} 责任编辑：王某 <span id="hits">浏览次数：<!--VIEWS--></span></div>
<form><input type="hidden" name="csrf" value="<!--TOKEN-->"></form><script>var nonce="<!--TOKEN-->";</script>
<div class="ad"><a href="/ad/1"><img src="/ad/banner.gif" alt="投资热线 400-000-0000"></a>投资热线：400-000-0000</div>
<div class="content">{body_html}</div>
<div class="relate"><h3>相关阅读</h3><ul><li><a href="/html/2023/1201/11000.html">某市召开招商引资推进会</a></li></ul></div>
</div></body></html>"""
    return html.encode("utf-8")


D_ITEMS_P1 = [
    ("/html/2024/0108/12345.html", "商河经济开发区2023年工作总结及2024年工作计划", "2024-01-08", "repost"),
    (
        "/html/2024/0105/12301.html",
        "济南新旧动能转换起步区2023年国民经济和社会发展计划执行情况",
        "2024-01-05",
        "report",
    ),
    ("/html/2024/0103/12290.html", "2024年招商引资项目推介会在济南召开", "2024-01-03", "noise"),
]
D_ITEMS_P2 = [
    ("/html/2023/1228/12001.html", "XX高新区2023年工作总结", "2023-12-28", "report"),
    ("/html/2023/1220/11950.html", "全省外贸形势分析会召开", "2023-12-20", "noise"),
]


def _news_list(items, page: int) -> bytes:
    rows = "".join(
        f'<li><a href="{href}">{title}</a><span class="time">{date}</span></li>'
        for href, title, date, _ in items
    )
    pager = (
        '<div class="page"><a href="index.html">1</a> <a href="list_2.html">2</a> <a href="list_2.html">下一页</a></div>'
        if page == 1
        else '<div class="page"><a href="index.html">1</a> <a href="index.html">上一页</a></div>'
    )
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>招商政策-山东招商网络</title></head>
<body><div class="position"><a href="/">山东招商网络</a>&gt; 招商政策</div>
<ul class="list">{rows}</ul>{pager}</body></html>"""
    return html.encode("utf-8")


def build_site_d() -> Site:
    site = Site("d")
    site.pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /admin/\n", "text/plain")
    site.pages["/zhengce/index.html"] = Page(_news_list(D_ITEMS_P1, 1))
    site.pages["/zhengce/list_2.html"] = Page(_news_list(D_ITEMS_P2, 2))
    site.pages["/zhengce/index.html?page=2"] = site.pages["/zhengce/list_2.html"]
    site.pages["/html/2024/0108/12345.html"] = Page(
        _news_article(
            D_ITEMS_P1[0][1], "2024-01-08 09:12:33", "XX经济开发区管委会", _repost_text(seed_lines(1))
        )
    )
    site.pages["/html/2024/0105/12301.html"] = Page(
        _news_article(
            D_ITEMS_P1[1][1],
            "2024-01-05 16:40:02",
            "济南新旧动能转换起步区管委会",
            _repost_text(seed_lines(4)[1:]),
        )
    )
    site.pages["/html/2023/1228/12001.html"] = Page(
        _news_article(D_ITEMS_P2[0][1], "2023-12-28 11:02:00", "本网", _repost_text(paragraphs(0, 10, 8)))
    )
    for href, title, date, kind in D_ITEMS_P1 + D_ITEMS_P2:
        if kind == "noise":
            site.pages[href] = Page(_news_article(title, date + " 10:00:00", "本网", "<p>会议召开。</p>"))
    return site


# ---------------------------------------------------------------------------------------------------
# Site E (bench): a large TRS portal
# ---------------------------------------------------------------------------------------------------


def build_site_e(articles: int, per_page: int = 20) -> Site:
    site = Site("e")
    site.pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /search/\n", "text/plain")
    rows = []
    for i in range(articles):
        number = 3000000 + i
        month = 1 + i % 12
        day = 1 + i % 28
        date = f"2023-{month:02d}-{day:02d}"
        title = f"开发区{2023 - i % 5}年第{i}号工作总结"
        path = a_article_path(number, date)
        site.pages[path] = Page(
            _trs_article(number, date, title, "", i % 5, column="规划计划", changed=False),
            validators=True,
            last_modified="Thu, 28 Dec 2023 02:30:00 GMT",
        )
        rows.append(("./" + path[len(GHJH) :], title, date))
    chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)]
    for i, chunk in enumerate(chunks):
        name = "index.html" if i == 0 else f"index_{i}.html"
        site.pages[GHJH + name] = Page(_trs_list(chunk, i, len(chunks), "规划计划"))
    return site
