"""HTML cleaning pieces that real government and news pages need (no services)."""

from __future__ import annotations

from datetime import UTC, datetime

from processors.clean import prepare
from processors.clean.dates import CST, parse_date
from processors.clean.html import extract_html, parse_tree, strip_site_chain, visible_text
from processors.clean.metadata import bylines, table_fields
from schemas import ListContext, RawDocument

BODY = (
    "<p>为进一步优化营商环境，推动开发区高质量发展，管委会研究制定了本实施方案，现印发给你们，请认真贯彻执行。</p>"
    "<p>一、总体要求。坚持问题导向，聚焦企业关切，全面提升政务服务效能，力争年内企业开办时间压缩至一个工作日以内。</p>"
    "<p>二、主要任务。深化“一网通办”改革，推进涉企事项集成办理，建立项目全程帮办代办机制，强化要素保障。</p>"
    "<p>三、保障措施。各部门要加强组织领导，明确责任分工，确保各项措施落地见效，年底前报送落实情况。</p>"
)


def raw(html: str, *, url: str = "http://kfq.example.gov.cn/art/1.html", **kw) -> RawDocument:
    body = html.encode("utf-8")
    return RawDocument(doc_id=RawDocument.id_for_bytes(body), url=url, canonical_url=url, source_id="t",
                       fetched_at=datetime(2026, 12, 1, tzinfo=UTC), body=body, content_type="text/html",
                       **kw)


def page(head: str = "", header: str = "", title: str = "关于印发优化营商环境实施方案的通知") -> str:
    return (f"<html><head><meta charset='utf-8'><title>{title}_通知公告_某某经济开发区管委会</title>{head}"
            f"</head><body><div class='nav'>首页 &gt; 通知公告</div><h1>{title}</h1>{header}"
            f"<div class='content'>{BODY}</div>"
            "<div class='footer'>主办单位：某某经济开发区管委会 版权所有 网站地图 京ICP备12345678号</div>"
            "</body></html>")


def test_comment_markers_do_not_swallow_the_date_after_them():
    doc = prepare(raw(page(header="<p>发布日期：<!--begin-->2019-03-06<!--end--> 来源：管委会办公室</p>")))
    assert doc.published_at == datetime(2019, 3, 6, tzinfo=CST)
    assert doc.published_at_source == "visible"
    assert doc.bylines["source"] == "管委会办公室"


def test_cms_template_markers_keep_the_headline_text():
    html = page().replace("<h1>关于印发优化营商环境实施方案的通知</h1>",
                          "<h1><!--<$[标题]>begin-->关于印发优化营商环境实施方案的通知<!--<$[标题]>end--></h1>")
    assert prepare(raw(html)).title == "关于印发优化营商环境实施方案的通知"


def test_label_in_nested_tags_reads_label_then_value():
    tree = parse_tree("<table><tr><td><b><span>索引号:</span></b>014500815/2019-00012</td></tr></table>")
    assert visible_text(tree).split("\n")[0] == "索引号:014500815/2019-00012"
    assert table_fields(visible_text(tree))["索引号"] == "014500815/2019-00012"


def test_metadata_table_becomes_fields_and_leaves_the_text():
    table = ("<table class='xxgk'><tr><td>索 引 号：</td><td>11370126MB2853917P/2024-00012</td>"
             "<td>主题分类：</td><td>综合政务</td></tr>"
             "<tr><td>发文机关：</td><td>某某经济开发区管委会</td><td>成文日期：</td><td>2024年01月04日</td></tr>"
             "<tr><td>发文字号：</td><td>某开管发〔2024〕3号</td><td>发布日期：</td><td>2024年01月05日</td></tr>"
             "</table>")
    doc = prepare(raw(page(header=table)))
    assert doc.index_number == "11370126MB2853917P/2024-00012"
    assert doc.doc_number == "某开管发〔2024〕3号"
    assert doc.issuer == "某某经济开发区管委会"
    # 发布日期 is the publication date; 成文日期 is kept apart as the date of writing.
    assert doc.published_at == datetime(2024, 1, 5, tzinfo=CST)
    assert doc.written_at == datetime(2024, 1, 4, tzinfo=CST)
    assert doc.gov_fields["主题分类"] == "综合政务" and doc.gov_fields["发布日期"] == "2024年01月05日"
    assert "索" not in doc.text and "11370126MB2853917P" not in doc.text
    assert doc.text.startswith("为进一步优化营商环境")


