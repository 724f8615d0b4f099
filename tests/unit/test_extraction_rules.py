"""Period, scope, growth and count rules written for the development corpus (tests/golden/gold/README.md,
"Rules added for the development corpus"): each on the sentence form the rule is about, with a near
form it must leave alone."""

from processors.extract import extract_text
from processors.extract.facts import find_zones
from processors.extract.gazetteer import find_places


def _one(text: str, label: str):
    found = [i for i in extract_text(text).indicators if i.label == label]
    assert len(found) == 1, (label, [i.label for i in extract_text(text).indicators])
    return found[0]


def test_a_topic_period_written_with_chinese_numerals_dashes_or_a_day_frames_the_paragraph():
    text = "截至一季度,园区完成工业产值184.3亿元。完成固定资产投资34.9亿元。"
    assert _one(text, "固定资产投资").period == "一季度"
    dashed = "1—9月,全区开工项目60个。新签约项目649个,协议投资总额3600亿元。"
    assert _one(dashed, "协议投资总额").period == "1-9月"
    assert _one("截至3月31日,全区完成财政收入29612万元。", "财政收入").period == "1-3月"


def test_a_period_right_before_the_subject_frames_the_paragraph():
    text = "一季度全市新批外商投资企业249家,比去年同期增长8.3%。直接利用外资合同额16.89亿美元,增长80.8%。"
    assert _one(text, "直接利用外资合同额").period == "一季度"
    # a period inside the sentence, not at its head, frames nothing after it
    later = "利用外资情况\n全市新批外商投资企业249家,一季度增长8.3%。直接利用外资合同额16.89亿美元。"
    assert _one(later, "直接利用外资合同额").period is None


def test_a_period_compared_with_is_not_the_figures_period():
    text = "1-4月,园区实现利税571.24亿元,增长21.8%,较一季度提高3.6个百分点,其中利润342.33亿元,增长24.7%。"
    assert _one(text, "利润").period == "1-4月"


def test_the_month_of_a_running_period_and_a_running_total_up_to_a_year():
    text = "1-11月,全市完成产值4251.2亿元,同比增长27.1%,其中11月份当月完成产值444.8亿元,同比增长19.3%。"
    assert {i.value: i.period for i in extract_text(text).indicators} == {4251.2: "1-11月", 444.8: "11月"}
    total = _one("截至2004年,国家级开发区累计利用外资超过705亿美元。", "利用外资")
    assert total.period is None
    assert _one("2004年,国家级开发区利用外资705亿美元。", "国家级开发区利用外资").period == "全年"


def test_last_year_kept_in_the_label_is_last_years_full_year():
    assert _one("香港去年吸引投资136亿美元。", "香港去年吸引投资").period == "全年"
    assert _one("香港吸引投资136亿美元,较去年同期增加四成。", "香港吸引投资").period is None


def test_an_event_in_the_head_dates_the_event_not_the_figures():
    text = "市举行2022年第四季度项目集中开工活动。此次共有98个项目集中开工,总投资120.14亿元。"
    assert _one(text, "总投资").period is None


def test_a_cue_after_the_label_makes_a_target_and_a_goal_one_works_around_does_not():
    assert _one("到2022年,经济总量力争突破700亿元。", "经济总量").scope == "target"
    assert _one("全年地区生产总值预期增长5%。", "地区生产总值").scope == "target"
    assert _one("围绕高质量发展目标,一季度实现地区生产总值949.84亿元。", "地区生产总值").scope == "actual"
    assert _one("集中签约的20个项目,计划总投资110.8亿元。", "总投资").scope == "actual"


def test_a_completion_against_a_budget_qualifies_the_value_and_the_growth_skips_the_change():
    text = "全区完成财政收入29612万元,占年初预算的27.7%,较上年同期增收1735万元,同比增长6.2%。"
    revenue = _one(text, "财政收入")
    assert (revenue.completion_pct, revenue.growth_pct) == (27.7, 6.2)
    assert _one(text, "较上年同期增收").growth_pct is None


def test_growth_without_its_verb_or_without_its_percent_sign():
    assert _one("现价人均地区生产总值36935元,同比11.4%。", "现价人均地区生产总值").growth_pct == 11.4
    assert _one("全区科工贸总收入完成500亿元,比去年同期增长42。", "科工贸总收入").growth_pct == 42
    # a bare number after 增加 is an amount, not a lost percentage
    assert _one("全区科工贸总收入完成500亿元,比去年同期增加42。", "科工贸总收入").growth_pct is None


def test_a_count_named_by_the_noun_after_it_needs_a_verb_of_gaining():
    labels = [i.label for i in extract_text("此次共有98个项目集中开工,共计12个签约项目。").indicators]
    assert labels == ["项目集中开工", "签约项目"]
    assert _one("今年竹科引进37家新创企业。", "引进新创企业").value == 37
    assert extract_text("为90余家企业出具三报告,帮助25家企业解决难题。").indicators == []


