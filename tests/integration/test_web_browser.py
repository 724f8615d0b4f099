"""The web interface in a real headless Chromium (Debian's chromium + chromium-driver, through Selenium)
over the real local Elasticsearch; the alert stage runs in-process (marker `integration`).

An analyst searches for 生物医药, opens the first document, sees its indicators, adds a watch, a document
is replayed (indexed again and run through the alert stage), and its alert appears in the feed."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.integration

CHROMIUM_MISSING = "Debian's chromium and chromium-driver are needed: run `make browser` (apt-get, as root)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _click_and_load(browser, element) -> None:
    """Click something that loads a new page and wait until the old page is gone: a find right after a click
    can otherwise still see the old page's elements (a removed row still there)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 15).until(ec.staleness_of(old_page))


@pytest.fixture(scope="module")
def web_url(es, web_indices) -> Iterator[str]:
    """The app over the corpus indices, served by uvicorn in a thread on a free loopback port."""
    import uvicorn

    from policywatch.web import WebConfig, create_app

    config = WebConfig(**{f"{k}_index": v for k, v in web_indices.items()})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(es, config), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web app did not start in 20 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail(CHROMIUM_MISSING)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def test_search_open_document_add_watch_replay_and_see_the_alert(browser, web_url, es, web_indices,
                                                                 corpus_docs) -> None:
    from selenium.webdriver.common.by import By

    from policywatch.search.watches import WatchStore
    from processors.alert.engine import AlertStage, StageConfig
    from tests.integration.web_corpus import index_docs, replayed

    # search for 生物医药 from the home page
    browser.get(web_url + "/")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("生物医药")
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.searchbox button[type=submit]"))
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert hits, browser.page_source[:2000]
    assert "<em>生物医药</em>" in hits[0].get_attribute("innerHTML")
    first = hits[0].find_element(By.CSS_SELECTOR, "a.hit-title")
    first_title = first.text

    # open the first document: its indicators in a table and highlighted in the text
    _click_and_load(browser, first)
    assert browser.find_element(By.CSS_SELECTOR, "h1.doc-title").text == first_title
    rows = browser.find_elements(By.CSS_SELECTOR, "table.indicators tbody tr")
    marks = browser.find_elements(By.CSS_SELECTOR, ".doctext mark.ind")
    assert len(rows) >= 5 and len(marks) >= 5
    doc_id = browser.current_url.rsplit("/", 1)[1]
    shown = {d.doc_id: d for d in corpus_docs.values()}[doc_id]
    labels = {i.label for i in shown.extraction.indicators}
    assert rows[0].find_elements(By.TAG_NAME, "td")[1].text in labels

    # add a watch through the form
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "Watches"))
    browser.find_element(By.NAME, "name").send_keys("bio-browser")
    browser.find_element(By.NAME, "query").send_keys("生物医药")
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.add-watch button[type=submit]"))
    row = browser.find_element(By.CSS_SELECTOR, 'tr.watch[data-name="bio-browser"]')
    assert "enabled" in row.text and "feed only" in row.text  # no webhook, no channels
    assert WatchStore(es, web_indices["watches"]).get("bio-browser").query == "生物医药"

    # replay a document: indexed again (so after the watch) and matched by the real alert stage
    doc = replayed("001")
    assert doc.doc_id == corpus_docs["001"].doc_id and doc.fetched_at > corpus_docs["001"].fetched_at
    # refreshed first: the stage's searchability check would otherwise see the old version of this id
    index_docs(es, web_indices, [doc], refresh="wait_for")
    config = StageConfig(docs_index=web_indices["docs"], alerts_index=web_indices["alerts"],
                         watches_index=web_indices["watches"], watch_ttl_s=0, poll_s=0.05,
                         searchable_timeout_s=15)
    published: list = []
    stage = AlertStage(es, published.extend, config)
    try:
        report = stage.handle_batch([doc])
    finally:
        stage.close()
    assert report.new_alerts == 1 and [a.watch for a in published] == ["bio-browser"]
    es.indices.refresh(index=web_indices["alerts"])

    # the alert appears in the feed, linked to its document, with its delivery outcome
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "Alerts"))
    alert_rows = browser.find_elements(By.CSS_SELECTOR, "tr.alert-row")
    assert len(alert_rows) == 1
    cells = alert_rows[0].find_elements(By.TAG_NAME, "td")
    assert cells[1].text == "bio-browser"
    link = alert_rows[0].find_element(By.CSS_SELECTOR, "a.alert-doc")
    assert link.get_attribute("href").endswith("/doc/" + doc.doc_id)
    assert cells[3].text.startswith("none")  # no webhook: delivered to the feed only

    # disable, then remove the watch
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "Watches"))
    toggle = browser.find_element(By.CSS_SELECTOR, 'tr.watch[data-name="bio-browser"] button')
    _click_and_load(browser, toggle)
    row = browser.find_element(By.CSS_SELECTOR, 'tr.watch[data-name="bio-browser"]')
    assert "disabled" in row.text and not WatchStore(es, web_indices["watches"]).get("bio-browser").enabled
    _click_and_load(browser, row.find_element(By.CSS_SELECTOR, "button.danger"))
    assert not browser.find_elements(By.CSS_SELECTOR, 'tr.watch[data-name="bio-browser"]')
    assert WatchStore(es, web_indices["watches"]).get("bio-browser") is None


