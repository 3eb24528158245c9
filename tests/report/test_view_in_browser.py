"""`dataflow view` in a real headless Chromium: loads from file://, pages, thumbnails, search, filter, no XSS."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dataflow.report.view import write_report
from tests.conftest import REPO_ROOT, run_cli
from tests.report.conftest import chromium_path

ARTIFACTS = Path(os.environ.get("DATAFLOW_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


def open_report(browser, path, bypass_csp=False):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append("network: " + r.url))
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    return page, problems


def wait_ready(page):
    page.wait_for_selector("body[data-ready='1']", timeout=15000)


def shown_ids(page):
    return page.locator("article.card .meta span:nth-child(2)").all_inner_texts()


def test_report_pages_searches_filters_and_runs_nothing_from_the_data(step_file, browser, tmp_path):
    step, kept, rejected = step_file
    result = run_cli("view", str(step), "-o", str(tmp_path / "report.html"), "-q", cwd=tmp_path)
    assert "wrote" in result.stdout
    page, problems = open_report(browser, tmp_path / "report.html")
    total = len(kept) + len(rejected)
    assert page.locator("#fig-rows").inner_text() == str(total)
    assert page.locator("#fig-rejected").inner_text() == str(sum(1 for r in rejected if not r["vqa_error"]))
    assert page.locator("article.card").count() == 50
    assert page.locator("#page").inner_text() == "page 1 of 3"
    first = shown_ids(page)
    page.click("#next")
    wait_ready(page)
    assert page.locator("#page").inner_text() == "page 2 of 3" and shown_ids(page) != first
    page.click("#next")
    wait_ready(page)
    assert page.locator("article.card").count() == total - 100
    # thumbnails render; a missing image says so
    widths = page.evaluate("[...document.querySelectorAll('.thumbs img')].map(i => i.complete ? i.naturalWidth : -1)")
    assert widths and all(w > 0 for w in widths)
    page.click("#prev")
    wait_ready(page)
    page.click("#prev")
    wait_ready(page)
    assert page.locator(".missing").count() >= 1
    # search over article and QA text
    page.fill("#search", "answer14x1")
    expect(page.locator("article.card")).to_have_count(1, timeout=15000)
    assert "answer14x1" in page.locator("article.card").inner_text()
    page.fill("#search", "topic77.")
    expect(page.locator("article.card")).to_have_count(1, timeout=15000)
    page.fill("#search", "")
    wait_ready(page)
    # status filter
    page.select_option("#filter", "failed")
    wait_ready(page)
    statuses = page.evaluate("[...document.querySelectorAll('article.card')].map(c => c.dataset.status)")
    assert statuses and set(statuses) == {"failed"}
    page.select_option("#filter", "rejected")
    wait_ready(page)
    assert set(page.evaluate("[...document.querySelectorAll('article.card')].map(c => c.dataset.status)")) == {"rejected"}
    assert "row: image_reference" in page.locator("article.card").first.inner_text()
    # the payloads are shown as text and ran nothing
    page.select_option("#filter", "all")
    wait_ready(page)
    assert page.evaluate("window.pwned") is None
    assert "<script>window.pwned" in page.locator("#cards").inner_text()
    assert page.locator("#cards script, #cards svg, #cards img[src='x']").count() == 0
    assert problems == []
    # without the page's Content-Security-Policy too: the cards never parse data as HTML
    bare, problems = open_report(browser, tmp_path / "report.html", bypass_csp=True)
    for _ in range(3):
        assert bare.evaluate("window.pwned") is None
        bare.click("#next") if bare.locator("#next").is_enabled() else None
        wait_ready(bare)
    assert problems == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_report_of_the_pipeline_output_uses_the_default_location(step_file):
    step, kept, rejected = step_file
    out = write_report(step, show_progress=False)
    assert out == step.with_name("p_step3.report.html")
    assert (step.parent / "p_step3.report_files" / "report.js").exists()
    html = out.read_text()
    assert "<script>window.pwned" not in html  # nothing from the data is in the page itself unescaped
    assert "http://" not in html and "https://" not in html  # no network assets
