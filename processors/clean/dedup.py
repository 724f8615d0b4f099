"""Which earlier document a new one is a near-duplicate of: the earliest published copy is canonical.

Two documents are the same report when their simhashes are at most ``MAX_DISTANCE`` bits apart and they
quote the same figures (``same_numbers``). Among copies, the canonical one is the earliest by
publication date (the first fetch time when a copy has no date). A copy that arrives after its
reposts but was published before them joins their cluster as its canonical member (duplicate_of
empty); the copies already recorded keep what they were given then.

The lookup lives in Elasticsearch (index ``policy-fingerprints``, one small document per publication
with its simhash bands) rather than in each worker's memory or a Kafka-derived local table:

- every clean worker, however many run in the group, sees the same state at once, with no warm-up;
- it survives restarts and redeploys, and grows to millions of fingerprints without each process
  loading them all (a compacted topic would have to be read fully into every worker before work
  starts, and a partition only holds the keys hashed to it, while reposts hash anywhere);
- it is rebuilt like every other index: replaying policy.raw.v1 from offset 0 reproduces it,
  because the order key is the publication date (else the first fetch time), not the processing order.

``first_seen`` is written with ``op_type=create``, so a replay never moves a document later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from policywatch.core import es_bulk
from policywatch.core.errors import ServiceUnavailable
from policywatch.core.settings import Settings
from processors.clean.fingerprint import MAX_DISTANCE, bands, from_hex, hamming, same_numbers, to_hex
from schemas.indices import FINGERPRINTS_INDEX

logger = logging.getLogger(__name__)

FINGERPRINT_INDEX = FINGERPRINTS_INDEX


@dataclass(frozen=True)
class Fingerprint:
    doc_id: str
    simhash: int
    first_seen: datetime
    url: str = ""
    cluster_id: str = ""
    published: datetime | None = None
    numbers: frozenset[str] = frozenset()
    repost: bool = False  # the crawler saw 来源：another outlet on the page

    @property
    def order(self) -> tuple[datetime, bool, datetime, str]:
        # Same publication time: the page that names another outlet as its source is not the original.
        return (self.published or self.first_seen, self.repost, self.first_seen, self.doc_id)

    def same_report(self, other: Fingerprint) -> bool:
        near = hamming(self.simhash, other.simhash) <= MAX_DISTANCE
        return near and same_numbers(self.numbers, other.numbers)


@dataclass(frozen=True)
class Assignment:
    duplicate_of: str | None
    cluster_id: str


class FingerprintStore(Protocol):
    def assign(self, items: list[Fingerprint]) -> dict[str, Assignment | Exception]:
        """Record ``items`` (first sighting only) and return each one's duplicate_of / cluster_id, or
        the exception that refused that one item (its message's failure, not the store's)."""
        ...


def _resolve(item: Fingerprint, known: list[Fingerprint]) -> tuple[Fingerprint, Assignment]:
    """``known`` holds candidates (maybe the item itself, as stored earlier)."""
    me = next((k for k in known if k.doc_id == item.doc_id), item)
    same = [k for k in known if k.doc_id != item.doc_id and k.same_report(item)]
    earlier = [k for k in same if k.order < me.order]
    if not earlier:
        # Published before copies already recorded: canonical, in their cluster.
        joined = min(same, key=lambda k: k.order) if same else None
        cluster = me.cluster_id or (joined.cluster_id or joined.doc_id if joined else "") or item.doc_id
        return me, Assignment(duplicate_of=None, cluster_id=cluster)
    first = min(earlier, key=lambda k: k.order)
    cluster = first.cluster_id or first.doc_id
    return me, Assignment(duplicate_of=first.doc_id, cluster_id=cluster)


def _assign_all(items: list[Fingerprint], candidates: dict[str, list[Fingerprint]]) -> tuple[
        dict[str, Assignment], list[Fingerprint]]:
    out: dict[str, Assignment] = {}
    new: list[Fingerprint] = []
    seen_in_batch: list[Fingerprint] = []
    for item in sorted(items, key=lambda f: f.order):
        known = candidates.get(item.doc_id, []) + [k for k in seen_in_batch if k.same_report(item)]
        me, assignment = _resolve(item, known)
        out[item.doc_id] = assignment
        record = Fingerprint(me.doc_id, item.simhash, me.first_seen, item.url, assignment.cluster_id,
                             me.published or item.published, me.numbers or item.numbers,
                             me.repost or item.repost)
        seen_in_batch.append(record)
        new.append(record)
    return out, new


class MemoryFingerprintStore:
    """In-process store for tests, the offline `extract` command and in-process benchmarks."""

    def __init__(self) -> None:
        self._by_band: dict[str, list[Fingerprint]] = {}
        self._by_id: dict[str, Fingerprint] = {}

    def assign(self, items: list[Fingerprint]) -> dict[str, Assignment | Exception]:
        candidates = {}
        for item in items:
            found = {k.doc_id: k for band in bands(item.simhash) for k in self._by_band.get(band, [])}
            if item.doc_id in self._by_id:
                found[item.doc_id] = self._by_id[item.doc_id]
            candidates[item.doc_id] = list(found.values())
        out, records = _assign_all(items, candidates)
        for record in records:
            if record.doc_id not in self._by_id:
                self._by_id[record.doc_id] = record
                for band in bands(record.simhash):
                    self._by_band.setdefault(band, []).append(record)
        return dict(out)


def _from_source(src: dict) -> Fingerprint:
    return Fingerprint(
        doc_id=src["doc_id"],
        simhash=from_hex(src["simhash"]),
        first_seen=datetime.fromisoformat(src["first_seen"]),
        url=src.get("url", ""),
        cluster_id=src.get("cluster_id", ""),
        published=datetime.fromisoformat(src["published_at"]) if src.get("published_at") else None,
        numbers=frozenset(src.get("numbers") or ()),
        repost=bool(src.get("repost")),
    )


class EsFingerprintStore:
    """Fingerprints in Elasticsearch; one ``_msearch`` and one ``_bulk`` per batch."""

    def __init__(self, es, *, index: str = FINGERPRINT_INDEX, settings: Settings,
                 max_candidates: int = 200) -> None:
        self.es = es
        self.index = index
        self.settings = settings  # shards/replicas/refresh of the index it creates
        self.max_candidates = max_candidates
        self._ready = False

    def ensure_index(self) -> None:
        if self._ready:
            return
        # The mapping lives in policywatch/provision/templates/policy-fingerprints.json, as for `init`.
        from policywatch.provision.elasticsearch import ensure_index

        ensure_index(self.es, FINGERPRINT_INDEX, self.index, self.settings)
        self._ready = True

    def _fetch(self, ids: set[str]) -> dict[str, Fingerprint]:
        """The stored fingerprints of ``ids`` (found by a search, so refreshed: no realtime get)."""
        if not ids:
            return {}
        resp = es_bulk.call(self.es.mget, "fingerprint fetch", index=self.index, ids=sorted(ids),
                            realtime=False)
        return {doc["_id"]: _from_source(doc["_source"]) for doc in resp["docs"] if doc.get("found")}

    def assign(self, items: list[Fingerprint]) -> dict[str, Assignment | Exception]:
        """A 429/5xx or a lost connection is an outage (ServiceUnavailable: the batch is retried); a
        refusal of one item (e.g. a URL over the 32 766-byte keyword limit) fails only that item."""
        if not items:
            return {}
        es_bulk.call(self.ensure_index, "fingerprint index")
        searches: list[dict] = []
        for item in items:
            searches.append({"index": self.index})
            searches.append({
                "size": self.max_candidates,
                "query": {"bool": {"should": [
                    {"terms": {"bands": bands(item.simhash)}},
                    {"ids": {"values": [item.doc_id]}},
                ]}},
                "sort": [{"first_seen": "asc"}, {"doc_id": "asc"}],
                "_source": False,
            })
        # Ids only, then each distinct candidate once: the pages of one batch mostly share their
        # candidates (up to 200 each), so fetching the sources per search sent the same fingerprints up
        # to 100 times per batch. Fingerprints are only ever created, never changed, so the second
        # request reads what the search found.
        response = es_bulk.call(self.es.msearch, "fingerprint lookup", searches=searches)
        found_ids: dict[str, list[str]] = {}
        failed: dict[str, Exception] = {}
        for item, result in zip(items, response["responses"], strict=True):
            if "error" in result:
                status = result.get("status")
                if status is None or es_bulk.is_outage_status(status):
                    raise ServiceUnavailable(f"fingerprint lookup failed: {result['error']}")
                failed[item.doc_id] = es_bulk.ItemRefused(f"fingerprint lookup refused: {result['error']}")
                continue
            found_ids[item.doc_id] = [hit["_id"] for hit in result["hits"]["hits"]]
        known = self._fetch({i for ids in found_ids.values() for i in ids})
        candidates = {doc_id: [known[i] for i in ids if i in known] for doc_id, ids in found_ids.items()}
        live = [item for item in items if item.doc_id not in failed]
        out, records = _assign_all(live, candidates)
        operations: list[dict] = []
        for record in records:
            operations.append({"create": {"_index": self.index, "_id": record.doc_id}})
            operations.append({
                "doc_id": record.doc_id,
                "simhash": to_hex(record.simhash),
                "bands": bands(record.simhash),
                "first_seen": record.first_seen.isoformat(),
                "cluster_id": record.cluster_id,
                "url": record.url,
                "published_at": record.published.isoformat() if record.published else None,
                "numbers": sorted(record.numbers)[:200],
                "repost": record.repost,
            })
        result: dict = {}
        if operations:
            # refresh=True: the next batch (maybe on another worker) must see these fingerprints.
            result = es_bulk.call(self.es.bulk, "fingerprint write", operations=operations, refresh=True)
        final: dict[str, Assignment | Exception] = {**out, **failed}
        if result.get("errors"):
            refused, outages = es_bulk.item_failures(result["items"])  # 409: recorded by an earlier sighting
            if outages:
                raise ServiceUnavailable(f"fingerprint write failed: {outages[:3]}")
            for position, reason in refused.items():
                final[records[position].doc_id] = es_bulk.ItemRefused(f"fingerprint write refused: {reason}")
        return final
