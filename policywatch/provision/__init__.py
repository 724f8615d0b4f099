"""`policywatch init`: Kafka topics and Elasticsearch templates, versioned indices and aliases.

Idempotent: what exists and matches is left alone, so a second run reports everything "unchanged".
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Change:
    kind: str  # topic | template | index | alias
    name: str
    action: str  # created | updated | unchanged | warning
    detail: str = ""


@dataclass
class Report:
    changes: list[Change] = field(default_factory=list)

    def add(self, kind: str, name: str, action: str, detail: str = "") -> None:
        self.changes.append(Change(kind, name, action, detail))

    @property
    def changed(self) -> bool:
        return any(c.action in ("created", "updated") for c in self.changes)

    def as_dict(self) -> dict:
        return {"changed": self.changed, "changes": [c.__dict__ for c in self.changes]}
