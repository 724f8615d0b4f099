"""Re-take the README's screenshots of the web interface (docs/web-*.png) in headless Chromium.

    .venv/bin/python docs/screenshots.py

Needs the local stack, Debian's chromium + chromium-driver (`make browser`) and a CJK font
(`apt-get install fonts-wqy-microhei`). The data is bench/web.py's: the demo seeds in private indices,
deleted afterwards.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED_URL = "file:///home/analyst/policywatch/seeds/"
SHOTS = {  # file -> (path, query params, height in px)
    "web-search.png": ("/search?q=生物医药", 800),
    "web-document.png": ("/doc/{doc}", 720),
    "web-indicators.png": ("/indicators?metric=gdp{zones}", 1000),
    "web-alerts.png": ("/alerts", 500),
}


def main() -> None:
    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from bench.web import KEYS, _load, _seed_docs
    from policywatch.bootstrap import build_search_client
    from policywatch.core.settings import get_settings
    from policywatch.web import WebConfig, create_app

    settings = get_settings()
    es = build_search_client(settings)
    names = {k: f"pwbench-shots{k}-{uuid.uuid4().hex[:8]}" for k in KEYS}
    # as a checkout elsewhere would show them (the seeds' URLs are file URIs of the checkout)
    docs = [d.model_copy(update=dict.fromkeys(("url", "canonical_url"), SEED_URL + Path(d.url).name))
            for d in _seed_docs()]
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--hide-scrollbars", "--window-size=1200,900"):
        options.add_argument(arg)
    service = Service(shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    try:
        _load(es, settings, names, docs)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = create_app(es, WebConfig(**{f"{k}_index": v for k, v in names.items()}))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        doc = next(d for d in docs if d.extraction.zone == "济南新旧动能转换起步区")
        zones = "".join(f"&zone={d.extraction.zone}" for d in docs
                        if d.extraction.zone and any(i.metric == "gdp" for i in d.extraction.indicators))
        for name, (path, height) in SHOTS.items():
            driver.set_window_size(1200, height)
            driver.get(f"http://127.0.0.1:{port}" + path.format(doc=doc.doc_id, zones=zones))
            time.sleep(0.5)
            if name == "web-document.png":  # scroll to the highlighted indicators in the text
                driver.execute_script("document.querySelector('.doctext mark.ind')"
                                      ".scrollIntoView({block: 'center'})")
                time.sleep(0.3)
            driver.save_screenshot(str(ROOT / "docs" / name))
            print("docs/" + name)
        server.should_exit = True
    finally:
        driver.quit()
        es.indices.delete(index=list(names.values()), ignore_unavailable=True)


if __name__ == "__main__":
    main()
