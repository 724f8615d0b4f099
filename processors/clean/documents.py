"""Text of attachments: PDF (pypdf), DOCX (python-docx), Word 97-2003 DOC and WPS text (olefile + the
piece table), spreadsheets XLS/XLSX/ET (python-calamine; one text line per row, cells tab-separated, so
figures in tables reach the extractor) and OFD (the Chinese fixed-layout standard GB/T 33190: a zip of
XML pages whose TextCode elements hold the text)."""

from __future__ import annotations

import bisect
import io
import logging
import re
import struct

from policywatch.core.errors import ProcessingError

logger = logging.getLogger(__name__)

_PDF_MAGIC = b"%PDF"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip_kind(data: bytes) -> str | None:
    import zipfile

    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "OFD.xml" in names:
        return "ofd"
    return None


def _ole_kind(data: bytes) -> str:
    """`doc` for Word and WPS text files (a WordDocument stream), `xls` for Excel and WPS ET sheets."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists("WordDocument"):
                return "doc"
            if ole.exists("Workbook") or ole.exists("Book"):
                return "xls"
    except OSError:
        pass
    return "doc"


def sniff_kind(data: bytes, *, content_type: str | None = None, name: str | None = None) -> str:
    """``pdf``, ``docx``, ``doc``, ``xls``, ``xlsx``, ``ofd``, ``html`` or ``text`` from the bytes
    first, then the type and name."""
    head = data[:1024].lstrip()
    if head.startswith(_PDF_MAGIC):
        return "pdf"
    if data.startswith(_ZIP_MAGIC):
        kind = _zip_kind(data)
        if kind:
            return kind
    if data.startswith(_OLE_MAGIC):
        return _ole_kind(data)
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<?xml")) or b"<html" in lowered or b"<body" in lowered:
        return "html"
    ct = (content_type or "").lower()
    suffix = (name or "").lower().rsplit(".", 1)[-1] if name and "." in name else ""
    if "html" in ct or suffix in {"html", "htm", "shtml", "xhtml"}:
        return "html"
    return "text"


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise ProcessingError(f"unreadable PDF: {exc}") from exc
    return "\n".join(pages)


def docx_text(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ProcessingError(f"unreadable DOCX: {exc}") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text.strip() for cell in row.cells))
    return "\n".join(parts)


_FIELD = re.compile(r"\x13[^\x13\x14\x15]*\x14?([^\x13\x15]*)\x15")
_SPRM_P_IN_TABLE, _SPRM_P_TTP = 0x2416, 0x2417  # sprmPFInTable, sprmPFTtp (the row-end mark)
_ROW_END = "\x1e"


def _sprm_flags(grpprl: bytes) -> tuple[bool, bool]:
    """(in a table, is a row end) from a paragraph's property modifiers ([MS-DOC] 2.6.2)."""
    in_table = ttp = False
    pos = 0
    while pos + 2 <= len(grpprl):
        sprm = struct.unpack_from("<H", grpprl, pos)[0]
        pos += 2
        spra = sprm >> 13
        if spra in (0, 1):
            size = 1
        elif spra in (2, 4, 5):
            size = 2
        elif spra == 3:
            size = 4
        elif spra == 7:
            size = 3
        elif sprm == 0xD608:  # sprmTDefTable: a two-byte size
            size = struct.unpack_from("<H", grpprl, pos)[0] + 1
        else:
            size = grpprl[pos] + 1 if pos < len(grpprl) else 0
        if sprm == _SPRM_P_IN_TABLE:
            in_table = bool(grpprl[pos])
        elif sprm == _SPRM_P_TTP:
            ttp = bool(grpprl[pos])
        pos += size
    return in_table, ttp