def test_indicator_explorer_charts_and_exports(browser, web_url, corpus_docs) -> None:
    from selenium.webdriver.common.by import By

    zone = corpus_docs["004"].extraction.zone
    gdp = [i for i in corpus_docs["004"].extraction.indicators if i.metric == "gdp"]
    assert gdp, "seed 004 reports its GDP"
    browser.get(web_url + "/indicators?metric=gdp")
    browser.find_element(By.CSS_SELECTOR, f'input[name=zone][value="{zone}"]').click()
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.explorer button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, '#chart[data-ready="1"] canvas')
    cells = browser.find_elements(By.CSS_SELECTOR, "table.by-period tbody td a")
    assert any(c.text.startswith(f"{gdp[0].value:g}") for c in cells)
    csv_href = browser.find_element(By.LINK_TEXT, "CSV").get_attribute("href")
    import httpx

    body = httpx.get(csv_href).content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("zone,year,period") and zone in body


def test_year_facet_filters_undated_reports_by_year_and_says_so(browser, web_url, corpus_docs) -> None:
    from selenium.webdriver.common.by import By

    browser.get(web_url + "/search?q=*")
    summary = browser.find_element(By.CSS_SELECTOR, "p.summary").text
    assert summary.startswith(f"{len({d.cluster_id for d in corpus_docs.values()})} reports")
    assert f"({len(corpus_docs)} documents, reposts collapsed)" in summary
    year_2023 = browser.find_element(By.CSS_SELECTOR, "aside.facets").find_element(By.LINK_TEXT, "2023")
    _click_and_load(browser, year_2023)
    assert "since=2023" in browser.current_url and "until=2023" in browser.current_url
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "a.hit-title")]
    expected = {d.title for d in corpus_docs.values() if d.extraction.year == 2023 and d.duplicate_of is None}
    assert set(titles) == expected and titles
    notes = browser.find_elements(By.CSS_SELECTOR, "li.hit .note")
    assert len(notes) == len(titles) and all("no publication date" in n.text for n in notes)


def test_alert_feed_shows_the_delivery_outcomes_the_alert_carries(browser, web_url, es, web_indices,
                                                                  corpus_docs) -> None:
    """The feed renders what the alert stage stores on an alert: webhook outcome and per-channel results."""
    from selenium.webdriver.common.by import By

    doc = corpus_docs["004"]
    es.index(index=web_indices["alerts"], id="hooked-1", refresh="wait_for", document={
        "alert_id": "hooked-1", "watch": "hooked", "doc_id": doc.doc_id, "title": doc.title, "url": doc.url,
        "matched_at": "2026-12-01T10:00:00+00:00", "highlights": [], "delivery": "failed",
        "delivery_attempts": 3, "delivery_error": "timeout after 5 s",
        "channel_deliveries": [{"channel": "dingtalk", "target": "dingtalk://…", "ok": True},
                               {"channel": "mailto", "target": "mailto://…", "ok": False,
                                "error": "SMTP refused"}]})
    browser.get(web_url + "/alerts?watch=hooked")
    cell = browser.find_element(By.CSS_SELECTOR, "tr.alert-row td.delivery")
    assert "failed" in cell.text and "3 attempts" in cell.text and "timeout after 5 s" in cell.text
    channels = [c.text for c in cell.find_elements(By.CSS_SELECTOR, ".channel")]
    assert channels == ["dingtalk dingtalk://…: delivered", "mailto mailto://…: failed — SMTP refused"]