def test_no_navigation_or_footer_in_the_text():
    doc = prepare(raw(page()))
    assert doc.text.startswith("为进一步优化营商环境") and doc.text.endswith("年底前报送落实情况。")
    for marker in ("首页", "主办单位", "版权所有", "网站地图", "ICP备"):
        assert marker not in doc.text


def test_early_closing_html_is_read_as_a_browser_reads_it():
    html = ("<html><head><meta charset='utf-8'><title>通知</title></head><body><p>目录</p></body></html>"
            f"<div class='content'>{BODY}</div>")
    assert "三、保障措施" in prepare(raw(html)).text


def test_site_name_chains_are_removed_whole():
    assert strip_site_chain("2023年工作总结_通知公告_某某区人民政府") == "2023年工作总结"
    assert strip_site_chain("开发区召开项目推进会--要闻--某某新闻网") == "开发区召开项目推进会"
    assert strip_site_chain("经济运行情况分析__某某统计月刊") == "经济运行情况分析"
    assert strip_site_chain("某某博客 » 播客热潮迅速蔓延 挑逗传统传媒业") == "播客热潮迅速蔓延 挑逗传统传媒业"
    assert strip_site_chain("有英勇的你，才有英雄的城！-新华网") == "有英勇的你，才有英雄的城！"
    assert strip_site_chain("日本无性婚姻问题严重(图)--雅虎新闻") == "日本无性婚姻问题严重(图)"
    # a dash inside the headline is not a separator
    assert strip_site_chain("对比试车—测试昌河北斗星、爱迪尔(图)") == "对比试车—测试昌河北斗星、爱迪尔(图)"


def test_visible_headline_wins_over_the_head_title():
    html = page(title="书记市长这一周 | 奋马扬鞭争春色")
    assert extract_html(html).title == "书记市长这一周 | 奋马扬鞭争春色"


def test_date_printed_next_to_the_headline():
    html = page(header="<div class='info'>2005年03月21日 11:21 新浪网</div>")
    doc = prepare(raw(html))
    assert doc.published_at == datetime(2005, 3, 21, 11, 21, tzinfo=CST)


def test_publish_meta_is_used_and_modified_meta_is_not():
    html = page(head="<meta name='lastmodifiedtime' content='2025-06-01'>"
                     "<meta name='PubDate' content='2024-01-05 09:30'>")
    doc = prepare(raw(html))
    assert doc.published_at == datetime(2024, 1, 5, 9, 30, tzinfo=CST) and doc.published_at_source == "meta"


def test_list_date_is_the_last_resort():
    context = ListContext(list_url="http://kfq.example.gov.cn/col/index.html", title="关于印发实施方案的通知",
                          date_text="2024-03-07", position=3)
    doc = prepare(raw(page(), url="http://kfq.example.gov.cn/art/view.html", list_context=context))
    assert doc.published_at == datetime(2024, 3, 7, tzinfo=CST)
    assert doc.published_at_source == "list"
    # a date on the page beats the list's
    dated = prepare(raw(page(header="<p>发布时间：2024-03-06 10:00</p>"), list_context=context))
    assert dated.published_at_source == "visible" and dated.published_at.day == 6


def test_bylines_become_fields_and_leave_the_text():
    html = page().replace("年底前报送落实情况。</p>",
                          "年底前报送落实情况。</p><p>来源：某某日报  作者：张三</p>"
                          "<p>（责任编辑：李四）</p>")
    doc = prepare(raw(html))
    assert doc.bylines == {"source": "某某日报", "author": "张三", "editor": "李四"}
    assert doc.text.endswith("年底前报送落实情况。")
    assert bylines("审核：王五")["reviewer"] == "王五"