def _paragraphs(word: bytes, table: bytes) -> tuple[list[int], list[tuple[int, bool, bool]]]:
    """Paragraph starts (stream offsets, sorted) and (end, in table, row end) for each, from the
    PAPX pages (PlcBtePapx, [MS-DOC] 2.8.6 and 2.9.175); empty when they cannot be read."""
    found: list[tuple[int, int, bool, bool]] = []  # (start, end, in table, row end)
    try:
        fc_plc, lcb_plc = struct.unpack_from("<II", word, 0x102)
        plc = table[fc_plc : fc_plc + lcb_plc]
        n = (len(plc) - 4) // 8
        pages = struct.unpack_from(f"<{n}I", plc, 4 * (n + 1)) if n > 0 else ()
        for pn in pages:
            page = word[(pn & 0x3FFFFF) * 512 : (pn & 0x3FFFFF) * 512 + 512]
            if len(page) < 512:
                continue
            cpara = page[511]
            fcs = struct.unpack_from(f"<{cpara + 1}I", page, 0)
            for i in range(cpara):
                b_offset = page[4 * (cpara + 1) + 13 * i] * 2
                in_table = ttp = False
                if b_offset:
                    cb = page[b_offset]
                    body = (page[b_offset + 1 : b_offset + 2 * cb] if cb
                            else page[b_offset + 2 : b_offset + 2 + 2 * page[b_offset + 1]])
                    in_table, ttp = _sprm_flags(body[2:])  # after the style index
                found.append((fcs[i], fcs[i + 1], in_table, ttp))
    except (struct.error, IndexError):
        return [], []
    # By start; of equal starts the one read first ends up last, where the look-up's bisect_right lands.
    found = sorted(reversed(found), key=lambda p: p[0])
    return [p[0] for p in found], [p[1:] for p in found]


def _marks(decoded: str, offset_of, starts: list[int], info: list[tuple[int, bool, bool]]) -> str:
    """Table marks of one piece: a cell end becomes a tab, a row end a line break, a paragraph
    break inside a cell a space (so each table row stays one text line)."""
    if not starts or ("\x07" not in decoded and "\r" not in decoded):
        return decoded
    out = list(decoded)
    for match in re.finditer("[\x07\r]", decoded):
        pos = offset_of(match.start())
        at = bisect.bisect_right(starts, pos) - 1
        in_table = ttp = False
        if at >= 0 and pos < info[at][0]:
            _, in_table, ttp = info[at]
        if match.group() == "\x07":
            out[match.start()] = _ROW_END if ttp else "\x07"
        elif in_table and not ttp:
            out[match.start()] = " "
    return "".join(out)


def doc_text(data: bytes) -> str:
    """Main-document text of a Word 97-2003 or WPS 文字 file, read through its piece table
    ([MS-DOC] 2.8.35); table cells are tab-separated and each table row is one line."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except OSError as exc:
        raise ProcessingError(f"unreadable DOC: {exc}") from exc
    with ole:
        if not ole.exists("WordDocument"):
            raise ProcessingError("unreadable DOC: no WordDocument stream (not a Word file)")
        word = ole.openstream("WordDocument").read()
        if len(word) < 0x1AA:
            raise ProcessingError("unreadable DOC: FIB too short")
        flags = struct.unpack_from("<H", word, 0x0A)[0]
        if flags & 0x0100:
            raise ProcessingError("unreadable DOC: the file is encrypted")
        table_name = "1Table" if flags & 0x0200 else "0Table"
        if not ole.exists(table_name):
            raise ProcessingError(f"unreadable DOC: no {table_name} stream")
        table = ole.openstream(table_name).read()
    ccp_text = struct.unpack_from("<i", word, 0x4C)[0]
    fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x1A2)
    clx = table[fc_clx : fc_clx + lcb_clx]
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:  # Prc: skip property modifiers
        pos += 3 + struct.unpack_from("<H", clx, pos + 1)[0]
    if pos >= len(clx) or clx[pos] != 0x02:
        raise ProcessingError("unreadable DOC: no piece table")
    lcb = struct.unpack_from("<I", clx, pos + 1)[0]
    plc = clx[pos + 5 : pos + 5 + lcb]
    n = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    starts, info = _paragraphs(word, table)
    chunks: list[str] = []
    for i in range(n):
        start, end = cps[i], (min(cps[i + 1], ccp_text) if ccp_text > 0 else cps[i + 1])
        if start >= end:
            continue
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        count = end - start
        if fc & 0x40000000:
            offset = (fc & ~0x40000000) // 2
            piece = word[offset : offset + count].decode("cp1252", errors="replace")
            chunks.append(_marks(piece, lambda k, o=offset: o + k, starts, info))
        else:
            piece = word[fc : fc + 2 * count].decode("utf-16-le", errors="replace")
            chunks.append(_marks(piece, lambda k, o=fc: o + 2 * k, starts, info))
    text = _FIELD.sub(r"\1", "".join(chunks))
    text = text.replace("\x07" + _ROW_END, _ROW_END)  # the last cell's mark before its row end
    text = text.replace("\r", "\n").replace("\x07", "\t").replace("\x0b", "\n").replace("\x0c", "\n")
    text = text.replace(_ROW_END, "\n")
    return re.sub(r"[\x00-\x08\x0e-\x1f]", "", text)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def sheet_text(data: bytes) -> str:
    """Every sheet of an XLS/XLSX/ET workbook as text: a `【sheet】` line, then one line per row."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        lines: list[str] = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
            cells = [[_cell(v) for v in row] for row in rows]
            cells = [row for row in cells if any(row)]
            if cells:
                lines.append(f"【{name}】")
                lines.extend("\t".join(row).rstrip("\t") for row in cells)
    except (CalamineError, ValueError, OSError) as exc:
        raise ProcessingError(f"unreadable spreadsheet: {exc}") from exc
    return "\n".join(lines)


