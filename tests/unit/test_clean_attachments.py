"""Attachment readers on real files from public repositories (tests/golden/attachments/, provenance
beside them): OFD text page by page, spreadsheet rows as text lines, kinds sniffed from the bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from policywatch.core.errors import ProcessingError
from processors.clean import prepare
from processors.clean.documents import document_text, sniff_kind
from schemas.raw import Attachment, RawDocument

FILES = Path(__file__).resolve().parents[1] / "golden" / "attachments"


@pytest.mark.parametrize(
    ("path", "kind"),
    [("ofd/helloworld.ofd", "ofd"), ("ofd/keyword2.ofd", "ofd"), ("ofd/invoice_zj.ofd", "ofd"),
     ("ofd/property_certificate.ofd", "ofd"), ("xls/base.xls", "xls"), ("xls/base.xlsx", "xlsx")],
)
def test_kind_is_sniffed_from_the_bytes(path, kind):
    assert sniff_kind((FILES / path).read_bytes(), name="download.jsp") == kind


def test_ofd_text_in_page_order():
    text = document_text((FILES / "ofd/keyword2.ofd").read_bytes(), "ofd")
    lines = text.splitlines()
    assert lines[0] == "你好呀，OFD Reader&Writer！"
    assert "重庆市马" in lines and "担保有限公" in lines
    assert text.count("你好呀，OFD Reader&Writer！") == 2  # two pages, both read


def test_ofd_invoice_reads_the_labels_of_its_template_page():
    """The printed labels of an e-invoice sit in a background TemplatePage, the figures on the page."""
    lines = document_text((FILES / "ofd/invoice_zj.ofd").read_bytes(), "ofd").splitlines()
    assert lines[0] == "机器编号："  # the template comes first: it is drawn beneath the page
    assert "纳税人识别号：" in lines and "价税合计（大写）" in lines
    assert "浙江增值税电子普通发票" in lines and "伍佰贰拾陆圆整" in lines
    assert lines.index("开票人：") < lines.index("江苏京利华新材料有限公司")


def test_ofd_in_the_older_namespace_is_read():
    """Document.xml in `http://www.ofdspec.org` (no /2016), as Suwell and certificate systems write it."""
    text = document_text((FILES / "ofd/property_certificate.ofd").read_bytes(), "ofd")
    lines = text.splitlines()
    assert "鲁（2020）泰安市不动产证明第0014777号" in lines
    assert "中国建设银行股份有限公司泰安分行" in lines
    assert "担保债权数额：35万元" in text


@pytest.mark.parametrize("name", ["base.xls", "base.xlsx"])
def test_spreadsheet_rows_are_text_lines(name):
    text = document_text((FILES / "xls" / name).read_bytes(), "xlsx" if name.endswith("x") else "xls")
    lines = text.splitlines()
    assert lines[0] == "【Sheet1】"
    assert lines[1].split("\t")[:5] == ["String", "1", "1.1", "True", "False"]
    assert "2010-10-10" in lines[1]
    if name.endswith("x"):
        assert "line2\tline2\tline2" in lines


def test_damaged_spreadsheet_and_ofd_are_clear_errors():
    data = (FILES / "xls/base.xlsx").read_bytes()[:3000]
    with pytest.raises(ProcessingError, match="unreadable spreadsheet"):
        document_text(data, "xlsx")
    with pytest.raises(ProcessingError, match="unreadable OFD"):
        document_text(b"PK\x03\x04 not really", "ofd")


def test_clean_appends_spreadsheet_and_ofd_attachments_to_the_page_text():
    page = "<html><body><div class='TRS_Editor'><p>经济开发区2023年主要指标完成情况见附件。</p></div></body>"
    raw = RawDocument(
        doc_id=RawDocument.id_for_url("http://www.a.gov.cn/art/1.html"),
        url="http://www.a.gov.cn/art/1.html",
        canonical_url="http://www.a.gov.cn/art/1.html",
        source_id="s1",
        fetched_at=datetime.now(UTC),
        status=200,
        content_type="text/html; charset=utf-8",
        body=page.encode(),
        attachments=[
            Attachment(url="http://www.a.gov.cn/P1.xlsx", name="指标.xlsx", kind="xlsx",
                       body=(FILES / "xls/base.xlsx").read_bytes()),
            Attachment(url="http://www.a.gov.cn/P2.ofd", name="通知.ofd", kind="other",
                       body=(FILES / "ofd/helloworld.ofd").read_bytes()),
        ],
    )
    text = prepare(raw).text
    assert "附件：指标.xlsx" in text
    assert "line2 line2 line2" in text.splitlines()  # each row stays one line (cells spaced by clean)
    assert "附件：通知.ofd" in text and "你好呀，OFD Reader&Writer！" in text
