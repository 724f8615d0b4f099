"""Generated HTML pages built from the seed reports, with distinct ids: for tests and benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from schemas import RawDocument, trace_step

_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_{site}</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}"></head><body>
<div class="header"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 工作动态</div>
<table class="xxgk"><tr><td>索引号：{index_no}</td><td>发布机构：{site}</td></tr></table>
<div class="article"><h1>{title}</h1>{body}</div>
<div class="footer">主办：{site} 网站标识码：{site_code} 联系我们 | 网站地图</div></body></html>"""


def seed_texts() -> list[str]:
    import seeds

    return [p.read_text(encoding="utf-8") for p in seeds.files()]


def make_page(n: int, *, rng: random.Random, texts: list[str], min_bytes: int = 15_000,
              max_bytes: int = 50_000) -> tuple[str, bytes]:
    """Page ``n``: paragraphs of a seed, shuffled, with a unique sentence; 15-50 KB of HTML."""
    text = texts[n % len(texts)]
    paragraphs = [p for p in text.split("\n") if p.strip()]
    target = rng.randint(min_bytes, max_bytes)
    rng.shuffle(paragraphs)
    parts = [f"<p>文档编号{n}：本页为第{n}号测试页面，生成于{rng.random():.6f}。</p>"]
    size = 0
    i = 0
    while size < target * 0.8:
        p = paragraphs[i % len(paragraphs)]
        parts.append(f"<p>{p}</p>")
        size += len(p.encode("utf-8")) + 7
        i += 1
    title = f"第{n}号开发区2023年工作总结"
    date = (datetime(2024, 1, 1) + timedelta(days=n % 365)).strftime("%Y-%m-%d %H:%M")
    html = _PAGE.format(title=title, site="某某经济开发区管理委员会", date=date, index_no=f"TEST-{n:06d}",
                        body="".join(parts), site_code=f"{n:010d}")
    return f"https://zone{n % 17}.example.gov.cn/art/2024/1/1/art_{n}.html", html.encode("utf-8")


def raw_documents(count: int, *, seed: int = 7, source_id: str = "synthetic",
                  start: int = 0) -> list[RawDocument]:
    rng = random.Random(seed)
    texts = seed_texts()
    docs = []
    now = datetime.now(UTC)
    for n in range(start, start + count):
        url, body = make_page(n, rng=rng, texts=texts)
        docs.append(RawDocument(
            doc_id=RawDocument.id_for_url(url), url=url, canonical_url=url, source_id=source_id,
            fetched_at=now, content_type="text/html; charset=utf-8", body=body,
            trace=[trace_step("synthetic")],
        ))
    return docs