def _local(element) -> str:
    """An element's name without its namespace: producers differ (ofdrw writes
    `http://www.ofdspec.org/2016`, Suwell's converters `http://www.ofdspec.org`, some none at all)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str):
    return (e for e in element.iter() if _local(e) == name)


def _ofd_lines(content) -> list[str]:
    lines = []
    for obj in _children(content, "TextObject"):
        text = "".join(code.text or "" for code in _children(obj, "TextCode")).strip()
        if text:
            lines.append(text)
    return lines


def ofd_text(data: bytes) -> str:
    """The text of an OFD file, page by page in document order, one line per text object; a page's
    background templates (where e-certificates and invoices keep their printed labels) come before
    its own content, foreground templates after it."""
    import posixpath
    import zipfile

    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = {n.lower(): n for n in archive.namelist()}  # producers disagree on case (TPLS/Tpls)

        def find(base: str, loc: str) -> str | None:
            loc = (loc or "").strip()
            path = loc.lstrip("/") if loc.startswith("/") or loc.lower() in names else f"{base}/{loc}"
            return names.get(posixpath.normpath(path).lower())

        def read(base: str, loc: str):
            path = find(base, loc)
            if path is None:
                raise KeyError(f"no {loc!r} in the archive")
            return etree.fromstring(archive.read(path))

        root = etree.fromstring(archive.read("OFD.xml"))
        lines: list[str] = []
        for doc_root in _children(root, "DocRoot"):
            doc_path = (doc_root.text or "").strip().lstrip("/")
            document = etree.fromstring(archive.read(doc_path))
            base = posixpath.dirname(doc_path)
            templates = {t.get("ID"): t.get("BaseLoc") for t in _children(document, "TemplatePage")}
            for page in _children(document, "Page"):
                if page.get("BaseLoc") is None:
                    continue
                content = read(base, page.get("BaseLoc"))
                used = [(t.get("ZOrder") or "Background", templates.get(t.get("TemplateID")))
                        for t in _children(content, "Template")]
                for order in ("Background", "Body", "Foreground"):
                    if order == "Body":
                        lines.extend(_ofd_lines(content))
                        continue
                    for z, loc in used:
                        if z == order and loc and find(base, loc):  # a missing template is only decor
                            lines.extend(_ofd_lines(read(base, loc)))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError) as exc:
        raise ProcessingError(f"unreadable OFD: {exc}") from exc
    return "\n".join(lines)


READABLE_KINDS = ("pdf", "docx", "doc", "xls", "xlsx", "ofd")


def document_text(data: bytes, kind: str) -> str:
    if kind == "pdf":
        return pdf_text(data)
    if kind == "docx":
        return docx_text(data)
    if kind == "doc":
        return doc_text(data)
    if kind in ("xls", "xlsx"):
        return sheet_text(data)
    if kind == "ofd":
        return ofd_text(data)
    raise ProcessingError(f"no text extractor for {kind!r}")
