"""The WikiQA parser on realistic raw model outputs, with exact expected results."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow.text.wikiqa.parser import parse_wiki_qa

EIFFEL = (
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. "
    "It is named after the engineer Gustave Eiffel, whose company designed and built the tower."
)
EIFFEL_2 = "Constructed from 1887 to 1889, it was initially criticised by some of France's leading artists."


def qa(*pairs):
    return [{"question": q, "answer": a} for q, a in pairs]


CASES = {
    "bold_headers_bold_labels": (
        f"**Wikipedia Article:**\n\n{EIFFEL}\n\n{EIFFEL_2}\n\n**Question Answer Pairs:**\n\n"
        "**Question:** Who is the structure named after?\n**Answer:** Gustave Eiffel\n\n"
        "**Question:** In which city does this structure stand?\n**Answer:** Paris\n",
        {
            "context": f"{EIFFEL}\n\n{EIFFEL_2}",
            "qas": qa(("Who is the structure named after?", "Gustave Eiffel"), ("In which city does this structure stand?", "Paris")),
        },
    ),
    "markdown_h3_numbered_dash_answers": (
        f"### Wikipedia Article\n{EIFFEL}\n\n### Question Answer Pairs\n"
        "1. **When was this structure completed?**\n   - 1889\n"
        "2. **What material is this structure made of?**\n   - Wrought iron\n",
        {
            "context": EIFFEL,
            "qas": qa(("When was this structure completed?", "1889"), ("What material is this structure made of?", "Wrought iron")),
        },
    ),
    "h2_questions_and_answers_q_a_two_lines": (
        f"## Nightmare Alley\n\n{EIFFEL}\n\n## Questions and Answers\n\n"
        "Q: Who designed this landmark?\nA: Gustave Eiffel's company\n\n"
        "Q: What is the name of the field it stands on?\nA: Champ de Mars\n",
        {
            "context": EIFFEL,
            "qas": qa(("Who designed this landmark?", "Gustave Eiffel's company"), ("What is the name of the field it stands on?", "Champ de Mars")),
        },
    ),
    "q_a_one_line": (
        f"{EIFFEL}\n\nQuestion-Answer Pairs:\nQ: Who is it named after? A: Gustave Eiffel\n"
        "Q: Which country is it in? A: France\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"), ("Which country is it in?", "France"))},
    ),
    "q1_a1_no_header": (
        f"{EIFFEL}\n\nQ1: Who is the tower named after?\nA1: Gustave Eiffel\nQ2: In which years was it built?\nA2: 1887, 1889\n",
        {"context": EIFFEL, "qas": qa(("Who is the tower named after?", "Gustave Eiffel"), ("In which years was it built?", "1887, 1889"))},
    ),
    "question_n_answer_n": (
        f"Article: {EIFFEL}\n\nQuestion and Answer Pairs\n\nQuestion 1: What was the tower's reception among artists?\n"
        "Answer 1: Criticism\n\nQuestion 2: What kind of structure is it?\nAnswer 2: Lattice tower\n",
        {
            "context": EIFFEL,
            "qas": qa(("What was the tower's reception among artists?", "Criticism"), ("What kind of structure is it?", "Lattice tower")),
        },
    ),
    "bold_q1_dot": (
        f"{EIFFEL}\n\n**Q1.** Who built this tower?\n**A1.** Gustave Eiffel's company\n\n**Q2.** Where is it located?\n**A2.** Paris\n",
        {"context": EIFFEL, "qas": qa(("Who built this tower?", "Gustave Eiffel's company"), ("Where is it located?", "Paris"))},
    ),
    "q_dot_a_dot": (
        f"{EIFFEL}\n\nQA Pairs:\nQ. Who is the namesake of this tower?\nA. Gustave Eiffel\nQ. What city is it in?\nA. Paris\n",
        {"context": EIFFEL, "qas": qa(("Who is the namesake of this tower?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "full_width_colons_crlf": (
        f"Wikipedia Article：\r\n{EIFFEL}\r\n\r\nQuestion：Who is it named after?\r\nAnswer：Gustave Eiffel\r\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "numbered_inline_answer_label": (
        f"{EIFFEL}\n\nQuestion-Answer Pairs:\n1. Who is the tower named after? Answer: Gustave Eiffel\n"
        "2. What is the tower made of? Answer: Wrought iron\n",
        {"context": EIFFEL, "qas": qa(("Who is the tower named after?", "Gustave Eiffel"), ("What is the tower made of?", "Wrought iron"))},
    ),
    "numbered_question_then_answer_label_line": (
        f"{EIFFEL}\n\n### Questions\n1. Who is the tower named after?\n   Answer: Gustave Eiffel\n"
        "2. What is the tower made of?\n   Answer: Wrought iron\n",
        {"context": EIFFEL, "qas": qa(("Who is the tower named after?", "Gustave Eiffel"), ("What is the tower made of?", "Wrought iron"))},
    ),
    "nested_bullets": (
        f"**Article**\n\n{EIFFEL}\n\n**Questions and Answers**\n\n"
        "- **Question:** Who is it named after?\n  - **Answer:** Gustave Eiffel\n"
        "- **Question:** Which field is it on?\n  - **Answer:** Champ de Mars\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"), ("Which field is it on?", "Champ de Mars"))},
    ),
    "markdown_table": (
        f"{EIFFEL}\n\n## Question-Answer Pairs\n\n| # | Question | Answer |\n|---|----------|--------|\n"
        "| 1 | Who is the tower named after? | Gustave Eiffel |\n| 2 | What city is it in? | **Paris** |\n",
        {"context": EIFFEL, "qas": qa(("Who is the tower named after?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "fenced_json": (
        '```json\n{\n  "context": "' + EIFFEL + '",\n  "qas": [\n    {"question": "Who is it named after?", '
        '"answer": "Gustave Eiffel"},\n    {"question": "What city is it in?", "answer": "Paris"}\n  ]\n}\n```',
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "horizontal_rules": (
        f"**Wikipedia Article:**\n\n{EIFFEL}\n\n---\n\n**Question-Answer Pairs:**\n\n"
        "**Q:** Who is the tower named after?\n**A:** Gustave Eiffel\n\n---\n",
        {"context": EIFFEL, "qas": qa(("Who is the tower named after?", "Gustave Eiffel"))},
    ),
    "chatter_before_article": (
        f"Sure! Here is a Wikipedia-style article related to the image, followed by question-answer pairs.\n\n"
        f"{EIFFEL}\n\nQuestion: Who is it named after?\nAnswer: Gustave Eiffel\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "note_after_pairs": (
        f"{EIFFEL}\n\nQ: Who is it named after?\nA: Gustave Eiffel\n\nQ: What city is it in?\nA: Paris\n\n"
        "Note: These questions require reading the article to answer.",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "unlabelled_note_paragraph_after_pairs": (
        f"{EIFFEL}\n\nQuestion: Who is it named after?\nAnswer: Gustave Eiffel.\n\n"
        "I hope these pairs are useful for your dataset.",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel."))},
    ),
    "truncated_last_pair": (
        f"{EIFFEL}\n\nQ1: Who is it named after?\nA1: Gustave Eiffel.\nQ2: What city is it in?\nA2: Paris, France.\n"
        "Q3: Why was it criticised?\nA3: Leading artists considered it an eyesore and a waste of",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel."), ("What city is it in?", "Paris, France."))},
    ),
    "truncated_question_without_answer": (
        f"{EIFFEL}\n\nQuestion: Who is it named after?\nAnswer: Gustave Eiffel\nQuestion: When did construction",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "article_only": (
        f"# Eiffel Tower\n\n{EIFFEL}\n\n{EIFFEL_2}",
        {"context": f"{EIFFEL}\n\n{EIFFEL_2}", "qas": []},
    ),
    "qatar_not_a_header": (
        "Qatar is a country in Western Asia. It occupies the Qatar Peninsula on the northeastern coast of the "
        "Arabian Peninsula.\n\nQuestions about its origin remain debated among historians of the region.\n\n"
        "Question-Answer Pairs:\nQ: On which peninsula does this country lie?\nA: Qatar Peninsula\n",
        {
            "context": "Qatar is a country in Western Asia. It occupies the Qatar Peninsula on the northeastern coast of the "
            "Arabian Peninsula.\n\nQuestions about its origin remain debated among historians of the region.",
            "qas": qa(("On which peninsula does this country lie?", "Qatar Peninsula")),
        },
    ),
    "title_line": (
        f"Title: Eiffel Tower\n\n{EIFFEL}\n\nQ&A:\nQ: Who is it named after?\nA: Gustave Eiffel\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "refusal": (
        "I'm sorry, but I can't help with identifying people in images.",
        {"context": "", "qas": []},
    ),
    "error_string": (
        "Error: Request timed out after 1800 seconds",
        {"context": "", "qas": []},
    ),
    "multi_line_answer": (
        f"{EIFFEL}\n\nQuestion: What did the critics say?\nAnswer: They called it useless\nand monstrous.\n",
        {"context": EIFFEL, "qas": qa(("What did the critics say?", "They called it useless and monstrous."))},
    ),
    "bold_question_line_answer_below": (
        f"{EIFFEL}\n\n**Who is this tower named after?**\nGustave Eiffel\n\n**What city is it in?**\nParis\n",
        {"context": EIFFEL, "qas": qa(("Who is this tower named after?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "question_label_on_own_line": (
        f"{EIFFEL}\n\n**Question 1:**\nWho is it named after?\n**Answer:**\nGustave Eiffel\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "numbered_parens_inline_answer_after_qmark": (
        f"{EIFFEL}\n\nQuestion Answer Pairs:\n1) Who is it named after? Gustave Eiffel\n2) What city is it in? Paris\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "multi_paragraph_article_with_section_headers": (
        f"**Eiffel Tower**\n\n{EIFFEL}\n\n**History**\n\n{EIFFEL_2}\n\n**Questions:**\n\n"
        "1. Who is it named after?\n- Gustave Eiffel\n",
        # the title above the article goes; its section heading is article text and stays
        {"context": f"{EIFFEL}\n\nHistory\n\n{EIFFEL_2}", "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "json_list_after_article": (
        f"{EIFFEL}\n\n```json\n[{{\"question\": \"Who is it named after?\", \"answer\": \"Gustave Eiffel\"}}]\n```",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "separate_question_and_answer_lists": (
        f"{EIFFEL}\n\nQuestions:\n1. Who is it named after?\n2. What city is it in?\n\nAnswers:\n1. Gustave Eiffel\n2. Paris\n",
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"), ("What city is it in?", "Paris"))},
    ),
    "wiki_markup_headers_and_inline_title_label": (
        f"Wikipedia Article: Eiffel Tower\n\n== History ==\n{EIFFEL}\n\n== Reception ==\n{EIFFEL_2}\n\n"
        "Question: Who is it named after?\nAnswers: Gustave Eiffel\n",
        # the label gave the title: both section headings are the article's
        {"context": f"History\n\n{EIFFEL}\n\nReception\n\n{EIFFEL_2}", "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "json_inside_prose": (
        'Here is the result in JSON format: {"article": "' + EIFFEL + '", "qa_pairs": [{"Q": "Who is it named after?", '
        '"A": "Gustave Eiffel"}]} I hope this helps!',
        {"context": EIFFEL, "qas": qa(("Who is it named after?", "Gustave Eiffel"))},
    ),
    "italics_and_links_removed": (
        "The *Eiffel Tower* is a [lattice tower](https://en.wikipedia.org/wiki/Lattice_tower) in Paris.\n\n"
        "Q: What kind of tower is it?\nA: *Lattice tower*\n",
        {"context": "The Eiffel Tower is a lattice tower in Paris.", "qas": qa(("What kind of tower is it?", "Lattice tower"))},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parser_on_realistic_outputs(name):
    raw, expected = CASES[name]
    assert parse_wiki_qa(raw) == expected


@pytest.mark.parametrize("value", [None, 3.5, float("nan"), 12, ["a"], {"context": "x"}, "", "   \n  "])
def test_non_strings_and_empty_give_empty_result(value):
    assert parse_wiki_qa(value) == {"context": "", "qas": []}


def test_never_raises_on_arbitrary_strings():
    alphabet = st.sampled_from(list("QA:?*#|-`{}[]\"1. \n\r\tabcxyz：") + ["Question", "Answer", "```json"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=60).map("".join))
    def check(text):
        out = parse_wiki_qa(text)
        assert set(out) == {"context", "qas"}
        assert isinstance(out["context"], str)
        for pair in out["qas"]:
            assert set(pair) == {"question", "answer"}
            assert pair["question"] and pair["answer"]

    check()


def test_heading_with_article_label_and_title_is_dropped():
    raw = (
        "### Wikipedia Article: The Astronaut Program\n\nNASA selects astronauts competitively.\n\n"
        "### Question-Answer Pairs:\n\n1. **Question:** Who selects them?\n   **Answer:** NASA"
    )
    assert parse_wiki_qa(raw) == {
        "context": "NASA selects astronauts competitively.",
        "qas": [{"question": "Who selects them?", "answer": "NASA"}],
    }


def test_refusal_preamble_with_real_content_keeps_content():
    raw = (
        "I'm sorry, I can't identify the person in the image.\n\n"
        f"{EIFFEL}\n\nQ: Who is the tower named after?\nA: Gustave Eiffel"
    )
    assert parse_wiki_qa(raw) == {"context": EIFFEL, "qas": qa(("Who is the tower named after?", "Gustave Eiffel"))}
