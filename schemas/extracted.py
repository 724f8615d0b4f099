"""policy.extracted.v1: the cleaned document plus what extraction found in it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import Contract
from schemas.cleaned import CleanedDocument

# The ids of processors/extract/vocab/metrics.yaml plus "other" (tests/unit/test_metric_registry.py
# checks both ways; schemas/json/ is generated from this type).
Metric = Literal[
    "gdp",
    "general_budget_revenue",
    "fiscal_revenue",
    "tax_revenue",
    "industrial_output",
    "above_scale_industrial_output",
    "industrial_added_value",
    "fixed_asset_investment",
    "industrial_investment",
    "foreign_trade_total",
    "exports",
    "imports",
    "fdi_actual_use",
    "contract_investment",
    "operating_revenue",
    "retail_sales",
    "signed_projects_count",
    "above_scale_enterprises_count",
    "high_tech_enterprises_count",
    "new_enterprises_count",
    "institutions_count",
    "fiscal_expenditure",
    "primary_industry_added_value",
    "secondary_industry_added_value",
    "tertiary_industry_added_value",
    "electricity_consumption",
    "profit",
    "other",
]
DocType = Literal["工作总结", "工作计划", "情况汇报", "实施方案", "计划执行情况", "政策文件", "新闻", "other"]
Currency = Literal["CNY", "USD", "TWD"]
GrowthBasis = Literal["yoy", "two_year_average", "annual_average", "percentage_points"]
Scope = Literal["actual", "forecast", "target", "completion_rate"]
EntityKind = Literal["company", "project", "industry", "place", "zone"]


class Indicator(Contract):
    metric: Metric
    label: str  # as written, e.g. 规模以上工业总产值
    value: float | None = None  # the number as written (62.5 for 62.5亿元); None when absent or redacted
    unit: str | None = None  # as written: 亿元, 万美元, 家, %, ...
    value_normalized: float | None = None  # in yuan, US dollars or a count
    currency: Currency | None = None
    growth_pct: float | None = None  # signed; 增长1.8倍 = 180
    growth_basis: GrowthBasis | None = None
    period: str | None = None  # normalised: 1-10月, 上半年, 前三季度, 全年, ...
    year: int | None = None
    scope: Scope = "actual"
    completion_pct: float | None = None  # 完成全年任务的150% -> 150
    approx: bool = False  # 约, 超过, 突破, 以上, 余, 近
    redacted: bool = False  # value masked as *** or XX in the source
    zone: str | None = None  # the sub-zone the figure belongs to, in a text about several zones
    span: tuple[int, int]  # character offsets [start, end) in CleanedDocument.text


class Entity(Contract):
    kind: EntityKind
    name: str
    span: tuple[int, int]


class OutlineItem(Contract):
    level: int  # 1 for 一、, 2 for （一）, 3 for 1.
    marker: str
    title: str
    span: tuple[int, int]


class Region(Contract):
    province: str | None = None
    city: str | None = None
    county: str | None = None


class Extraction(Contract):
    """What the extraction library finds in one text (no transport fields)."""

    zone: str | None = None
    zones: list[str] = Field(default_factory=list)
    region: Region = Field(default_factory=Region)
    doc_type: DocType = "other"
    year: int | None = None
    period: str | None = None
    outline: list[OutlineItem] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)  # industries and themes, deduplicated
    indicators: list[Indicator] = Field(default_factory=list)
    reason: str | None = None  # why the result is empty, when it is


class ExtractedDocument(CleanedDocument):
    extraction: Extraction
