"""Rebuilding an aliased index from its Kafka topic: target naming, then real Kafka + Elasticsearch."""

from __future__ import annotations

import pytest

from processors.index.reindex import (
    ReindexError,
    choose_target,
    plan,
)
from schemas.indices import DOCS_INDEX


@pytest.mark.parametrize(
    ("current", "existing", "template", "target"),
    [
        ([], [], None, "a-v1"),  # nothing yet
        (["a-v1"], ["a-v1"], 1, "a-v2"),  # same mapping: next version
        (["a-v1"], ["a-v1"], 2, "a-v2"),  # template bumped to v2: build it
        (["a-v1", "a-v2"], ["a-v1", "a-v2"], 2, "a-v3"),  # v2 already behind the alias
        (["a-v1"], ["a-v1", "a-v2"], 2, "a-v2"),  # init created v2 outside the alias
        (["a-v3"], ["a-v1", "a-v3"], 1, "a-v4"),  # an older template never goes backwards
        (["a-v1"], ["a-v1", "a-v3"], None, "a-v3"),  # left over by a failed attempt: plan decides
    ],
)
def test_choose_target(current, existing, template, target):
    assert choose_target("a", current, existing, template) == target


class _FakeIndices:
    def __init__(self, holders: dict[str, dict]) -> None:
        self.holders = holders
        self.created: list[str] = []

    def exists_alias(self, name):
        return bool(self.holders)

    def get_alias(self, name):
        return self.holders

    def get(self, index, **_):
        return dict.fromkeys(self.holders, {})

    def create(self, index, **_):
        self.created.append(index)


class _FakeES:
    def __init__(self, holders: dict[str, dict]) -> None:
        self.indices = _FakeIndices(holders)


def test_a_templated_alias_is_rebuilt_only_into_a_bumped_index_version():
    """policy-docs-v<n> behind the alias and index_version n in the template: init would move the alias
    back to v<n> after a switch to v<n+1>, so the rebuild is refused and nothing is created."""
    from policywatch.provision.elasticsearch import index_name

    es = _FakeES({index_name(DOCS_INDEX): {"aliases": {DOCS_INDEX: {"is_write_index": True}}}})
    with pytest.raises(
        ReindexError, match=r"bump index_version in policywatch/provision/templates/policy-docs"
    ):
        plan(es, consumer=None, alias=DOCS_INDEX, topic="policy.extracted.v1")
    assert es.indices.created == []


def test_a_templated_alias_is_rebuilt_with_its_template_mapping(settings):
    from processors.index.reindex import _index_body

    body = _index_body(None, DOCS_INDEX, [], settings)
    props = body["mappings"]["properties"]
    assert props["text_seg"]["analyzer"] == "whitespace" and props["indicators"]["type"] == "nested"


