"""Where emitted RawDocuments go: Kafka (production), a JSON-lines file or memory (tests, offline).

`send` takes a callback run once the message is acknowledged; the crawler records a page as seen
only then. `flush` blocks until every sent message is acknowledged or has failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from schemas.raw import RawDocument, encode_raw
from schemas.topics import RAW_TOPIC

logger = logging.getLogger(__name__)

Ack = Callable[[], None]


class Sink(Protocol):
    def send(self, doc: RawDocument, on_ack: Ack) -> None: ...

    def flush(self) -> int:
        """Wait for outstanding messages; return how many failed since the last flush."""
        ...

    def close(self) -> None: ...


def encode(doc: RawDocument) -> bytes:
    return doc.model_dump_json().encode("utf-8")


class MemorySink:
    def __init__(self) -> None:
        self.docs: list[RawDocument] = []

    def send(self, doc: RawDocument, on_ack: Ack) -> None:
        self.docs.append(doc)
        on_ack()

    def flush(self) -> int:
        return 0

    def close(self) -> None:
        pass


class JsonlSink:
    """Appends one JSON message per line (the same bytes Kafka would get)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh = self.path.open("ab")
        self._lock = threading.Lock()

    def send(self, doc: RawDocument, on_ack: Ack) -> None:
        with self._lock:
            self._fh.write(encode(doc) + b"\n")
        on_ack()

    def flush(self) -> int:
        self._fh.flush()
        return 0

    def close(self) -> None:
        self._fh.close()


class KafkaSink:
    """Produces to policy.raw.v1 (or `topic`), keyed by doc_id."""

    def __init__(self, producer, *, topic: str = RAW_TOPIC) -> None:
        self.producer = producer
        self.topic = topic
        self._failed = 0
        self._lock = threading.Lock()
        self.sent = 0

    def _on_error(self, exc: BaseException) -> None:
        with self._lock:
            self._failed += 1
        logger.error("kafka: message not delivered to %s: %s", self.topic, exc)

    def send(self, doc: RawDocument, on_ack: Ack) -> None:
        # The binary frame (schemas.raw): page bytes ride as zstd, without base64's third on top.
        future = self.producer.send(self.topic, key=doc.doc_id.encode("ascii"), value=encode_raw(doc))
        future.add_callback(lambda _meta: on_ack())
        future.add_errback(self._on_error)
        self.sent += 1

    def flush(self) -> int:
        self.producer.flush(timeout=120)
        with self._lock:
            failed, self._failed = self._failed, 0
        return failed

    def close(self) -> None:
        self.producer.flush(timeout=120)
        self.producer.close(timeout=30)
