"""Output formats real models write that the parser must read: several cases per family, exact results."""

import pytest

from dataflow.text.wikiqa.parser import parse_wiki_qa
from tests.text.test_wikiqa_parser import EIFFEL, EIFFEL_2, qa

TOWER_ZH = "埃菲尔铁塔是位于法国巴黎战神广场的锻铁镂空塔，以设计它的工程师古斯塔夫·埃菲尔命名。铁塔于1889年建成，高330米。"
WALL_ZH = "长城是中国古代的军事防御工程，东起山海关，西至嘉峪关，全长约21196千米。"
PALACE_ZH = "故宫位于北京中轴线的中心，是明清两代的皇家宫殿，旧称紫禁城。"
NAMED = ("Who is the structure named after?", "Gustave Eiffel")
CITY = ("In which city does this structure stand?", "Paris")
DONE = ("When was this structure completed?", "1889")

FAMILIES = {
    # --- Chinese ------------------------------------------------------------------------------
    "zh_headers_numbered_labels": (
        f"维基百科文章：\n{TOWER_ZH}\n\n问答对：\n问题1：这座建筑以谁的名字命名？\n答案：古斯塔夫·埃菲尔\n"
        "问题2：这座建筑位于哪个城市？\n答案：巴黎\n",
        {"context": TOWER_ZH, "qas": qa(("这座建筑以谁的名字命名？", "古斯塔夫·埃菲尔"), ("这座建筑位于哪个城市？", "巴黎"))},
    ),
    "zh_bold_headers_wen_da": (
        f"**文章**\n{WALL_ZH}\n\n**问答**\n问：这项工程的东端起点在哪里？\n答：山海关\n问：它的全长约为多少千米？\n答：约21196千米\n",
        {"context": WALL_ZH, "qas": qa(("这项工程的东端起点在哪里？", "山海关"), ("它的全长约为多少千米？", "约21196千米"))},
    ),
    "zh_numeral_labels_huida": (
        f"文章：{PALACE_ZH}\n\n问题一：这座宫殿旧称什么？\n回答：紫禁城\n问题二：它是哪两个朝代的皇家宫殿？\n回答：明清两代\n",
        {"context": PALACE_ZH, "qas": qa(("这座宫殿旧称什么？", "紫禁城"), ("它是哪两个朝代的皇家宫殿？", "明清两代"))},
    ),
    "zh_table_columns": (
        "卢浮宫是位于法国巴黎的博物馆，也是世界上参观人数最多的艺术博物馆。\n\n"
        "| 问题 | 答案 |\n| --- | --- |\n| 这座博物馆位于哪个城市？ | 巴黎 |\n| 它位于哪个国家？ | 法国 |\n",
        {"context": "卢浮宫是位于法国巴黎的博物馆，也是世界上参观人数最多的艺术博物馆。",
         "qas": qa(("这座博物馆位于哪个城市？", "巴黎"), ("它位于哪个国家？", "法国"))},
    ),
    "zh_article_keeps_its_full_width_colons": (
        "**维基百科文章**\n中国空间站：又称天宫空间站，于2022年全面建成。\n\n**问答对**\nQ1：这座空间站又称什么？\nA1：天宫空间站\n"
        "Q2：它于哪一年全面建成？\nA2：2022年\n",
        {"context": "中国空间站：又称天宫空间站，于2022年全面建成。",
         "qas": qa(("这座空间站又称什么？", "天宫空间站"), ("它于哪一年全面建成？", "2022年"))},
    ),
    # --- HTML -----------------------------------------------------------------------------------
    "html_paragraphs_bold_labels_br": (
        f"<p><b>Wikipedia Article:</b></p>\n<p>{EIFFEL}</p>\n"
        f"<p><b>Question 1:</b> {NAMED[0]}<br><b>Answer:</b> {NAMED[1]}</p>\n"
        f"<p><b>Question 2:</b> {CITY[0]}<br/><b>Answer:</b> {CITY[1]}</p>",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    "html_heading_list_and_entities": (
        "<h2>Eiffel Tower</h2><p>The tower&#39;s iron lattice was made by Eiffel &amp; Co. in Paris.</p>"
        f"<h2>Questions</h2><ol><li>{NAMED[0]}<br>Answer: {NAMED[1]}</li><li>{DONE[0]}<br>Answer: {DONE[1]}</li></ol>",
        {"context": "The tower's iron lattice was made by Eiffel & Co. in Paris.", "qas": qa(NAMED, DONE)},
    ),
    # --- emoji and arrow labels ------------------------------------------------------------------
    "emoji_question_check_answer": (
        f"📖 Wikipedia Article\n{EIFFEL}\n\n❓ {NAMED[0]}\n✅ {NAMED[1]}\n\n❓ {CITY[0]}\n✅ {CITY[1]}\n",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    "arrow_bullets_with_labels": (
        f"{EIFFEL}\n\n➤ Question: {NAMED[0]}\n➤ Answer: {NAMED[1]}\n➤ Question: {DONE[0]}\n➤ Answer: {DONE[1]}\n",
        {"context": EIFFEL, "qas": qa(NAMED, DONE)},
    ),
    "emoji_bullets_and_headers": (
        f"🏛️ **Article**\n{EIFFEL}\n\n🔹 **Q:** {CITY[0]}\n🔹 **A:** {CITY[1]}\n🔹 **Q:** {DONE[0]}\n🔹 **A:** {DONE[1]}\n",
        {"context": EIFFEL, "qas": qa(CITY, DONE)},
    ),
    # --- reasoning blocks -------------------------------------------------------------------------
    "think_block_before_the_answer": (
        "<think>\nThe user wants an article. Draft:\nQuestion: What is the draft?\nAnswer: A draft\n</think>\n\n"
        f"**Article:**\n{EIFFEL}\n\nQ1: {NAMED[0]}\nA1: {NAMED[1]}\nQ2: {CITY[0]}\nA2: {CITY[1]}",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    "think_without_opening_tag": (
        "Okay, I need an article about a tower. Q: Which tower? A: draft.\n</think>\n"
        f"{EIFFEL}\n\nQuestion: {DONE[0]}\nAnswer: {DONE[1]}\nQuestion: {CITY[0]}\nAnswer: {CITY[1]}",
        {"context": EIFFEL, "qas": qa(DONE, CITY)},
    ),
    # --- chat-template tokens -------------------------------------------------------------------
    "im_end_after_the_last_answer": (
        f"{EIFFEL}\n\nQ: {NAMED[0]}\nA: {NAMED[1]}\nQ: {CITY[0]}\nA: {CITY[1]}<|im_end|>",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    "role_prefix_and_endoftext": (
        f"<|im_start|>assistant\n**Wikipedia Article:** {EIFFEL}\n\n**Question:** {DONE[0]}\n**Answer:** {DONE[1]}\n"
        "<|endoftext|><|im_end|>\n",
        {"context": EIFFEL, "qas": qa(DONE)},
    ),
    # --- degenerate repetition --------------------------------------------------------------------
    "last_pair_loops_until_the_token_limit": (
        f"{EIFFEL}\n\nQ1: {NAMED[0]}\nA1: {NAMED[1]}\nQ2: {CITY[0]}\nA2: {CITY[1]}\n"
        + f"Q3: {DONE[0]}\nA3: {DONE[1]}\n" * 6 + f"Q3: {DONE[0]}\nA3: 18",
        {"context": EIFFEL, "qas": qa(NAMED, CITY, DONE)},
    ),
    "whole_output_repeated": (
        (f"Wikipedia Article: {EIFFEL}\n\nQuestion: {NAMED[0]}\nAnswer: {NAMED[1]}\nQuestion: {CITY[0]}\nAnswer: {CITY[1]}\n\n") * 3
        + f"Wikipedia Article: {EIFFEL[:50]}",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    # --- QA section before the article ------------------------------------------------------------
    "qa_header_first_then_article_header": (
        f"**Questions and Answers**\n1. {NAMED[0]} - {NAMED[1]}\n2. {CITY[0]} - {CITY[1]}\n\n**Wikipedia Article**\n{EIFFEL}\n\n{EIFFEL_2}",
        {"context": f"{EIFFEL}\n\n{EIFFEL_2}", "qas": qa(NAMED, CITY)},
    ),
    "labelled_pairs_first_then_article_label": (
        f"Q: {NAMED[0]}\nA: {NAMED[1]}\nQ: {DONE[0]}\nA: {DONE[1]}\n\nArticle: {EIFFEL}",
        {"context": EIFFEL, "qas": qa(NAMED, DONE)},
    ),
    # --- label parentheticals, explanations, listed answers ---------------------------------------
    "label_parentheticals": (
        f"{EIFFEL}\n\nQuestion 1 (answer requires the article): {NAMED[0]}\nAnswer 1 (from the article): {NAMED[1]}\n"
        f"Question 2 (refers to the image): {CITY[0]}\nAnswer 2: {CITY[1]}",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    "explanation_after_each_answer": (
        f"{EIFFEL}\n\nQ1: {NAMED[0]}\nA1: {NAMED[1]}\nExplanation: The article says the tower is named after the engineer\n"
        f"whose company designed it.\n\nQ2: {CITY[0]}\nA2: {CITY[1]}\n**Explanation:** It stands on the Champ de Mars in Paris.",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    "answers_listed_under_an_empty_answer": (
        f"{EIFFEL}\n\nQuestion: Which two people are linked to this structure?\nAnswer:\n- Gustave Eiffel\n- Maurice Koechlin\n"
        f"Question: {CITY[0]}\nAnswer: {CITY[1]}",
        {"context": EIFFEL, "qas": qa(("Which two people are linked to this structure?", "Gustave Eiffel, Maurice Koechlin"), CITY)},
    ),
    "answers_listed_in_bold_style": (
        f"{EIFFEL}\n\n**Q1.** In which years was it built?\n**A:**\n* 1887\n* 1889\n\n**Q2.** {NAMED[0]}\n**A:** {NAMED[1]}",
        {"context": EIFFEL, "qas": qa(("In which years was it built?", "1887, 1889"), NAMED)},
    ),
    # --- two-level numbering under group titles ----------------------------------------------------
    "two_level_numbering_inline_answers": (
        f"{EIFFEL}\n\nQuestions and Answers\n\n1. History\n1.1 {DONE[0]} {DONE[1]}\n1.2 {NAMED[0]} {NAMED[1]}\n"
        f"2. Location\n2.1 {CITY[0]} {CITY[1]}\n",
        {"context": EIFFEL, "qas": qa(DONE, NAMED, CITY)},
    ),
    "two_level_numbering_labelled": (
        f"{EIFFEL}\n\n## Q&A\n**1. About the name**\n1.1 Question: {NAMED[0]}\nAnswer: {NAMED[1]}\n"
        f"**2. About the place**\n2.1 Question: {CITY[0]}\nAnswer: {CITY[1]}\n",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
    # --- reference lists with "?" titles ---------------------------------------------------------
    "see_also_before_the_pairs": (
        f"{EIFFEL}\n\nSee also:\n- What is a lattice tower?\n1. Why Paris? (2009 documentary)\n\n"
        f"Questions and Answers\nQ: {NAMED[0]}\nA: {NAMED[1]}",
        {"context": EIFFEL, "qas": qa(NAMED)},
    ),
    "references_after_the_pairs": (
        f"{EIFFEL}\n\nQ1: {NAMED[0]}\nA1: {NAMED[1]}\nQ2: {CITY[0]}\nA2: {CITY[1]}\n\n"
        "References\n1. \"Who Built the Eiffel Tower?\" Paris Review, 2011.\n2. Is it art? Essays on engineering, 1999.",
        {"context": EIFFEL, "qas": qa(NAMED, CITY)},
    ),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_parser_family(name):
    text, expected = FAMILIES[name]
    assert parse_wiki_qa(text) == expected
