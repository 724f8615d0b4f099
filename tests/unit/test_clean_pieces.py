"""The clean stage's pure functions, without Kafka or Elasticsearch."""

from __future__ import annotations

import io
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from policywatch.core.decode import decode_bytes
from policywatch.core.errors import ProcessingError
from processors.clean import clean, clean_batch, prepare
from processors.clean.dates import CST, date_from_url, date_from_visible
from processors.clean.dedup import MemoryFingerprintStore
from processors.clean.documents import doc_text, docx_text, pdf_text, sniff_kind
from processors.clean.fingerprint import from_hex, hamming, simhash
from processors.clean.metadata import doc_number, index_number, issuer, trim_tail
from processors.clean.text import detect_script, repair_wrapped_lines
from schemas import Attachment, RawDocument

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def raw(body: bytes, *, url: str = "http://zone.example.gov.cn/art/1.html", content_type: str | None = None,
        fetched_at: datetime | None = None, **kw) -> RawDocument:
    return RawDocument(
        doc_id=RawDocument.id_for_bytes(body + url.encode()), url=url, canonical_url=url, source_id="test",
        fetched_at=fetched_at or datetime.now(UTC), body=body, content_type=content_type, **kw,
    )


def seed_text(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


GOV_PAGE = """<html><head>{meta}<title>商河经济开发区2023年工作总结_商河县人民政府</title>
<meta name="PubDate" content="2024-01-05 09:30"></head><body>
<div class="nav">首页 &gt; 政务公开 &gt; 工作总结</div>
<table class="xxgk"><tr><td>索引号：11370126MB2853917P/2024-00012</td>
<td>发布机构：商河经济开发区管理委员会</td></tr>
<tr><td>文号：商开管发〔2024〕3号</td><td>成文日期：2024-01-04</td></tr></table>
<div class="article"><h1>商河经济开发区2023年工作总结</h1>
<p>2023年，商河经济开发区坚持以高质量发展为主线，全力推动经济社会发展，各主要经济指标持续保持两位数以上增长。</p>
<p>一、主要工作</p><p>全年完成规模以上工业总产值120亿元，同比增长15.2%；完成固定资产投资45亿元，同比增长12%。
李喆、王堃等同志牵头推进重点项目建设，新签约项目32个，其中过亿元项目18个，生物医药产业集群加速成形。</p>
<p>二、存在问题</p><p>产业链条仍然偏短，龙头企业带动能力不强，要素保障压力较大，招商引资竞争日趋激烈。</p>
</div><div class="footer">版权所有：商河县人民政府 网站标识码3701260001</div></body></html>"""


def test_gbk_page_with_wrong_charset_keeps_rare_characters():
    body = GOV_PAGE.format(meta='<meta charset="gb2312">').encode("gb18030")
    doc = prepare(raw(body, content_type="text/html; charset=utf-8"))
    assert doc.encoding == "gb18030"
    assert "李喆" in doc.text and "王堃" in doc.text
    assert doc.title == "商河经济开发区2023年工作总结"
    assert "版权所有" not in doc.text and "首页" not in doc.text


def test_gbk_page_without_charset():
    body = GOV_PAGE.format(meta="").encode("gbk")
    text, encoding = decode_bytes(body)
    assert encoding == "gb18030" and "商河经济开发区" in text


def test_html_metadata_and_date_from_meta():
    doc = prepare(raw(GOV_PAGE.format(meta='<meta charset="utf-8">').encode()))
    assert doc.published_at == datetime(2024, 1, 5, 9, 30, tzinfo=CST)
    assert doc.published_at_source == "meta"
    assert doc.index_number == "11370126MB2853917P/2024-00012"
    assert doc.issuer == "商河经济开发区管理委员会"
    assert doc.doc_number == "商开管发〔2024〕3号"
    assert doc.content_type == "text/html"


def test_visible_and_url_dates():
    visible = date_from_visible("标题\n发布时间：2023年10月8日 16:20\n正文")
    assert visible == datetime(2023, 10, 8, 16, 20, tzinfo=CST)
    assert date_from_url("http://www.jinan.gov.cn/art/2024/3/7/art_1_4.html").day == 7
    assert date_from_url("http://fgw.sd.gov.cn/zwgk/202401/t20240115_123.html").day == 15
    page = GOV_PAGE.replace('<meta name="PubDate" content="2024-01-05 09:30">', "").format(meta="")
    page = page.replace("成文日期：2024-01-04", "发布日期：2024-01-06")
    doc = prepare(raw(page.encode()))
    assert (doc.published_at.day, doc.published_at_source) == (6, "visible")
    bare = "<html><body><p>" + "开发区持续推进项目建设，经济运行稳中向好。" * 5 + "</p></body></html>"
    doc = prepare(raw(bare.encode(), url="http://x.gov.cn/202312/t20231201_9.html"))
    assert (doc.published_at.month, doc.published_at_source) == (12, "url")


def test_hard_wrapped_lines_are_repaired():
    original = seed_text("001")
    paragraphs = [p for p in original.split("\n") if p.strip()]
    wrapped = "\n".join(line for p in paragraphs for line in textwrap.wrap(p, 35))
    assert len(wrapped.split("\n")) > 2 * len(paragraphs)
    repaired = repair_wrapped_lines(wrapped).split("\n")
    # Paragraph boundaries come back, headings stay on their own line.
    assert len(repaired) == pytest.approx(len(paragraphs), rel=0.1)
    assert "（一）加强党的建设，持续发挥党建引领作用" in repaired
    joined_ok = sum(1 for line in repaired if line in paragraphs)
    assert joined_ok >= 0.85 * len(paragraphs)


def test_unwrapped_text_is_unchanged():
    for name in ("000", "001", "002", "003", "004"):
        text = seed_text(name).replace("\r\n", "\n")
        assert repair_wrapped_lines(text) == text


def test_seed_004_keeps_report_and_drops_related_links():
    body = (SEEDS / next(SEEDS.glob("004_*.txt")).name).read_bytes()
    doc = prepare(raw(body, url="file:///seeds/004.txt"))
    assert doc.text.rstrip().endswith("有效防范各类潜在金融风险。")
    assert "济南市政府引导基金管理办法" not in doc.text
    assert doc.title and "2023年国民经济和社会发展计划执行情况" in doc.title


def test_traditional_text_gets_a_simplified_copy():
    script, simplified = detect_script("濟南新舊動能轉換起步區經濟社會發展計劃執行情況")
    assert script == "traditional" and simplified == "济南新旧动能转换起步区经济社会发展计划执行情况"
    assert detect_script(seed_text("001")) == ("simplified", None)
    doc = prepare(raw(("臺灣" + "經濟開發區招商引資工作總結，規模以上工業總產值增長百分之十。" * 3).encode()))
    assert doc.script == "traditional" and "经济开发区" in doc.text_simplified and "經濟開發區" in doc.text


def test_near_duplicate_repost_links_to_first_copy():
    text = seed_text("003")
    first = raw(text.encode(), url="http://a.gov.cn/1.html", fetched_at=datetime(2024, 1, 1, tzinfo=UTC))
    repost = raw(("转载自XX县人民政府网站\n" + text + "\n责任编辑：张三").encode(), url="http://news.example.com/2.html",
                 fetched_at=datetime(2024, 1, 2, tzinfo=UTC))
    other = raw(seed_text("001").encode(), url="http://b.gov.cn/3.html")
    store = MemoryFingerprintStore()
    a, b, c = clean_batch([repost, first, other], store)  # order in the batch does not matter
    assert hamming(from_hex(a.simhash), from_hex(b.simhash)) <= 3
    assert b.duplicate_of is None and b.cluster_id == b.doc_id
    assert a.duplicate_of == b.doc_id and a.cluster_id == b.doc_id
    assert c.duplicate_of is None
    # Replayed later, in another batch: same answer.
    (again,) = clean_batch([first], store)
    assert again.duplicate_of is None
    (again,) = clean_batch([repost], store)
    assert again.duplicate_of == b.doc_id


def test_simhash_separates_different_reports():
    values = [simhash(seed_text(n)) for n in ("000", "001", "002", "003", "004")]
    assert min(hamming(a, b) for i, a in enumerate(values) for b in values[i + 1:]) > 10


def test_content_hash_ignores_whitespace_and_punctuation_only():
    a = clean(raw("一、总体情况\n全年完成投资10亿元。".encode()))
    b = clean(raw("一、总体情况\n\n  全年完成投资10亿元".encode()))
    c = clean(raw("一、总体情况\n全年完成投资11亿元。".encode()))
    assert a.content_sha256 == b.content_sha256 != c.content_sha256


def test_docx_text():
    import docx

    document = docx.Document()
    document.add_paragraph("某某经济开发区2023年工作计划")
    document.add_paragraph("力争全年实现工业总产值150亿元，同比增长12%。")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "指标", "数值"
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    assert sniff_kind(data) == "docx"
    text = docx_text(data)
    assert "工业总产值150亿元" in text and "指标\t数值" in text
    doc = prepare(raw(data, url="http://x.gov.cn/plan.docx"))
    assert doc.content_type.endswith("wordprocessingml.document")
    assert doc.title == "某某经济开发区2023年工作计划"


def _minimal_pdf(lines: list[str]) -> bytes:
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF".encode()
    return out


def test_pdf_text_and_pdf_attachment():
    data = _minimal_pdf(["Zone work report 2023", "Industrial output grew 12 percent."])
    assert sniff_kind(data) == "pdf"
    assert "Industrial output grew 12 percent." in pdf_text(data)
    page = GOV_PAGE.format(meta="").encode()
    doc = prepare(raw(page, attachments=[Attachment(url="http://x.gov.cn/a.pdf", name="附件1.pdf", kind="pdf",
                                                    body=data)]))
    assert "附件：附件1.pdf" in doc.text and "Industrial output grew" in doc.text
    assert doc.attachment_names == ["附件1.pdf"]


def test_bad_documents_raise_processing_error():
    with pytest.raises(ProcessingError, match="unreadable PDF"):
        pdf_text(b"%PDF-1.4 garbage")
    with pytest.raises(ProcessingError, match="unreadable DOC"):
        doc_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(ProcessingError, match="no text"):
        prepare(raw(b"<html><body><script>1</script></body></html>"))


def test_gov_metadata_regexes():
    text = "索引号: 000014349/2023-00215\n发文机关：山东省人民政府\n鲁政发〔2023〕5号\n关于印发的通知"
    assert index_number(text) == "000014349/2023-00215"
    assert issuer(text) == "山东省人民政府"
    assert doc_number(text) == "鲁政发〔2023〕5号"


def test_trim_tail_keeps_normal_endings():
    text = "正文第一段。\n" * 10 + "来源：县发改局"
    assert trim_tail(text) == "正文第一段。\n" * 9 + "正文第一段。"
    ending = "正文第一段。\n" * 10 + "特此报告。"
    assert trim_tail(ending) == ending


def test_a_document_number_cited_inside_a_sentence_is_not_the_pages_own():
    cited = ("关于受理人才公寓申请的公告\n根据《某市人才公寓管理办法》（穗建规字〔2020〕17号）的有关规定，"
             "现受理人才公寓申请。")
    assert doc_number(cited) is None
    own = "穗民规字〔2024〕3号\n各区民政局：\n根据《某办法》（穗府办规〔2022〕13号）及相关规定，现印发。"
    assert doc_number(own) == "穗民规字〔2024〕3号"
