"""Normalisation: NFKC, simplified copy, hard-wrap joins, and offsets back into the original text."""

from pathlib import Path

from processors.extract.normalize import normalize


def test_nfkc_full_width_forms():
    n = normalize("１－１０月，增长５．７％：完成")
    assert n.text == "1-10月,增长5.7%:完成"
    assert len(n.offsets) == len(n.text) + 1


def test_traditional_is_simplified_with_same_offsets():
    original = "高新區實現規模以上工業總產值125.6億元"
    n = normalize(original)
    assert n.text == "高新区实现规模以上工业总产值125.6亿元"
    start = n.text.index("亿元")
    a, b = n.span(start, start + 2)
    assert original[a:b] == "億元"


def test_plain_simplified_text_is_unchanged():
    text = "一、基本情况\n开发区完成营业收入316.6亿元。"
    n = normalize(text)
    assert n.text == text and not n.is_converted
    assert n.span(0, 3) == (0, 3)


def test_hard_wrapped_lines_are_joined_and_map_back():
    lines = [
        "今年1-6月，园区完成一般公共预算收",
        "入5.6亿元，同比增长7.2%；实现规上",
        "工业总产值88.5亿元，同比增长12.",
        "3%；完成固定资产投资21.4亿元，同",
        "比增长15.6%；实际使用外资3200万",
        "美元，同比增长8.8%；新增规上企业",
    ]
    original = "\n".join(lines)
    n = normalize(original)
    assert "预算收入5.6亿元" in n.text
    assert "增长12.3%" in n.text
    assert "3200万美元" in n.text
    i = n.text.index("收入")
    a, b = n.span(i, i + 2)
    assert original[a:b] == "收\n入"


def test_headings_are_not_joined_to_the_previous_line():
    text = (
        "（一）综合实力迈上新台阶\n2023年，起步区生产总值达到113.2亿元。\n"
        "（二）发展动能加速释放\n一是产业政策体系不断完善。"
    )
    n = normalize(text)
    assert n.text.count("\n") == 3


def test_crlf_line_ends_keep_offsets_on_the_original():
    original = "一、基本情况\r\n实现税收5407.8万元。"
    n = normalize(original)
    assert "\r" not in n.text
    i = n.text.index("5407.8")
    a, b = n.span(i, i + 6)
    assert original[a:b] == "5407.8"


def test_pinyin_readings_after_characters_are_dropped_and_spans_map_back():
    from processors.extract.normalize import normalize

    original = "曾都經(jīng)濟(jì)開發(fā)區(qū)實(shí)現(xiàn)產(chǎn)值162億元"
    n = normalize(original)
    assert n.text == "曾都经济开发区实现产值162亿元"
    start = n.text.index("162")
    a, b = n.span(start, start + len("162亿元"))
    assert original[a:b] == "162億元"
    assert normalize("GDP(gdp)增长(约)5%").text == "GDP(gdp)增长(约)5%"  # no tone mark: not a reading


def test_the_full_width_shortcut_gives_the_nfkc_form_of_every_line():
    import unicodedata

    from processors.extract.normalize import _nfkc_line

    lines = [
        "１－１０月，园区实现营业收入１２３.４亿元，同比增长５.６％。",
        "ＧＤＰ　增长",  # an ideographic space
        "＞\u0338 ﬁ ½ ｶﾞ ㈱",  # a mark composing with a mapped character; wider compatibility forms
        "plain ascii",
        "",
    ]
    for path in sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt")):
        lines += path.read_text(encoding="utf-8").splitlines(keepends=True)
    for line in lines:
        assert _nfkc_line(line) == unicodedata.normalize("NFKC", line), line
