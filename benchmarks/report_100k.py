"""`dataflow view`, `stats` and `export` on a 100k-row step file; the report opened and paged in Chromium.

    python benchmarks/report_100k.py [--rows 100000] [--chromium /usr/bin/chromium]

The step file is synthetic, shaped like the filtered pipeline's output (a ~1 KB article and 0-3
QAs per row, 1 in 7 failed, 1 in 7 rejected beside it, the six example images shrunk to 96 px so
that the HF export, which embeds an image per record, stays small). Timed: writing the
report, `stats`, a LLaVA export and an HF export, each against reading the step file with
`json.load` (the floor of touching the data) in the same run; then, in headless Chromium, the time
to open the report until the first page is drawn and the time of each "next page" and of a status
filter switch. Target: under 2 s per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, write_report

sys.path.insert(0, str(REPO))

from tests.report.conftest import make_step  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def browse(report: Path, chromium: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=60000)
        opened = time.perf_counter() - started
        pages = []
        for _ in range(10):
            started = time.perf_counter()
            page.click("#next")
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            pages.append(time.perf_counter() - started)
        started = time.perf_counter()
        page.select_option("#filter", "rejected")
        page.wait_for_selector("body[data-ready='1']", timeout=60000)
        filtered = time.perf_counter() - started
        cards = page.locator("article.card").count()
        browser.close()
    return {"open_s": opened, "next_page_median_s": statistics.median(pages), "next_page_max_s": max(pages),
            "status_filter_s": filtered, "cards_on_page": cards}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from dataflow.report.export import export
    from dataflow.report.records import figures, format_figures, load_rows
    from dataflow.report.view import write_report as view

    folder = Path(tempfile.mkdtemp(prefix="dataflow-report-"))
    step, kept, rejected = make_step(folder / "work", n=args.rows, image_pixels=96)
    size_mb = step.stat().st_size / 1e6
    read = timed(lambda: json.loads(step.read_text()))
    rows = [
        {"command": "json.load of the step file", "seconds": read, "x_read": 1.0},
        {"command": "dataflow view", "seconds": (t := timed(lambda: view(step, show_progress=False))), "x_read": t / read},
        {"command": "dataflow stats", "seconds": (t := timed(lambda: format_figures(figures(load_rows(step)[0])))), "x_read": t / read},
        {"command": "dataflow export --format llava", "seconds": (t := timed(lambda: export(step, "llava", folder / "llava.json"))), "x_read": t / read},
        {"command": "dataflow export --format hf", "seconds": (t := timed(lambda: export(step, "hf", folder / "hf"))), "x_read": t / read},
    ]
    browser = browse(step.with_name(f"{step.stem}.report.html"), args.chromium)
    write_report("report_100k", rows, rows_in_step=len(kept) + len(rejected), step_file_mb=round(size_mb, 1),
                 browser=browser, target_page_s=2.0)
    print(json.dumps(browser, indent=2))


if __name__ == "__main__":
    main()