def test_physical_output_is_no_indicator():
    assert extract_text("新能源汽车、充电桩产量分别增长3.9倍和2.3倍。").indicators == []


def test_place_names_are_found_longest_first_left_to_right():
    text = "山东省济南市商河县和湘西土家族苗族自治州"
    names = [name for _, _, name in find_places(text)]
    assert names == ["山东省", "济南市", "商河县", "湘西土家族苗族自治州"]


def test_a_clause_that_comments_on_its_measure_names_the_growth_after_it():
    text = "固定资产投资一举扭转连续三年下降趋势,增长1.4%。"
    assert _one(text, "固定资产投资").growth_pct == 1.4
    # a clause with no economic measure names nothing
    assert extract_text("全区上下一举扭转被动局面,增长1.4%。").indicators == []


def test_a_parts_count_followed_by_its_own_figure_is_an_indicator():
    text = "1-8月,园区规上企业71户,实现工业总产值104.85亿元,其中:纺织鞋服13户实现产值41.03亿元。"
    assert _one(text, "纺织鞋服").value == 13
    assert extract_text("办理审批事项13户用时30个工作日。").indicators == []


def test_taiwan_hong_kong_and_macau_sources_have_no_region_and_a_threshold_is_no_county():
    region = extract_text("台湾新竹科学园区去年营业额1.38兆元,台湾出口创新高。").region
    assert (region.province, region.city, region.county) == (None, None, None)
    assert extract_text("商河县2023年营业收入突破30亿元大关,山东省济南市商河县。").region.county == "商河县"
    assert extract_text("园区营业收入跨越30亿元大关,再创新高。").region.county is None


def test_a_run_of_growths_after_as_many_values_pairs_with_them_in_order():
    text = "全面利用内资15.5亿元、外资4101万美元,同比增长18%、17.17%。"
    assert [(i.value, i.growth_pct) for i in extract_text(text).indicators] == [(15.5, 18.0), (4101.0, 17.17)]
    down = "甲区产值5亿元,乙区产值3亿元,同比分别下降5%和2%。"
    assert [i.growth_pct for i in extract_text(down).indicators] == [-5.0, -2.0]
    # one growth after two values stays with the value next to it
    one = "全面利用内资15.5亿元、外资4101万美元,同比增长18%。"
    assert [i.growth_pct for i in extract_text(one).indicators] == [None, 18.0]


def test_a_list_over_years_gives_each_member_its_year():
    text = "2010—2014年我国实际利用外资金额增速分别为17.4%、9.7%、-3.7%、5.2%、1.7%。"
    got = [(i.growth_pct, i.period, i.year) for i in extract_text(text).indicators]
    growths = [17.4, 9.7, -3.7, 5.2, 1.7]
    assert got == [(g, "全年", year) for g, year in zip(growths, range(2010, 2015), strict=True)]


def test_a_list_of_shares_pairs_each_name_with_its_share():
    text = "全市园区进出口总额、注册外资实际到账分别占全市比重的82%和92%。"
    got = {i.value: i.label for i in extract_text(text).indicators}
    assert got[82.0].endswith("进出口总额占全市比重") and got[92.0] == "注册外资实际到账占全市比重"


def test_a_year_after_cong_is_a_starting_point_not_the_report_year():
    text = "限制措施从2013年的190多条,缩减到2018年的45条。截至2018年底,自贸区累计新设企业60余万家。"
    assert extract_text(text).year == 2018


def test_zones_named_only_in_a_list_are_named_in_passing():
    ranking = (
        "商务部发布了2020年国家级经开区综合发展水平考核评价结果,对218家国家级经开区进行排名。"
        "其中,排名前十的有苏州工业园区、广州经开区、天津经开区、北京经开区。"
    )
    assert extract_text(ranking).zone == "经开区"  # the report's own type word, not the first listed zone
    signing = (
        "此次集中签约的鼓楼区文创科技产业园、河南中原建设新材料科研产业园、格宁生物科技等项目,总投资16.1亿元。"
    )
    assert extract_text(signing).zone is None
    # a zone the text also names outside the list is what it reports on
    named = "国家发展改革委在四川天府新区组织举办签约仪式。四川天府新区和青岛西海岸新区签署战略合作框架协议。"
    assert extract_text(named).zone == "四川天府新区"
    # a list in the title names the report's zones
    title = "袍江经济技术开发区、柯桥经济技术开发区排名跃升"
    titled = extract_text("袍江经济技术开发区营业收入增长12%。", title=title)
    assert titled.zone == "袍江经济技术开发区"


