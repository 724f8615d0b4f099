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
     ("ofd/property_certificate.ofd", "ofd"), ("xls/base.xls", "xls"), ("xls/base.xlsx", "xlsx"),
     ("et/budget_targets_2019.et", "xls"), ("wps/procurement_requirements.wps", "doc")],
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


def test_every_attachment_fixture_has_provenance():
    import json

    for family in sorted(p for p in FILES.iterdir() if p.is_dir()):
        prov = json.loads((family / "provenance.json").read_text(encoding="utf-8"))
        assert prov["repo"] and len(prov["commit"]) == 40, family.name
        assert sorted(prov["files"]) == sorted(p.name for p in family.iterdir() if p.suffix != ".json")


def test_wps_et_spreadsheet_rows_are_text_lines_and_its_figures_are_extracted():
    """A real WPS 表格 (Kingsoft ET) file: an OLE workbook with an extra ETExtData stream."""
    from processors.extract.extract import extract_text

    text = document_text((FILES / "et/budget_targets_2019.et").read_bytes(), "xls")
    lines = text.splitlines()
    assert lines[0] == "【Sheet1】" and lines[2:4] == ["项目支出绩效目标表", "（2019年）"]
    assert "预算金额\t410万元\t其中：财政拨款\t√\t\t其他资金" in lines
    assert "项目主管部门\t金水区政府\t项目实施单位\t金水区事管局" in lines
    assert "【Sheet2】" in lines and "\t工作时效\t2019年3月15日签订合同计划60日历天完工。" in lines
    budget = [i for i in extract_text(text).indicators if i.label == "预算金额"]
    assert budget and budget[0].value == 410.0 and budget[0].unit == "万元"


def test_wps_text_document_is_read_through_its_piece_table():
    """A real WPS 文字 file (WPS Office 12.8): Word 97 binary with a WpsCustomData stream."""
    text = document_text((FILES / "wps/procurement_requirements.wps").read_bytes(), "doc")
    lines = text.splitlines()
    assert lines[0] == "附件 采购需求文件"
    assert "第一部分采购项目内容" in lines and "六、服务期" in lines and "自合同签订之日起一年。" in lines
    assert "第一期在合同签订之日后15个工作日内支付项目总经费的30%；" in lines
    # the table of 项目概况: one line per row, cells tab-separated, paragraphs inside a cell spaced
    assert "序号\t项目内容\t量化指标\t需求说明" in lines
    row = next(line for line in lines if line.startswith("1\t对强制分类机团单位摸查整改\t"))
    assert "对全区776个机团单位进行摸查整改" in row and "A档物业小区占比达40%" in row
    assert lines[lines.index(row) + 1].startswith("2\t对全区物业小区开展站桶指导培训")
    row4 = "4\t对全区三类单位组织分类培训指导\t对全区18个街道的三类单位进行专项培训，每个街道组织2场；"
    assert row4 + "区组织2场专项培训；共38场。\t" in lines


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