def test_us_form_dates():
    assert parse_date("9/17/2004 5:54:13 PM") == datetime(2004, 9, 17, 17, 54, 13, tzinfo=CST)


def test_crawler_hints_are_fallbacks_not_lost():
    html = page()
    hints = {"list_date_raw": "2024-02-09", "doc_no": "某开管发〔2024〕7号", "index_no": "ABC-2024-1"}
    doc = prepare(raw(html, url="http://kfq.example.gov.cn/art/view.html", hints=hints))
    assert doc.published_at_source == "list" and doc.published_at.day == 9
    assert doc.doc_number == "某开管发〔2024〕7号" and doc.index_number == "ABC-2024-1"


def test_undeclared_big5_and_gbk_pages_decode():
    from policywatch.core.decode import decode_bytes

    trad = "臺北市政府今日公布施政計畫，將持續推動都市更新、社會住宅興建與交通建設，並加強防災整備工作。" * 3
    simp = "开发区坚持以高质量发展为主线，全力推动经济社会发展，规模以上工业总产值同比增长百分之十五。" * 3
    for text, codec in ((trad, "big5"), (simp, "gbk"), (trad, "gbk")):
        page = f"<html><body><p>{text}</p></body></html>".encode(codec)
        decoded, encoding = decode_bytes(page)
        assert text in decoded, codec
        assert encoding == ("big5" if codec == "big5" else "gb18030")


def test_markup_inside_a_title_meta_is_not_part_of_the_title():
    meta = "<meta name='ArticleTitle' content='为建设凝聚力量&lt;div&gt;——热烈祝贺会议开幕&lt;/div&gt;'>"
    head = f"<head>{meta}<title>为建设凝聚力量_某某市人民政府网</title></head>"
    html = f"<html>{head}<body>{BODY}</body></html>"
    assert extract_html(html).title == "为建设凝聚力量——热烈祝贺会议开幕"


def test_site_name_before_a_dash_and_pagination_suffixes_leave_the_title():
    assert strip_site_chain("某某市人民政府网——全市召开项目建设推进会议") == "全市召开项目建设推进会议"
    forum = "社会资本与下岗职工的再就业(页 1) - 学术前沿 - 某某论坛"
    assert strip_site_chain(forum) == "社会资本与下岗职工的再就业"
    assert strip_site_chain("某某区经济运行情况（第2页）") == "某某区经济运行情况"
    # a short prefix that is the whole story stays
    assert strip_site_chain("新华网——快讯") == "新华网——快讯"


def test_bare_label_cells_give_their_next_cell_and_the_rows_leave_the_text():
    rows = ("<table><tr><td>索引号</td><td>113325000026455663/2023-43887</td><td>文号</td>"
            "<td>丽政发〔2023〕30号</td></tr><tr><td>组配分类</td><td>市政府文件</td><td>发布机构</td>"
            "<td>市政府</td></tr><tr><td>成文日期</td><td>2023-10-16</td><td>公开方式</td><td>主动公开</td>"
            "</tr></table>")
    fields = table_fields(visible_text(parse_tree(rows)))
    assert fields["索引号"] == "113325000026455663/2023-43887"
    assert fields["文号"] == "丽政发〔2023〕30号"
    assert fields["成文日期"] == "2023-10-16" and fields["公开方式"] == "主动公开"
    html = page().replace("<h1>", rows + "<h1>")
    doc = prepare(raw(html))
    assert doc.index_number == "113325000026455663/2023-43887"
    assert doc.written_at is not None and doc.written_at.date().isoformat() == "2023-10-16"
    assert "索引号" not in doc.text and "主动公开" not in doc.text