def test_a_conjunction_or_an_autonomous_region_level_is_no_part_of_a_zone_name():
    text = "在第七次国家级新区工作经验交流会暨新区工作推动会期间,为自治区级工业园区。"
    names = [m.name for m in find_zones(text)]
    assert "经验交流会暨新区" not in names and "新区" in names
    assert "自治区级工业园区" not in names


def test_a_zone_named_as_where_a_plant_is_is_named_in_passing():
    text = (
        "今年1-10月,全区工业生产稳步增长。位于鄂尔多斯市准格尔经济开发区大路产业园的内蒙古天晟新科技有限公司"
        "生产车间内,光伏组件顺利下线。"
    )
    assert extract_text(text).zone is None
    assert extract_text("准格尔经济开发区1-10月完成工业产值80亿元。").zone == "准格尔经济开发区"


def test_the_zones_of_a_region_as_a_whole_are_the_document_zone():
    text = (
        "一至七月园区经济运行良好\n据统计,上饶市工业园区经济运行良好。\n"
        "1-7月,全市工业园区实现工业增加值348亿元,同比增长7.6%。"
        "其中上饶经济技术开发区主营业务收入494.82亿元;广丰经济开发区325.44亿元。"
        "全市工业园区完成基础设施投入29.35亿元。"
    )
    result = extract_text(text)
    assert result.zone == "工业园区"
    # each sub-zone's bare figure shares the measure of the sub-zone figure before it
    by_value = {i.value: (i.metric, i.zone) for i in result.indicators}
    assert by_value[325.44] == ("operating_revenue", "广丰经济开发区")


def test_a_zone_written_by_its_abbreviation_alone_is_a_zone_name():
    text = "受惠AI相关应用持续增加,中科園區上半年營業額5,335.64億元,較2024年同期成長8.14%。"
    assert extract_text(text).zone == "中科園區"
    assert [(m.name, m.generic) for m in find_zones("竹科园区营业额1.1兆元")] == [("竹科园区", False)]


def test_a_bare_sub_zone_abbreviation_takes_the_measure_before_it():
    text = (
        "国科会统计,科学园区营业额5.8兆元再创历史新高,其中竹科1.7兆元,较前年成长12.25%;"
        "中科1.13兆元、成长9.29%;南科2.97兆元、成长34.26%。"
    )
    found = {i.value: (i.metric, i.zone, i.growth_pct) for i in extract_text(text).indicators}
    assert found[1.7] == ("operating_revenue", "竹科", 12.25)
    assert found[2.97] == ("operating_revenue", "南科", 34.26)


def test_projects_signed_with_qianding_and_capital_attracted_by_contract():
    text = "据统计,当日共签订64个合作项目,总投资504.5亿元,合同引资478.2亿元。"
    found = {i.value: i.metric for i in extract_text(text).indicators}
    invest = "contract_investment"
    assert found == {64.0: "signed_projects_count", 504.5: invest, 478.2: invest}
    # a count of partners served, with no signing verb, stays no indicator
    assert extract_text("共走访64个合作项目单位。").indicators == []


def test_a_project_count_with_an_adverbial_before_its_verb():
    found = extract_text("截至9月底,已有199个项目实质性开工建设。").indicators
    assert [(i.value, i.unit) for i in found] == [(199.0, "个")]
    # nouns after the count still name another thing
    assert extract_text("已有199个项目施工许可证。").indicators == []


def test_a_bare_zone_type_word_with_its_own_figure_is_a_sub_zone():
    text = (
        "重庆经济技术开发区统计。北区完成地区生产总值207.09亿元,比上年增长45.5%;南区完成251.18亿元,增长9.1%。"
        "另外,高新区完成266.36亿元,增长26.8%。"
    )
    found = {i.value: (i.metric, i.zone, i.growth_pct) for i in extract_text(text).indicators}
    assert found[266.36] == ("gdp", "高新区", 26.8)


def test_a_count_of_projects_that_settle_in_the_zone():
    found = extract_text("威来汽车、欧飞光等91个总部项目落户。").indicators
    assert [(i.value, i.unit) for i in found] == [(91.0, "个")]
    assert extract_text("91个总部项目施工图纸。").indicators == []


def test_a_months_figure_and_its_running_total_take_the_running_period_stated_before():
    text = (
        "最新统计数据显示,今年前11个月全市五大产业累计完成产值4251.2亿元,其中11月份当月完成产值444.8亿元。"
        "新能源产业增长势头迅猛,当月完成产值33.8亿元,同比增长118.1%;累计完成产值273.1亿元,同比增长61.3%。"
    )
    periods = {i.value: i.period for i in extract_text(text).indicators}
    assert periods[33.8] == "11月" and periods[273.1] == "1-11月"


def test_a_bracketed_aside_after_a_project_count_s_verb():
    found = extract_text("其中,有118个项目竣工投产(试生产),投产项目已超过半数。").indicators
    assert [(i.value, i.unit) for i in found] == [(118.0, "个")]
