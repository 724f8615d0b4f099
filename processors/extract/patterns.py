"""Regular expressions shared by the rules (compiled once at import: they are small)."""

from __future__ import annotations

import re

# Numbers never start inside another number (lookbehind) and never give back digits (possessive
# quantifiers): a long run of digits or masks costs linear time, not quadratic.
ARABIC = r"(?<![\d.])\d++(?:,\d{3})*+(?:\.\d++)?+"
MASK = r"(?:(?<!\*)\*++|(?<![Xx×])[Xx×]{1,6}+(?![Xx×]))"
NUM = rf"(?:{ARABIC}|{MASK})"
CN_BIG = r"(?<![零〇一二两三四五六七八九十百千])[零〇一二两三四五六七八九十百千]++(?=余?[万亿千])"

# Each pattern opens with a lookahead on the characters a match can start with: the groups that open
# it are optional, so without it the engine tries every branch at every position (the extractor's hot spot).
VALUE = re.compile(
    r"(?=[约近超突逾多高达新\d*Xx×零〇一二两三四五六七八九十百千])"
    rf"(?P<pre>约|近|超过|超|突破|逾|多达|高达|达到|达)?"
    rf"(?P<twd>新台币)?"
    r"(?:(?P<zhao>\d{1,3})兆(?=\d[\d,.]*亿))?"
    rf"(?P<num>{ARABIC}|{CN_BIG}|{MASK})"
    r"(?P<yu1>余|多)?"
    r"\s?(?P<mult>万亿|兆|亿|万|千)?"
    r"(?P<yu2>余|多)?"
    r"(?P<base>元|美元|新台币|家|个|项|户|间|宗|(?<=亿|兆)(?=[,，;；。、)）]))(?!次|百分点|月|人(?!民币)|工作日|小时|年|平|亩|吨)"
    r"(?P<twd2>新台币)?"
    r"(?P<post>以上|左右|多)?"
)
GROWTH = re.compile(
    r"(?=[两年同环按比较名可增提上下减降回衰成激])"
    r"(?P<basis>两年平均|两年均|年均|年平均|同比|环比|按年|比上年同期|比去年同期|较去年同期|较上年同期|比上年|较上年|"
    r"比去年|较去年|较前年|比前年|较前一年|较\d{2,4}年同期|较\d{2,4}年|比\d{2,4}年)?(?:名义|可比)?"
    r"(?:(?P<verb>增长|增加|提高|提升|上升|下降|减少|降低|回落|衰退|下滑|增速|增幅|降幅|比增|年增|年减|成长|激增|增)"
    r"|(?<=同比)(?=[-−]?\d[\d.]*%))"  # 同比11.4%: the growth without its verb
    r"(?:率)?(?:为|达到|达|了|分别为|高达|将近)?\s?"
    rf"(?P<pre>约|近|超过|超|逾)?(?P<sign>[-−])?(?P<num>{NUM})\s?"
    r"(?P<gu>%|个百分点|倍|成(?!本|交|果|立|员|为|功|熟|效|长|都|品)"
    r"|(?<=[\d])(?<!\d{4})(?=[,，。;；]|$))"  # 增长42。: a page that lost its % sign (see _mentions)
    r"(?:(?<=成)\s?(?P<cheng>半|\d(?![\d.%])))?(?P<post>以上|左右)?"
)
COMPLETION = re.compile(
    rf"(?:完成(?:了)?|占)(?:全年|年度|本年|年初|年)?(?:投资)?(?:目标任务|目标|任务|计划|预算)(?:的)?(?P<num>{NUM})%"
)
COMPLETION_RATE = re.compile(rf"完成率(?:为|达到|达)?(?P<num>{NUM})%")
PERCENT = re.compile(
    rf"(?=[为达约近超\d*Xx×])(?:为|达到|达)?(?P<pre>约|近|超过|超)?(?P<num>{NUM})%(?P<post>以上|左右)?"
)

# a period or year in topic position ("1-10月份，", "截至10月底，", "2023年，") frames its paragraph
TOPIC_END = re.compile(r"[,，]")
_CM = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
PERIOD = re.compile(
    r"(?=[\d一二三四五六七八九十截前上下第全首])"
    rf"(?:(?P<range>(?P<a>{_CM})\s*(?:月份?)?\s*(?:-|至|~|—|–|到|——)+\s*(?P<b>{_CM})\s*月份?)"
    r"|(?P<upto>截至|截止)(?:\d{4}年)?(?P<m>\d{1,2})月(?:底|末|\d{1,2}日)"
    rf"|(?P<first>前)(?P<fm>{_CM})个?月"
    r"|(?P<uptoq>截至|截止)(?P<q>[一二三四1-4])季度(?:末)?"
    r"|(?P<named>上半年|下半年|前三季度|第一季度|一季度|第二季度|二季度|第三季度|三季度|第四季度|四季度|全年|"
    r"首季度|首季|首3季度?|首三季度?|前3季度)"
    r"|(?P<one>(?<![\d\-—~至到月])\d{1,2})(?:月份(?:当月)?|月当月|月单月|月(?=[,，])|月(?=出口|进口|营业额|营收|产值|税收))"
    r"|(?P<yearonly>(?<![\d\-—~至])(?:19|20)\d{2}\s?年(?=[,，])))"
)
# a year or period that names an event (2022年第四季度项目集中开工活动) dates the event, not the figures
EVENT = re.compile(
    r"(?:19|20)\d{2}\s?年[^,，。;；:：\n\d]{0,16}?(?:活动|仪式|大会|会议|洽谈会|推介会|签约会|观摩会)"
)
YEAR = re.compile(r"(?<![\d\-—~至/])((?:19|20)\d{2})\s?(?:年|(?=全年|年度))")
FORECAST = re.compile(r"预计|预估|估计|可望|达产后|建成后|投产后|可实现|将实现|有望")
TARGET = re.compile(r"力争|目标|计划|确保|预期|力求|争取(?:到|实现|达到)")
TARGET_SECTION = re.compile(r"计划|目标|安排|思路|打算|任务|展望|要点")
NOT_TARGET_SECTION = re.compile(r"执行情况|完成情况|主要工作|工作情况|基本情况|运行情况|存在")