def test_a_page_without_a_head_title_takes_its_marked_headline():
    html = ("<html><body><div class='nav'>首页</div><div class='post'><a id='viewpost1_TitleUrl' href='/p/1'>"
            "十三岁女孩辍学后的生活(附图)</a></div>" + f"<div class='content'>{BODY}</div></body></html>")
    assert extract_html(html).title == "十三岁女孩辍学后的生活(附图)"


CATALOGUE = ("<table><tr><td>索 引 号</td><td>Whgs-16-02-010</td><td>信息分类</td><td></td></tr>"
             "<tr><td>发布机构</td><td>武汉市工商局</td><td>公开日期</td><td>2018-01-01</td></tr>"
             "<tr><td>名称</td><td colspan='3'>关于印发优化营商环境实施方案的通知</td></tr>"
             "<tr><td>语种</td><td>中文</td><td>信息格式</td><td>html</td></tr>"
             "<tr><td>内容概述</td><td></td></tr><tr><td>相关信息</td><td></td></tr></table>")


def test_catalogue_cells_leave_the_text_and_an_empty_cell_takes_no_sentence():
    html = page().replace("<div class='content'>", CATALOGUE + "<div class='content'>")
    doc = prepare(raw(html))
    assert doc.index_number == "Whgs-16-02-010"
    assert doc.text.startswith("为进一步优化营商环境")
    assert "语种" not in doc.text and "内容概述" not in doc.text
    # the body's first sentence after an empty 相关信息 cell is not that cell's value
    assert "相关信息" not in doc.gov_fields
    # without an 信息公开 field, a body table headed 名称 | 语种 is nobody's header
    assert table_fields("名称\n数量\n语种\n中文") == {}


def test_catalogue_date_yields_to_the_publish_meta_the_url_confirms():
    html = page(head="<meta name='PubDate' content='2018-03-14 11:30'>").replace("<h1>", CATALOGUE + "<h1>")
    trs_url = "http://gsj.example.gov.cn/zwgk/201803/t20180314_224599.html"
    doc = prepare(raw(html, url=trs_url))
    assert doc.published_at == datetime(2018, 3, 14, 11, 30, tzinfo=CST) and doc.published_at_source == "meta"
    # the catalogue's date stands when nothing confirms the meta, and 发布日期 always stands
    assert prepare(raw(html)).published_at == datetime(2018, 1, 1, tzinfo=CST)
    labelled = html.replace("公开日期", "发布日期")
    assert prepare(raw(labelled, url=trs_url)).published_at == datetime(2018, 1, 1, tzinfo=CST)


def test_a_bar_of_page_buttons_leaves_the_text():
    html = page().replace("</div><div class='footer'>", "<p>[ 打印 | 关闭 ]</p></div><div class='footer'>")
    doc = prepare(raw(html))
    assert doc.text.endswith("年底前报送落实情况。")


def test_an_untitled_page_takes_the_emphasised_line_right_above_its_text():
    banner = ("<div class='title'>本站永久域名: example.126.com 姊妹站 example.net</div>"
              "<div>当前位置：首页-&gt;军事技术</div>")
    html = (f"<html><body>{banner}<p align='center'><big><b>关于印发优化营商环境实施方案的通知</b></big></p>"
            f"<div class='content'>{BODY}</div></body></html>")
    assert extract_html(html).title == "关于印发优化营商环境实施方案的通知"
    # a plain line above the text is no headline: the title-marked element stays the answer
    plain = html.replace("<p align='center'><big><b>", "<p>").replace("</b></big></p>", "</p>")
    assert extract_html(plain).title.startswith("本站永久域名")


def test_an_untitled_page_never_takes_a_bold_byline_or_dateline_for_its_headline():
    headline = "<p align='center'><big><b>关于印发优化营商环境实施方案的通知</b></big></p>"
    for line in ("本报记者张三发自北京", "2003年5月"):
        under = f"<p align='center'><b>{line}</b></p>"
        html = f"<html><body>{headline}{under}<div class='content'>{BODY}</div></body></html>"
        assert extract_html(html).title == "关于印发优化营商环境实施方案的通知", under


