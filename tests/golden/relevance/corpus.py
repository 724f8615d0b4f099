"""The relevance corpus: the five seeds plus relevance/docs, run through the real clean and extract
code and indexed with the index stage's own bulk actions into a private index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from schemas.indices import DOCS_INDEX, INDICATORS_INDEX

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def corpus_files() -> dict[str, Path]:
    """Short name -> file: "000".."004" for the seeds, the file stem for our own documents."""
    files = {p.name[:3]: p for p in sorted((ROOT / "seeds").glob("*.txt"))}
    files.update({p.stem: p for p in sorted((HERE / "docs").glob("*.txt"))})
    return files


def judgments() -> list[dict[str, Any]]:
    return yaml.safe_load((HERE / "judgments.yaml").read_text("utf-8"))


def extracted(path: Path):
    from processors.clean import prepare
    from processors.extract import extract_document
    from processors.replay import raw_document_for_file

    return extract_document(prepare(raw_document_for_file(path)))


def index_corpus(es: Any, settings: Any, docs_index: str, indicators_index: str) -> dict[str, str]:
    """Create the two indices with the policy-docs / policy-indicators templates' bodies, index the
    corpus, refresh; returns short name -> doc_id."""
    from policywatch.provision.elasticsearch import index_body
    from processors.index import bulk_actions

    es.indices.create(index=docs_index, **index_body(DOCS_INDEX, settings))
    es.indices.create(index=indicators_index, **index_body(INDICATORS_INDEX, settings))
    ids: dict[str, str] = {}
    operations: list[dict] = []
    for name, path in corpus_files().items():
        doc = extracted(path)
        ids[name] = doc.doc_id
        for header, body in bulk_actions(doc, docs_index=docs_index, indicators_index=indicators_index):
            operations.append(header)
            if body is not None:
                operations.append(body)
    resp = es.bulk(operations=operations, refresh="wait_for")
    assert not resp["errors"], [i for i in resp["items"] if next(iter(i.values())).get("error")][:3]
    return ids
