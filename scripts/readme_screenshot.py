"""Make docs/report.png, the README's picture of a `dataflow view` report.

    .venv/bin/python scripts/readme_screenshot.py [--chromium /usr/bin/chromium]

The rows are the six example images with hand-written records of the kind a good model writes
(one failed row and one the filter rejected, to show both), viewed as a user would.
"""

import argparse
import json
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "example_data" / "image_contextvqa"

RECORDS = [
    ("person.png", "Eileen Collins is a retired American astronaut and United States Air Force colonel. A former "
     "military instructor and test pilot, she was the first woman to pilot a Space Shuttle, on STS-63 in 1995, and "
     "the first woman to command one, on STS-93 in 1999. She was selected by NASA in 1990 and flew four missions.",
     [("In what year was this person selected by the agency?", "1990"),
      ("Which mission did she command?", "STS-93"), ("How many missions did she fly?", "four")]),
    ("cat.jpg", "The tabby is any domestic cat with a distinctive M-shaped marking on its forehead and stripes, dots "
     "or swirling patterns on its coat. Tabby is not a breed but a coat pattern found in many breeds. The word comes "
     "from attabi, a striped silk made in Baghdad.",
     [("What marking does this animal's forehead show?", "M-shaped marking"),
      ("From which city's silk does the pattern's name come?", "Baghdad")]),
    ("coffee.jpg", "", []),
    ("rocket.jpg", "This image shows a rocket on a launch pad at night. The Atlas V is an expendable launch system "
     "built by United Launch Alliance, in service since 2002.", [("Who builds it?", "United Launch Alliance")]),
    ("photographer.jpg", "The cameraman is a standard test image, a photograph taken at the Massachusetts Institute "
     "of Technology and used since the 1980s in image processing research for its mix of fine detail and flat "
     "regions.", [("At which institute was this picture taken?", "Massachusetts Institute of Technology")]),
    ("hubble_deep_field.jpg", "The Hubble Deep Field is an image of a small region in the constellation Ursa Major, "
     "built from 342 separate exposures taken over ten days in December 1995. Almost all of its roughly 3,000 "
     "objects are galaxies.", [("In which constellation is this region?", "Ursa Major"),
                               ("How many separate exposures were combined?", "342")]),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from dataflow.report.view import write_report

    work = Path(tempfile.mkdtemp(prefix="dataflow-shot-"))
    (work / "cache_local").mkdir()
    kept, rejected = [], []
    for i, (image, article, qas) in enumerate(RECORDS, start=1):
        shutil.copy(IMAGES / image, work / image)
        record = {"context": article, "qas": [{"question": q, "answer": a} for q, a in qas]}
        row = {"id": i, "image": [image], "vqa": "...", "vqa_error": None, "context_vqa": record,
               "context_vqa_filtered": record, "context_vqa_filtered_reasons": []}
        if not article:
            row.update(vqa_error="generation failed: the engine ran out of KV cache", context_vqa_filtered=None,
                       context_vqa_filtered_reasons=["row: empty_context"])
            rejected.append(row)
        elif article.startswith("This image"):
            row.update(context_vqa_filtered=None, context_vqa_filtered_reasons=["row: short_context", "row: image_reference"])
            rejected.append(row)
        else:
            kept.append(row)
    step = work / "cache_local" / "context_vqa_filtered_step3.json"
    step.write_text(json.dumps(kept, indent=2))
    step.with_name("context_vqa_filtered_step3.rejected.json").write_text(json.dumps(rejected, indent=2))
    report = write_report(step, show_progress=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']")
        (REPO / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "report.png"))
        browser.close()
    print(REPO / "docs" / "report.png")


if __name__ == "__main__":
    main()
