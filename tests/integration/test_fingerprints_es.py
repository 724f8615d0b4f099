"""The Elasticsearch fingerprint store keeps what the repost rules need: publication date, figures, repost."""

from __future__ import annotations

from datetime import UTC, datetime

from processors.clean.dedup import EsFingerprintStore, Fingerprint
from processors.clean.fingerprint import numbers_of

FIGURES = numbers_of("工业总产值120亿元，增长15.2%，投资45亿元，增长12%，外资8000万美元，项目32个")


def test_earliest_published_copy_wins_across_batches(es, settings, unique_name):
    name = unique_name("fp-repost")
    store = EsFingerprintStore(es, index=name, settings=settings)
    try:
        simhash = 0x0F0F_F0F0_1234_5678
        repost = Fingerprint("repost", simhash ^ 0b101, datetime(2024, 1, 2, tzinfo=UTC), "http://news/2",
                             published=datetime(2024, 1, 2, tzinfo=UTC), numbers=FIGURES, repost=True)
        (first,) = store.assign([repost]).values()
        assert first.duplicate_of is None
        # The original, fetched a month later but published earlier: canonical, in the repost's cluster.
        original = Fingerprint("original", simhash, datetime(2024, 2, 1, tzinfo=UTC), "http://gov/1",
                               published=datetime(2023, 12, 20, tzinfo=UTC), numbers=FIGURES)
        (late,) = store.assign([original]).values()
        assert late.duplicate_of is None and late.cluster_id == first.cluster_id
        # A third copy sees the original as the first of the cluster.
        third = Fingerprint("third", simhash ^ 0b1, datetime(2024, 3, 1, tzinfo=UTC), "http://x/3",
                            published=datetime(2024, 1, 3, tzinfo=UTC), numbers=FIGURES)
        (copy,) = store.assign([third]).values()
        assert copy.duplicate_of == "original"
        stored = es.get(index=name, id="repost")["_source"]
        assert stored["repost"] is True and set(stored["numbers"]) == set(FIGURES)
        # Next month's briefing: near in simhash, other figures: its own report.
        other = Fingerprint("next-month", simhash ^ 0b11, datetime(2024, 3, 2, tzinfo=UTC), "http://gov/4",
                            published=datetime(2024, 3, 1, tzinfo=UTC),
                            numbers=numbers_of("总产值131亿元，增长9.1%，投资52亿元，外资9100万美元，项目40个"))
        (own,) = store.assign([other]).values()
        assert own.duplicate_of is None and own.cluster_id == "next-month"
    finally:
        es.options(ignore_status=404).indices.delete(index=name)


def test_batches_of_near_duplicates_link_as_the_in_memory_store_links_them(es, settings, unique_name):
    """Generated pages share their seeds' paragraphs, so each batch finds many candidates (the look-up
    fetches each distinct one once): every page gets the same cluster and original as with the
    in-memory store, batch after batch."""
    from processors.clean import MemoryFingerprintStore, link_duplicates, prepare
    from processors.synthetic import raw_documents

    name = unique_name("fp-batches")
    store = EsFingerprintStore(es, index=name, settings=settings)
    memory = MemoryFingerprintStore()
    docs = [prepare(raw) for raw in raw_documents(240, source_id="fp-batches")]
    try:
        linked = 0
        for start in range(0, len(docs), 80):
            batch = docs[start:start + 80]
            got = [(d.duplicate_of, d.cluster_id) for d in link_duplicates(batch, store)]
            want = [(d.duplicate_of, d.cluster_id) for d in link_duplicates(batch, memory)]
            assert got == want
            linked += sum(1 for original, _ in got if original)
        assert linked > 100  # the look-up really had candidates to fetch
    finally:
        es.options(ignore_status=404).indices.delete(index=name)
