"""Word 97-2003 .doc text through the piece table, on a minimal compound file built here."""

from __future__ import annotations

import struct

from processors.clean.documents import doc_text, sniff_kind

END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, start: int, size: int, *, child: int = NOSTREAM,
               right: int = NOSTREAM) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", NOSTREAM, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
            + struct.pack("<IQ", start, size))


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """Header, one FAT sector, one directory sector, then each stream (padded to >= 4096 bytes: smaller
    streams would live in the mini stream)."""
    streams = {name: data.ljust(4096, b"\0") for name, data in streams.items()}
    names = list(streams)
    datas = [streams[n].ljust(max(4096, -(-len(streams[n]) // 512) * 512), b"\0") for n in names]
    fat = [FATSECT, END]
    starts = []
    for data in datas:
        first = len(fat)
        count = len(data) // 512
        starts.append(first)
        fat.extend(first + i + 1 for i in range(count - 1))
        fat.append(END)
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    entries = [_dir_entry("Root Entry", 5, END, 0, child=1)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else NOSTREAM
        entries.append(_dir_entry(name, 2, starts[i], len(streams[name]), right=right))
    directory = b"".join(entries).ljust(512, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIII", 0, 1, 1, 0) + struct.pack("<IIIII", 4096, END, 0, END, 0)
              + struct.pack("<I", 0) + b"\xff" * 4 * 108)
    return header + fat_sector + directory + b"".join(datas)


def _word_file(text: str) -> bytes:
    body = text.encode("utf-16-le")
    word = bytearray(0x800) + body
    struct.pack_into("<H", word, 0x00, 0xA5EC)  # wIdent
    struct.pack_into("<H", word, 0x0A, 0x0200)  # fWhichTblStm: 1Table
    struct.pack_into("<i", word, 0x4C, len(text))  # ccpText
    plc = struct.pack("<II", 0, len(text)) + struct.pack("<HIH", 0, 0x800, 0)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", word, 0x1A2, 0, len(clx))  # fcClx, lcbClx
    return _compound_file({"WordDocument": bytes(word), "1Table": clx})


def test_doc_text_reads_the_piece_table():
    text = ("某某经济开发区2023年工作总结\r全年实现工业总产值120亿元，同比增长12%。\r"
            "详见\x13 HYPERLINK \"http://x.gov.cn\" \x14政府网站\x15。\r")
    data = _word_file(text)
    assert sniff_kind(data) == "doc"
    out = doc_text(data)
    assert "某某经济开发区2023年工作总结\n全年实现工业总产值120亿元" in out
    assert "详见政府网站。" in out and "HYPERLINK" not in out
