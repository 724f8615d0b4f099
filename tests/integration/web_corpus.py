"""The web tests' corpus: the five seeds, a repost of seed 000 and a traditional-script version of seed
002, run through the real clean code (dedup included, which puts the repost in 000's cluster) and the real
extraction, and indexed with the index stage's bulk actions into private indices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REPOST_HEADER = "（本文为转载）\n"
PINYIN_NOISE = "產(chǎn)"


def corpus_paths(tmp: Path) -> dict[str, Path]:
    """Short name -> file: "000".."004", "repost" (000 with a repost line on top), "trad" (002 in
    traditional characters with pinyin noise after 產; 002 itself left out so the traditional copy is the
    only one)."""
    import opencc

    seeds = {p.name[:3]: p for p in sorted((ROOT / "seeds").glob("*.txt"))}
    repost = tmp / "repost_000.txt"
    repost.write_text(REPOST_HEADER + seeds["000"].read_text("utf-8"), "utf-8")
    trad = tmp / "trad_002.txt"
    traditional = opencc.OpenCC("s2t").convert(seeds["002"].read_text("utf-8"))
    trad.write_text(traditional.replace("產", PINYIN_NOISE), "utf-8")  # 產(chǎn), as some sites print it
    files = {k: v for k, v in seeds.items() if k != "002"}
    files.update(repost=repost, trad=trad)
    return files


def extracted_corpus(tmp: Path) -> dict[str, Any]:
    """Short name -> ExtractedDocument, cleaned as one batch in file order (000 before its repost)."""
    from processors.clean import clean_batch
    from processors.clean.dedup import MemoryFingerprintStore
    from processors.extract import extract_document
    from processors.replay import raw_document_for_file

    paths = corpus_paths(tmp)
    raws = {name: raw_document_for_file(p) for name, p in paths.items()}
    cleaned = clean_batch(list(raws.values()), MemoryFingerprintStore())
    return {name: extract_document(doc) for name, doc in zip(raws, cleaned, strict=True)}


def create_indices(es: Any, settings: Any, names: dict[str, str]) -> None:
    from policywatch.provision.elasticsearch import index_body

    for key, alias in (("docs", "policy-docs"), ("indicators", "policy-indicators"),
                       ("alerts", "policy-alerts"), ("watches", "policy-watches"),
                       ("health", "policy-source-health")):
        if key in names:
            es.indices.create(index=names[key], **index_body(alias, settings))


def index_docs(es: Any, names: dict[str, str], docs: list[Any], refresh: bool | str = "wait_for") -> None:
    from processors.index import bulk_actions

    ops: list[dict] = []
    for doc in docs:
        for header, body in bulk_actions(doc, docs_index=names["docs"], indicators_index=names["indicators"]):
            ops.append(header)
            if body is not None:
                ops.append(body)
    resp = es.bulk(operations=ops, refresh=refresh)
    assert not resp["errors"], [i for i in resp["items"] if next(iter(i.values())).get("error")][:3]


def replayed(name: str) -> Any:
    """Seed `name` read again now, as `policywatch replay` does (a new fetch, so a newer version)."""
    from processors.clean import prepare
    from processors.extract import extract_document
    from processors.replay import raw_document_for_file

    path = next((ROOT / "seeds").glob(f"{name}_*.txt"))
    return extract_document(prepare(raw_document_for_file(path)))
