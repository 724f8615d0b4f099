"""Spiders, one per listing kind (crawlers/spiders/registry.py)."""

from __future__ import annotations

from crawlers.spiders.base import SourceSpider
from crawlers.spiders.registry import SPIDERS, spider_for

__all__ = ["SPIDERS", "SourceSpider", "spider_for"]
