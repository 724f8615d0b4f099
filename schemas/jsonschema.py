"""The JSON Schema of each contract, written to schemas/json/ for consumers outside Python.

    python -m schemas.jsonschema          # rewrite the files
    python -m schemas.jsonschema --check  # exit 1 when a file is stale (the test does the same)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from schemas.alert import Alert, DeadLetter, Redrive
from schemas.cleaned import CleanedDocument
from schemas.extracted import ExtractedDocument, Indicator
from schemas.indexed import IndexedDocument
from schemas.raw import RawDocument

JSON_DIR = Path(__file__).resolve().parent / "json"
MODELS: dict[str, type[BaseModel]] = {
    "raw_document": RawDocument,
    "cleaned_document": CleanedDocument,
    "extracted_document": ExtractedDocument,
    "indicator": Indicator,
    "indexed_document": IndexedDocument,
    "alert": Alert,
    "dead_letter": DeadLetter,
    "redrive": Redrive,
}


def render(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="serialization")
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def expected_files() -> dict[Path, str]:
    return {JSON_DIR / f"{name}.json": render(model) for name, model in MODELS.items()}


def stale_files() -> list[Path]:
    return [path for path, text in expected_files().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def write() -> list[Path]:
    JSON_DIR.mkdir(exist_ok=True)
    changed = stale_files()
    for path, text in expected_files().items():
        if path in changed:
            path.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run: python -m schemas.jsonschema)", file=sys.stderr)
        return 1 if stale else 0
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
