"""Near-duplicate threshold: precision and recall of "same report" on edited copies of real reports.

The reports are the main texts of the golden tune pages (the project's clean path) and the seed reports.
From each report ``r`` this builds (seeded, reproducible):

same report (must merge):
- ``light``: one sentence dropped, a few characters changed, punctuation and spacing changed;
- ``wrapped``: another site's navigation lines before it and its footer/bylines after it;
- ``repost``: 来源/责任编辑 lines, a short editor's lead and a "(完)" added;

different reports (must not merge):
- ``numbers``: the same template with every number changed (next month's briefing);
- ``other``: another report.

For each Hamming-distance threshold it prints precision and recall of "distance <= t means same
report", for the simhash alone and for simhash plus the numbers check that clean applies
(``processors.clean.fingerprint.same_numbers``).

    python bench/reposts.py            # table
    python bench/reposts.py --json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

_SENT = re.compile(r"(?<=[。！？])")
_NUM = re.compile(r"\d+(?:\.\d+)?")
NAV = ["首页 | 新闻中心 | 政务公开 | 办事服务 | 互动交流", "当前位置：首页 > 新闻中心 > 本地要闻",
       "【字体：大 中 小】【打印】【关闭】", "分享到：微信 微博 QQ空间"]
FOOTER = ["（责任编辑：王明）", "主办单位：某某市人民政府办公室 版权所有 网站标识码3300000001",
          "ICP备05012345号 公网安备 33010202000001号", "网站地图 | 联系我们 | 返回顶部"]


def reports() -> list[str]:
    from cleaning import load_pages, run_project

    texts = [run_project(p).text for p in load_pages("tune")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return [t for t in texts if len(t) >= 300]


def light(text: str, rng: random.Random) -> str:
    sents = [s for s in _SENT.split(text) if s]
    if len(sents) > 4:
        del sents[rng.randrange(1, len(sents) - 1)]
    chars = list("".join(sents))
    for _ in range(3):
        i = rng.randrange(len(chars))
        if "\u4e00" <= chars[i] <= "\u9fff":
            chars[i] = rng.choice("的了和在是有为")
    return "".join(chars).replace("，", ",").replace("\n", "\n\n")


def wrapped(text: str, rng: random.Random) -> str:
    return "\n".join(rng.sample(NAV, 3) + [text] + rng.sample(FOOTER, 3))


def repost(text: str, rng: random.Random) -> str:
    lead = "编者按：这篇报道值得一读。"
    return f"{lead}\n来源：某某日报\n{text}\n(完)\n责任编辑：李华"


def numbers(text: str, rng: random.Random) -> str:
    def change(match: re.Match[str]) -> str:
        value = match.group(0)
        while True:
            new = "".join(rng.choice("0123456789") for _ in value.replace(".", ""))
            if "." in value:
                k = value.index(".")
                new = new[:k] + "." + new[k:]
            if new != value:
                return new
    return _NUM.sub(change, text)


def measure(max_t: int = 12, seed: int = 7) -> dict:
    from processors.clean.fingerprint import hamming, same_numbers, simhash

    rng = random.Random(seed)
    texts = reports()
    pairs: list[tuple[str, str, str, bool]] = []  # kind, a, b, same
    for i, text in enumerate(texts):
        for kind, make in (("light", light), ("wrapped", wrapped), ("repost", repost)):
            pairs.append((kind, text, make(text, rng), True))
        if len(_NUM.findall(text)) >= 5:
            pairs.append(("numbers", text, numbers(text, rng), False))
        pairs.append(("other", text, texts[(i + 1 + rng.randrange(len(texts) - 1)) % len(texts)], False))
    scored = [(kind, hamming(simhash(a), simhash(b)), same_numbers(a, b), same) for kind, a, b, same in pairs]
    rows = []
    for t in range(max_t + 1):
        row = {"threshold": t}
        for name, use_numbers in (("simhash", False), ("simhash+numbers", True)):
            tp = sum(1 for _, d, n, s in scored if s and d <= t and (n or not use_numbers))
            fp = sum(1 for _, d, n, s in scored if not s and d <= t and (n or not use_numbers))
            fn = sum(1 for _, d, n, s in scored if s and not (d <= t and (n or not use_numbers)))
            row[name] = {"precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
                         "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0}
        rows.append(row)
    kinds = {}
    for kind, d, _, _ in scored:
        kinds.setdefault(kind, []).append(d)
    return {
        "reports": len(texts), "pairs": len(pairs),
        "distance_by_kind": {k: {"min": min(v), "median": sorted(v)[len(v) // 2], "max": max(v)}
                             for k, v in kinds.items()},
        "numbers_check_by_kind": {k: sum(1 for kk, _, n, _ in scored if kk == k and n) for k in kinds},
        "thresholds": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"reports={result['reports']} pairs={result['pairs']}")
    for kind, stats in result["distance_by_kind"].items():
        print(f"  {kind:8} hamming min/median/max {stats['min']}/{stats['median']}/{stats['max']}  "
              f"numbers agree {result['numbers_check_by_kind'][kind]}")
    print(f"{'t':>3} {'simhash P':>10} {'R':>6} {'+numbers P':>11} {'R':>6}")
    for row in result["thresholds"]:
        a, b = row["simhash"], row["simhash+numbers"]
        print(f"{row['threshold']:>3} {a['precision']:>10} {a['recall']:>6} "
              f"{b['precision']:>11} {b['recall']:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
