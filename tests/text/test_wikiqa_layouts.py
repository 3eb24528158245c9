"""The parser reads back every layout the generator renders (tests/text/layouts.py), exactly."""

import os

from hypothesis import HealthCheck, given, settings

from dataflow.text.wikiqa.parser import parse_wiki_qa
from tests.text.layouts import layouts

EXAMPLES = int(os.environ.get("DATAFLOW_LAYOUT_EXAMPLES", "2000"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_every_layout_round_trips_fixed_seed(case):
    assert_round_trips(*case)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_every_layout_round_trips_random_seed(case):
    assert_round_trips(*case)


def assert_round_trips(text, article, pairs):
    """The parser gives back exactly the article and the pairs the layout was written from."""
    result = parse_wiki_qa(text)
    assert result["qas"] == [{"question": q, "answer": a} for q, a in pairs], text
    assert result["context"] == article, text
