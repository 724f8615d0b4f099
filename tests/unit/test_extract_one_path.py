"""`policywatch extract FILE` and the pipeline read a file alike: same text, spans and indicators.

For each kind (html, txt, pdf, docx, doc) the same bytes go (a) through the CLI with --json and (b) through
the pipeline's path (RawDocument -> processors.clean.prepare -> processors.extract.extract_document).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from test_clean_doc import _word_file  # a minimal Word 97-2003 file, built byte by byte

from policywatch.cli import main
from processors.clean import prepare
from processors.extract import extract_document
from schemas import RawDocument

REPORT = [
    "某某经济开发区2023年工作总结",
    "2023年，开发区坚持以高质量发展为主线，全力推动经济社会发展。",
    "一、主要指标",
    "全年完成规模以上工业总产值120亿元，同比增长15.2%；完成固定资产投资45亿元，同比增长12%。",
    "实际使用外资8000万美元，新签约项目32个，其中过亿元项目18个。",
]
URL = "http://kfq.example.gov.cn/art/2024/1/5/art_12_345.html"


def _html() -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT[1:])
    return (f"<html><head><meta charset='gbk'><title>{REPORT[0]}_某某经济开发区管委会</title></head><body>"
            f"<div class='nav'>首页 &gt; 工作总结</div><h1>{REPORT[0]}</h1>"
            f"<div class='info'>发布时间：2024-01-05 09:30 来源：管委会办公室</div>"
            f"<div class='content'>{paragraphs}</div>"
            "<div class='footer'>版权所有 网站地图</div></body></html>").encode("gbk")


def _pdf() -> bytes:
    """A one-page PDF with a predefined CJK font (STSong-Light, UniGB-UCS2-H): no font file needed."""
    def hexs(text: str) -> str:
        return "<" + text.encode("utf-16-be").hex().upper() + ">"

    stream = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"{hexs(line)} '" for line in REPORT) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        "/DescendantFonts [6 0 R] >>",
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
        "/Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
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


def _docx() -> bytes:
    import docx

    document = docx.Document()
    for line in REPORT:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


FILES = {
    "html": ("report.html", _html),
    "txt": ("report.txt", lambda: "\n".join(REPORT).encode("gb18030")),
    "pdf": ("report.pdf", _pdf),
    "docx": ("report.docx", _docx),
    "doc": ("report.doc", lambda: _word_file("\r".join(REPORT) + "\r")),
}


@pytest.mark.parametrize("kind", sorted(FILES))
def test_cli_and_pipeline_give_the_same_record(kind, tmp_path, capsys):
    name, make = FILES[kind]
    data = make()
    path = tmp_path / name
    path.write_bytes(data)

    assert main(["extract", str(path), "--json", "--url", URL]) == 0
    cli = json.loads(capsys.readouterr().out)

    raw = RawDocument(doc_id=RawDocument.id_for_bytes(data), url=URL, canonical_url=URL, source_id="t",
                      fetched_at=datetime.now(UTC), body=data)
    pipeline = extract_document(prepare(raw))

    assert cli["text"] == pipeline.text and "工业总产值120亿元" in cli["text"]
    assert cli["title"] == pipeline.title
    assert cli["indicators"] == pipeline.extraction.model_dump(mode="json")["indicators"]
    assert len(cli["indicators"]) >= 3
    assert cli["entities"] == pipeline.extraction.model_dump(mode="json")["entities"]
    for indicator in cli["indicators"]:  # spans index into the text both print
        start, end = indicator["span"]
        assert 0 <= start < end <= len(cli["text"])
    assert cli["published_at"] == (pipeline.published_at.isoformat() if pipeline.published_at else None)


def test_json_prints_the_whole_record(tmp_path, capsys):
    path = tmp_path / "page.html"
    path.write_bytes(_html())
    assert main(["extract", str(path), "--json", "--url", URL]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["url"] == URL
    assert obj["title"] == REPORT[0]
    assert obj["published_at"] == "2024-01-05T09:30:00+08:00" and obj["published_at_source"] == "visible"
    assert obj["bylines"] == {"source": "管委会办公室"}
    assert obj["encoding"] == "gb18030"
    assert "版权所有" not in obj["text"]
    assert {"zone", "doc_type", "indicators", "reason"} <= set(obj)


def test_url_gives_the_date_a_saved_page_lacks(tmp_path, capsys):
    path = tmp_path / "page.html"
    path.write_bytes(_html().replace("发布时间：2024-01-05 09:30".encode("gbk"), b""))
    assert main(["extract", str(path), "--json", "--url", URL]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["published_at"].startswith("2024-01-05") and obj["published_at_source"] == "url"


def test_url_with_several_files_is_a_clear_error(tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("甲", encoding="utf-8")
    b.write_text("乙", encoding="utf-8")
    assert main(["extract", str(a), str(b), "--url", URL]) != 0
    assert "--url names the address of one file" in capsys.readouterr().err