def test_a_trailing_directory_of_department_links_and_the_qr_prompt_are_not_text():
    # The 集约化 article template of gz.gov.cn: body, QR prompt split by <br>, print button, then the
    # site's list of departments (a shape seen on a real 市政府公报 page of the corpus).
    body = "".join(f"<p>第{n}条 本条规定的事项，由市医疗保障部门负责解释和组织实施。</p>"
                   for n in range(1, 8))
    names = ("教育", "科技", "公安", "民政", "司法", "财政", "商务", "审计", "统计", "体育", "信访", "水务")
    directory = "".join(f"<li><p>· 市{name}局</p></li>" for name in names)
    page = (f"<html><head><title>办法</title></head><body><div class='content_article'>{body}"
            "<p>本办法自印发之日起施行。</p></div><div class='bottomIcon'><p>扫一扫在手机<br>打开当前页</p>"
            f"<p>下载、打印</p></div><div id='newsjjgbox'><ul>{directory}</ul></div></body></html>")
    text = extract_html(page).text
    assert text.endswith("本办法自印发之日起施行。"), text[-120:]
    assert "市财政局" not in text and "打开当前页" not in text


def test_a_short_bulleted_list_at_the_end_of_the_body_is_kept():
    items = "".join(f"<p>· 附件{n}</p>" for n in range(1, 7))
    page = ("<html><body><div><p>申请人应当提交下列材料，并对材料的真实性负责，逾期不予受理。</p>"
            "<p>以上材料交至各区政务服务中心窗口，窗口工作人员当场出具受理回执，材料清单如下：</p>"
            f"{items}</div></body></html>")
    text = extract_html(page).text
    assert text.rstrip().endswith("· 附件6"), text


def test_a_bare_date_label_under_the_headline_outweighs_a_regenerated_pubdate_meta():
    # fzgg.gansu.gov.cn: PubDate is the time the page was regenerated; the reader sees 日期 under the title.
    page = ("<html><head><meta name='ArticleTitle' content='关于印发若干措施的通知'>"
            "<meta name='PubDate' content='2025-03-27 09:36:38'></head><body>"
            "<h1>关于印发<br>若干措施的通知</h1><p>日期：2025-02-26 11:54 来源：</p>"
            "<div><p>各市、自治州人民政府：《若干措施》已经省委省政府同意，现印发你们，请认真贯彻落实。</p>"
            "<p>会议时间：2025-03-01 09:00</p></div></body></html>")
    got = extract_html(page)
    assert got.published_at.date().isoformat() == "2025-02-26" and got.published_at_source == "visible"


def test_a_pubdate_meta_wins_over_a_date_in_the_body_with_another_label():
    page = ("<html><head><meta name='ArticleTitle' content='关于召开座谈会的通知'>"
            "<meta name='PubDate' content='2025-03-27 09:36'></head><body><h1>关于召开座谈会的通知</h1>"
            "<p>各有关单位：</p><p>会议时间：2025-04-02 09:00</p><p>成文日期：2025-03-20</p></body></html>")
    got = extract_html(page)
    assert got.published_at.date().isoformat() == "2025-03-27" and got.published_at_source == "meta"


def test_the_dateline_and_share_controls_under_a_headline_are_not_text_a_time_line_in_the_body_is():
    body = "".join(f"<p>第{n}项 各有关单位要按照通知要求认真组织实施，确保各项措施落实到位。</p>"
                   for n in range(1, 6))
    page = ("<html><head><meta name='ArticleTitle' content='关于召开设备更新工作推进会的通知'></head>"
            "<body><div>"
            "<h1>关于召开设备更新<br>工作推进会的通知</h1><p>日期：2025-02-26 11:54 来源：</p><p>分享：</p>"
            f"<p>字号：[大] [中] [小]</p><div>{body}<p>时间：2025-03-01 09:00</p></div></div></body></html>")
    text = extract_html(page).text
    assert "日期：" not in text and "分享" not in text and "字号" not in text, text
    assert "时间：2025-03-01 09:00" in text and text.startswith("第1项")
