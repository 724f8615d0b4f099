"""policy.cleaned.v1: the main text and metadata of one publication."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, Contract, TraceStep

# meta: a CMS publish meta; visible: 发布日期/发布时间 or the date printed by the headline; htmldate: its
# finder; url: a date in the URL; list: the date the list page showed; text: a date in a plain-text file.
DateSource = Literal["meta", "visible", "htmldate", "url", "list", "text", "http_last_modified", "none"]
Script = Literal["simplified", "traditional", "mixed", "unknown"]


class CleanedDocument(Contract):
    schema_version: Literal[1] = SCHEMA_VERSION
    doc_id: str
    url: str
    canonical_url: str
    source_id: str
    fetched_at: AwareDatetime
    title: str | None = None
    text: str  # main text, original script, hard-wrapped lines repaired
    text_simplified: str | None = None  # simplified copy when the original is traditional or mixed
    language: str = "zh"
    script: Script = "simplified"
    published_at: AwareDatetime | None = None
    published_at_source: DateSource = "none"
    written_at: AwareDatetime | None = None  # 成文日期 (the date of writing, not of publication)
    issuer: str | None = None  # 发布机构
    doc_number: str | None = None  # 文号
    index_number: str | None = None  # 索引号
    # source 来源, author 作者, reviewer 审核, editor 责任编辑
    bylines: dict[str, str] = Field(default_factory=dict)
    # The 信息公开 table as printed (索引号, 文号, 发布机构, 主题分类, 成文日期, 发布日期, 有效性, ...)
    gov_fields: dict[str, str] = Field(default_factory=dict)
    content_type: str | None = None  # of the source the text came from (text/html, application/pdf, ...)
    encoding: str | None = None  # detected encoding of an HTML or text source
    content_sha256: str
    simhash: str  # 64-bit near-duplicate fingerprint, hex
    duplicate_of: str | None = None  # doc_id of the first copy seen of the same report
    cluster_id: str  # doc_id of the cluster's first member (itself when first)
    attachment_names: list[str] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)
