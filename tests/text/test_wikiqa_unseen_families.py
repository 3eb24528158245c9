"""Hand-written outputs for each family of layouts the parser must read without a branch of its own:
data formats, markup, labels in other languages and scripts, numbering, separators and wrapping."""

import pytest

from dataflow.text.wikiqa.parser import parse_wiki_qa

ART = ("The Kapellbrücke is a covered wooden footbridge spanning the river Reuss in Lucerne. "
       "It was built in 1333 and restored after a fire in 1993.")


def qa(*pairs):
    return [{"question": q, "answer": a} for q, a in pairs]


BRIDGE = qa(("When was the bridge built?", "1333"), ("Which river does it span?", "Reuss"))

CASES = {
    "yaml_block_scalar_quoted": (
        f"article: |\n  {ART}\nqas:\n  - question: 'When was the bridge built?'\n    answer: \"1333\"\n"
        "  - question: Which river does it span?\n    answer: Reuss\n", ART, BRIDGE),
    "json_q_a_keys_trailing_comma": (
        '{"passage": "' + ART + '", "pairs": [{"q": "When was the bridge built?", "a": "1333",}, '
        '{"q": "Which river does it span?", "a": "Reuss",},],}', ART, BRIDGE),
    "json_title_article": (
        '{"Title": "Kapellbrücke", "Article": "' + ART + '", "QA": [{"Question": "When was the bridge built?", '
        '"Answer": "1333"}, {"Question": "Which river does it span?", "Answer": "Reuss"}]}', ART, BRIDGE),
    "json_query_response_cut_off": (
        '{"wiki": "' + ART + '", "items": [{"query": "When was the bridge built?", "response": "1333"}, '
        '{"query": "Which river does it span?", "response": "Reuss"}, {"query": "Who designed', ART, BRIDGE),
    "json_lines_after_prose": (
        f"{ART}\n\n" + '{"Question": "When was the bridge built?", "Answer": "1333"}\n'
        '{"Question": "Which river does it span?", "Answer": "Reuss"}\n', ART, BRIDGE),
    "fenced_json_list_article_outside": (
        f"Here is the article.\n\n{ART}\n\n```json\n[\n {{\"question\": \"When was the bridge built?\", \"answer\": \"1333\"}},\n"
        ' {"question": "Which river does it span?", "answer": "Reuss"}\n]\n```', ART, BRIDGE),
    "tsv_rows": (f"{ART}\n\nquestion\tanswer\nWhen was the bridge built?\t1333\nWhich river does it span?\tReuss\n",
                 ART, BRIDGE),
    "toml_tables": (
        f'```toml\ncontext = "{ART}"\n\n[[qa]]\nquestion = "When was the bridge built?"\nanswer = "1333"\n\n'
        '[[qa]]\nquestion = "Which river does it span?"\nanswer = "Reuss"\n```', ART, BRIDGE),
    "xml_tags": (
        f"<article>{ART}</article>\n<qa>\n <pair><question>When was the bridge built?</question><answer>1333</answer></pair>\n"
        " <pair><question>Which river does it span?</question><answer>Reuss</answer></pair>\n</qa>", ART, BRIDGE),
    "bracket_tags_same_line": (f"[ARTICLE]\n{ART}\n[/ARTICLE]\n[Q1] When was the bridge built? [A1] 1333\n"
                               "[Q2] Which river does it span? [A2] Reuss", ART, BRIDGE),
    "bracket_words_same_line": (f"{ART}\n\n[Question] When was the bridge built? [Answer] 1333\n"
                                "[Question] Which river does it span? [Answer] Reuss", ART, BRIDGE),
    "bracket_tags": (f"[ARTICLE]\n{ART}\n\n[Q] When was the bridge built?\n[A] 1333\n[Q] Which river does it span?\n[A] Reuss",
                     ART, BRIDGE),
    "setext_title_and_blockquote_pairs": (
        f"Kapellbrücke\n============\n\n{ART}\n\nQuestions and answers\n---------------------\n\n"
        "> **Q:** When was the bridge built?\n> **A:** 1333\n\n> **Q:** Which river does it span?\n> **A:** Reuss",
        ART, BRIDGE),
    "german_labels": (f"{ART}\n\nFrage 1: Wann wurde die Brücke gebaut?\nAntwort 1: 1333\n\n"
                      "Frage 2: Welchen Fluss überspannt sie?\nAntwort 2: Reuss", ART,
                      qa(("Wann wurde die Brücke gebaut?", "1333"), ("Welchen Fluss überspannt sie?", "Reuss"))),
    "french_space_before_colon": (f"{ART}\n\nQuestion : Quand le pont a-t-il été construit ?\nRéponse : 1333",
                                  ART, qa(("Quand le pont a-t-il été construit ?", "1333"))),
    "spanish_inverted_marks": (f"{ART}\n\nPregunta: ¿Cuándo se construyó el puente?\nRespuesta: En 1333",
                               ART, qa(("¿Cuándo se construyó el puente?", "En 1333"))),
    "russian_labels": (f"{ART}\n\nВопрос: Когда был построен мост?\nОтвет: В 1333 году", ART,
                       qa(("Когда был построен мост?", "В 1333 году"))),
    "greek_question_mark": (f"{ART}\n\nΕρώτηση: Πότε χτίστηκε η γέφυρα;\nΑπάντηση: Το 1333", ART,
                            qa(("Πότε χτίστηκε η γέφυρα;", "Το 1333"))),
    "arabic_labels": (f"{ART}\n\nسؤال: متى بني الجسر؟\nجواب: 1333", ART, qa(("متى بني الجسر؟", "1333"))),
    "japanese_labels": (f"{ART}\n\n質問：橋はいつ建設されましたか？\n回答：1333年", ART,
                        qa(("橋はいつ建設されましたか？", "1333年"))),
    "korean_labels": (f"{ART}\n\n질문: 다리는 언제 지어졌나요?\n답변: 1333년", ART, qa(("다리는 언제 지어졌나요?", "1333년"))),
    "traditional_chinese": (f"{ART}\n\n問題：這座橋建於何時？\n答案：1333年", ART, qa(("這座橋建於何時？", "1333年"))),
    "mixed_languages": (f"{ART}\n\nFrage: When was the bridge built?\nAnswer: 1333\n\nQuestion: Welchen Fluss überspannt sie?\n"
                        "Antwort: Reuss", ART, qa(("When was the bridge built?", "1333"), ("Welchen Fluss überspannt sie?", "Reuss"))),
    "roman_numerals": (f"{ART}\n\nI. Question: When was the bridge built?\nAnswer: 1333\nII. Question: Which river does it span?\n"
                       "Answer: Reuss", ART, BRIDGE),
    "letters_and_hash": (f"{ART}\n\n(a) When was the bridge built? 1333\n(b) Which river does it span? Reuss", ART, BRIDGE),
    "number_sign": (f"{ART}\n\n#1 Q: When was the bridge built?\nA: 1333\n#2 Q: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "arrow_separator": (f"{ART}\n\nQuestions and answers:\n1. When was the bridge built? => 1333\n"
                        "2. Which river does it span? => Reuss", ART, BRIDGE),
    "pipe_separator": (f"{ART}\n\nQ&A:\n- When was the bridge built? | 1333\n- Which river does it span? | Reuss", ART, BRIDGE),
    "quoted_and_cited": (f"{ART}\n\nQuestion: \"When was the bridge built?\"\nAnswer: \"1333\" (Answer found in paragraph 1)\n"
                         "Question: “Which river does it span?”\nAnswer: “Reuss” [1]", ART, BRIDGE),
    "italic_wrapping": (f"{ART}\n\n**Q:** *When was the bridge built?*\n**A:** _1333_", ART,
                        qa(("When was the bridge built?", "1333"))),
    "template_leakage_and_invisible": (
        f"<|im_start|>assistant\n{ART}\u200b\n\nQuestion:\u00a0When was the bridge built?\nAnswer:\u00a01333<|im_end|>",
        ART, qa(("When was the bridge built?", "1333"))),
    "preamble_epilogue": (f"Sure! Here is a Wikipedia-style article about the image.\n\n{ART}\n\nQ: When was the bridge built?\n"
                          "A: 1333\n\nI hope this helps! Let me know if you want more questions.", ART,
                          qa(("When was the bridge built?", "1333"))),
    "answer_continued_on_next_line": (f"{ART}\n\nQuestion: What happened in 1993?\nAnswer: A fire destroyed\nmuch of the bridge",
                                      ART, qa(("What happened in 1993?", "A fire destroyed much of the bridge"))),
    "question_without_question_mark": (f"{ART}\n\nQuestion: Name the river the bridge spans\nAnswer: Reuss", ART,
                                       qa(("Name the river the bridge spans", "Reuss"))),
    "restated_instruction": ("Write a Wikipedia article related to this image without directly referring to the image. "
                             f"Then write question answer pairs.\n\n{ART}\n\nQ: When was the bridge built?\nA: 1333", ART,
                             qa(("When was the bridge built?", "1333"))),
    "inst_leakage": (f"[/INST] {ART}\n\nQ: When was the bridge built?\nA: 1333", ART,
                     qa(("When was the bridge built?", "1333"))),
    # --- the prompt echoed with the chat template, on the article's own line ---------------------
    "echoed_inst_turn": (f"[INST] Write an article about the image. [/INST] {ART}\n\nQ: When was the bridge built?\nA: 1333",
                         ART, qa(("When was the bridge built?", "1333"))),
    "echoed_chatml_user_turn": (
        "<|im_start|>user\nDescribe the picture, then ask questions.<|im_end|>\n<|im_start|>assistant\n"
        f"{ART}\n\nQuestion: When was the bridge built?\nAnswer: 1333", ART, qa(("When was the bridge built?", "1333"))),
    # --- multiple choice: options are not the answer; a letter names one ---------------------------
    "multiple_choice_letter_and_text": (
        f"{ART}\n\n1. When was the bridge built?\nA) 1333\nB) 1444\nC) 1993\nAnswer: A) 1333\n\n"
        "2. Which river does it span?\nA) Rhine\nB) Reuss\nAnswer: B", ART, BRIDGE),
    "multiple_choice_lower_options_answer_text": (
        f"{ART}\n\nQuestion: When was the bridge built?\n(a) 1993\n(b) 1333\nCorrect answer: 1333", ART,
        qa(("When was the bridge built?", "1333"))),
    "options_without_answer_label_are_the_answer_list": (
        f"{ART}\n\nQ: Which two years matter in its history?\na) 1333\nb) 1993", ART,
        qa(("Which two years matter in its history?", "1333, 1993"))),
    "q_then_a_paren_is_not_an_option": (f"{ART}\n\nQ) When was the bridge built?\nA) 1333\nQ) Which river does it span?\nA) Reuss",
                                        ART, BRIDGE),
    # --- the article's own structure is article text ----------------------------------------------
    "key_value_fact_lines": (
        f"Location: Lucerne\nBuilt: 1333\nMaterial: wood\n\n{ART}\n\nQ: When was the bridge built?\nA: 1333",
        f"Location: Lucerne\nBuilt: 1333\nMaterial: wood\n\n{ART}", qa(("When was the bridge built?", "1333"))),
    "title_then_section_headings_and_list": (
        f"# Kapellbrücke\n\n{ART}\n\n## Paintings\n\nThe roof carries paintings:\n- the city's history\n- its patron saints\n\n"
        "## Questions\n\nQ: When was the bridge built?\nA: 1333",
        f"{ART}\n\nPaintings\n\nThe roof carries paintings:\nthe city's history\nits patron saints",
        qa(("When was the bridge built?", "1333"))),
    # --- paragraphs interleaved with their pairs ----------------------------------------------------
    "interleaved_paragraphs": (
        "The Kapellbrücke spans the river Reuss in Lucerne.\n\nQ: Which river does it span?\nA: Reuss\n\n"
        "It was built in 1333.\n\nQ: When was the bridge built?\nA: 1333\n\nI hope this helps!",
        "The Kapellbrücke spans the river Reuss in Lucerne.\n\nIt was built in 1333.",
        qa(("Which river does it span?", "Reuss"), ("When was the bridge built?", "1333"))),
    # --- epilogues and openings that are not the article -------------------------------------------
    "sources_after_pairs": (f"{ART}\n\nQ: When was the bridge built?\nA: 1333\n\nSources:\n- Wikipedia\n- Lucerne Tourism",
                            ART, qa(("When was the bridge built?", "1333"))),
    "refusal_then_answer_with_title": (
        "I'm sorry, but I can't identify people in images. Here is an article about the place.\n\n"
        f"**Kapellbrücke**\n\n{ART}\n\nQ: When was the bridge built?\nA: 1333", ART,
        qa(("When was the bridge built?", "1333"))),
    # --- mixed languages, Spanish opening marks, HTML lists ------------------------------------------
    "mixed_language_labels": (f"{ART}\n\nFrage: When was the bridge built?\nRéponse : 1333\nPregunta: ¿Qué río cruza?\n"
                              "Answer: Reuss", ART, qa(("When was the bridge built?", "1333"), ("¿Qué río cruza?", "Reuss"))),
    "unnumbered_pipe_pairs": (f"{ART}\n\nWhen was the bridge built? | 1333\nWhich river does it span? | Reuss", ART, BRIDGE),
    "bare_yaml_short_keys_indented": (
        f"article: >\n  {ART}\nquestions:\n  - q: When was the bridge built?\n    a: 1333\n"
        "  - q: Which river does it span?\n    a: Reuss\n", ART, BRIDGE),
    "xml_short_tags_with_attributes": (
        f"<context>{ART}</context>\n<qa id=\"1\"><q>When was the bridge built?</q><a>1333</a></qa>\n"
        "<qa id=\"2\"><q>Which river does it span?</q><a>Reuss</a></qa>", ART, BRIDGE),
    "closing_bracket_tags": (f"[ARTICLE]\n{ART}\n[/ARTICLE]\n[Q] When was the bridge built?\n[A] 1333\n[/Q&A]", ART,
                             qa(("When was the bridge built?", "1333"))),
    "restated_task_with_criteria": (
        "Task: Write a Wikipedia article related to this image.\nCriteria:\n1: The question should refer to the image.\n"
        f"2: The answer should be a single word or phrase.\n\n{ART}\n\nQ: When was the bridge built?\nA: 1333", ART,
        qa(("When was the bridge built?", "1333"))),
    "bare_pairs_bold_answers": (f"{ART}\n\nWhen was the bridge built?\n**1333**\n\nWhich river does it span?\n**Reuss**",
                                ART, BRIDGE),
    "rhetorical_question_in_article_is_not_a_pair": (
        f"Why was the bridge built?\n{ART}", f"Why was the bridge built? {ART}", []),
    "html_ordered_list": (
        f"<p>{ART}</p><ol><li><strong>Question:</strong> When was the bridge built? <strong>Answer:</strong> 1333</li>"
        "<li><strong>Question:</strong> Which river does it span? <strong>Answer:</strong> Reuss</li></ol>", ART, BRIDGE),
    # -- more arrows, a colon after the question mark, attribute pairs, other scripts' full stops --
    "dingbat_arrow_separator": (f"{ART}\n\nQ&A\n1. When was the bridge built? \u279c 1333\n"
                                "2. Which river does it span? \u27f6 Reuss", ART, BRIDGE),
    "colon_after_question_mark": (f"{ART}\n\nWhen was the bridge built?: 1333\nWhich river does it span?: Reuss",
                                  ART, BRIDGE),
    "bulleted_pairs_answer_in_parentheses": (
        f"{ART}\n\n- When was the bridge built? (Answer: 1333)\n- Which river does it span? (Answer: Reuss)", ART, BRIDGE),
    "xml_pairs_in_attributes": (
        f'<document>\n<article title="Kapellbr&#252;cke">{ART}</article>\n'
        '  <qa id="1" question="When was the bridge built?" answer="1333"/>\n'
        "  <qa id='2' question='Which river does it span?' answer='Reuss'/>\n</document>", ART, BRIDGE),
    "hindi_article_label_danda": (
        "लेख: कपेलब्रुके लूसर्न में एक लकड़ी का पुल है।\n\n"
        "प्रश्न: यह पुल कब बनाया गया?\nउत्तर: 1333 में।\nप्रश्न: यह किस नदी पर है?\nउत्तर: रेउस नदी।",
        "कपेलब्रुके लूसर्न में एक लकड़ी का पुल है।",
        qa(("यह पुल कब बनाया गया?", "1333 में।"), ("यह किस नदी पर है?", "रेउस नदी।"))),
    "arabic_definite_article_label": (
        "المقال: جسر كابيل هو جسر خشبي مسقوف في لوسيرن.\n\nالسؤال: متى بني الجسر؟\nالجواب: 1333\n"
        "السؤال: على أي نهر يقع؟\nالجواب: نهر رويس",
        "جسر كابيل هو جسر خشبي مسقوف في لوسيرن.", qa(("متى بني الجسر؟", "1333"), ("على أي نهر يقع؟", "نهر رويس"))),

    # -- SQuAD's records, HTML tables, an unpunctuated script's article after its label --
    "squad_records": (
        '{"context": "' + ART + '", "qas": [{"id": "1", "question": "When was the bridge built?", '
        '"answers": [{"text": "1333", "answer_start": 70}]}, {"id": "2", "question": "Which river does it span?", '
        '"answers": {"text": ["Reuss", "the Reuss"], "answer_start": [60, 56]}}]}', ART, BRIDGE),
    "squad_nested_in_data_and_paragraphs": (
        '{"version": "1.1", "data": [{"title": "Kapellbrücke", "paragraphs": [{"context": "' + ART + '", "qas": ['
        '{"question": "When was the bridge built?", "answers": [{"text": "1333"}]}, '
        '{"question": "Which river does it span?", "answers": [{"text": "Reuss"}]}]}]}]}', ART, BRIDGE),
    "html_table": (
        f"<p>{ART}</p>\n<table>\n  <tr><th>Question</th><th>Answer</th></tr>\n"
        "  <tr><td>When was the bridge built?</td><td>1333</td></tr>\n"
        "  <tr><td>Which river does it span?</td><td>Reuss</td></tr>\n</table>", ART, BRIDGE),
    "thai_article_label_no_full_stop": (
        "บทความ: สะพานคาเปลล์เป็นสะพานไม้มีหลังคาข้ามแม่น้ำรอยส์ในเมืองลูเซิร์น\n\n"
        "คำถาม: สะพานสร้างขึ้นเมื่อใด?\nคำตอบ: ปี 1333\nคำถาม: สะพานข้ามแม่น้ำอะไร?\nคำตอบ: แม่น้ำรอยส์",
        "สะพานคาเปลล์เป็นสะพานไม้มีหลังคาข้ามแม่น้ำรอยส์ในเมืองลูเซิร์น",
        qa(("สะพานสร้างขึ้นเมื่อใด?", "ปี 1333"), ("สะพานข้ามแม่น้ำอะไร?", "แม่น้ำรอยส์"))),

    "same_line_answer_after_semicolon": (f"{ART}\n\n1. When was the bridge built?; Answer: 1333\n"
                                         "2. Which river does it span?, answer: Reuss", ART, BRIDGE),

    # -- what precedes the article: an introduction naming the work, a description before its label --
    "introduction_naming_the_image": (
        f"Based on the image, which shows a covered bridge, here is a Wikipedia-style article:\n\n{ART}\n\n"
        "Q: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "image_description_before_the_article_label": (
        f"Image description: A wooden bridge with a tower, seen from the river bank.\n\nArticle: {ART}\n\n"
        "Q: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "description_paragraph_before_an_article_heading": (
        f"The picture shows a covered wooden bridge at dusk.\n\n**Wikipedia Article**\n{ART}\n\n"
        "Q: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss", ART, BRIDGE),

    # -- numbering and labels: spelled-out numbers, lower-case roman, lettered questions, a symbol
    #    before a word label, "The answer is:", questions without a mark before an answer label --
    "question_number_spelled_out": (f"{ART}\n\nQuestion One: When was the bridge built?\nAnswer One: 1333\n"
                                    "Question Two: Which river does it span?\nAnswer Two: Reuss", ART, BRIDGE),
    "lower_case_roman_items": (f"{ART}\n\ni. When was the bridge built?\n   1333\nii. Which river does it span?\n   Reuss",
                               ART, BRIDGE),
    "lettered_questions_then_answer_labels": (
        f"{ART}\n\nA. When was the bridge built?\n   Answer: 1333\nB. Which river does it span?\n   Answer: Reuss",
        ART, BRIDGE),
    "symbol_then_word_label": (
        f"{ART}\n\n**\u2753 Question 1:** When was the bridge built?\n**\u2705 Answer:** 1333\n"
        "**\u2753 Question 2:** Which river does it span?\n**\u2705 Answer:** Reuss", ART, BRIDGE),
    "the_answer_is": (f"{ART}\n\n1. When was the bridge built?\nThe answer is: 1333\n2. Which river does it span?\n"
                      "The correct answer is: Reuss", ART, BRIDGE),
    "numbered_requests_without_question_marks": (
        f"{ART}\n\n1. Name the year the bridge was built\nAnswer: 1333\n\n2. Name the river it spans\nAnswer: Reuss",
        ART, qa(("Name the year the bridge was built", "1333"), ("Name the river it spans", "Reuss"))),
    "german_low_high_quotes": (f"{ART}\n\nFrage: Wann wurde die Brücke gebaut?\nAntwort: \u201e1333\u201c\n"
                               "Frage: Über welchen Fluss führt sie?\nAntwort: \u201eReuss\u201c",
                               ART, qa(("Wann wurde die Brücke gebaut?", "1333"), ("Über welchen Fluss führt sie?", "Reuss"))),

    # -- data formats a model writes loosely: a Python literal, JSON with comments, CDATA, quoted CSV --
    "python_literal_single_quotes": (
        "{'context': 'The Kapellbrücke is a covered wooden footbridge spanning the river Reuss in Lucerne. It was built "
        "in 1333 and restored after a fire in 1993.', 'qas': [{'question': 'When was the bridge built?', 'answer': '1333'}, "
        "{'question': 'Which river does it span?', 'answer': 'Reuss'}], 'verified': True}", ART, BRIDGE),
    "json_with_line_comments": (
        '```json\n{\n  // the article\n  "context": "' + ART + '",\n  // the pairs\n  "qas": [\n'
        '    {"question": "When was the bridge built?", "answer": "1333"},\n'
        '    {"question": "Which river does it span?", "answer": "Reuss"}\n  ]\n}\n```', ART, BRIDGE),
    "xml_cdata_sections": (
        f"<article><![CDATA[{ART}]]></article>\n<qa><question><![CDATA[When was the bridge built?]]></question>"
        "<answer>1333</answer></qa>\n<qa><question>Which river does it span?</question><answer><![CDATA[Reuss]]></answer></qa>",
        ART, BRIDGE),
    "csv_every_cell_quoted": (f'{ART}\n\n"question","answer"\n"When was the bridge built?","1333"\n'
                              '"Which river does it span?","Reuss"', ART, BRIDGE),

    # -- an article's own "- Key: value" list, then one-word labels again and again: labelled lines, not
    #    a YAML document (YAML would keep only the last pair of each repeated key) --
    "fact_list_then_repeated_one_word_labels": (
        f"{ART}\n\n- Location: Lucerne\n- Built: 1333\n\nQuestions and answers:\n\nQuestion: When was the bridge built?\n"
        "Answer: 1333\n\nQuestion: Which river does it span?\nAnswer: Reuss\n\nQuestion: Where is it?\nAnswer: Lucerne"
        "\n\nSources:\n- Wikipedia",
        f"{ART}\n\nLocation: Lucerne\nBuilt: 1333",
        BRIDGE + qa(("Where is it?", "Lucerne"))),
    "yaml_pairs_after_a_header_line": (
        f"{ART}\n\nQuestions and answers:\n\n- question: When was the bridge built?\n  answer: 1333\n"
        "- question: Which river does it span?\n  answer: Reuss", ART, BRIDGE),

    # -- numbered records and fields in JSON, bold labels without a colon, numbered output sections --
    "json_pairs_keyed_by_number": (
        '{"article": "' + ART + '", "qa": {"1": {"q": "When was the bridge built?", "a": "1333"}, '
        '"2": {"q": "Which river does it span?", "a": "Reuss"}}}', ART, BRIDGE),
    "json_numbered_fields_in_one_record": (
        '{"article": "' + ART + '", "question1": "When was the bridge built?", "answer1": "1333", '
        '"question_2": "Which river does it span?", "answer_2": "Reuss"}', ART, BRIDGE),
    "bold_labels_without_colons": (f"{ART}\n\n**Q** When was the bridge built?\n**A** 1333\n"
                                   "**Question** Which river does it span?\n**Answer** Reuss", ART, BRIDGE),
    "numbered_output_sections": (f"1. Article\n{ART}\n\n2. Question-Answer Pairs\nQ: When was the bridge built?\nA: 1333\n"
                                 "Q: Which river does it span?\nA: Reuss", ART, BRIDGE),

    # -- one-letter labels of other languages --
    "italian_d_r_letters": (f"{ART}\n\nD: Quando è stato costruito il ponte?\nR: Nel 1333\nD: Quale fiume attraversa?\nR: La Reuss",
                            ART, qa(("Quando è stato costruito il ponte?", "Nel 1333"), ("Quale fiume attraversa?", "La Reuss"))),
    "russian_cyrillic_letters": (f"{ART}\n\nВ: Когда был построен мост?\nО: В 1333 году\nВ: Какую реку он пересекает?\nО: Ройс",
                                 ART, qa(("Когда был построен мост?", "В 1333 году"), ("Какую реку он пересекает?", "Ройс"))),
    "french_q_r_spaced_colon": (f"{ART}\n\nQ : Quand le pont a-t-il été construit ?\nR : En 1333\n"
                                "Q : Quelle rivière traverse-t-il ?\nR : La Reuss",
                                ART, qa(("Quand le pont a-t-il été construit ?", "En 1333"), ("Quelle rivière traverse-t-il ?", "La Reuss"))),
    "full_width_letters": (f"{ART}\n\nＱ：When was the bridge built?\nＡ：1333\nＱ：Which river does it span?\nＡ：Reuss",
                           ART, BRIDGE),

    "question_to_answer_mapping_with_a_long_answer": (
        '{"summary": "' + ART + '", "qa": {"When was the bridge built?": "1333, as the oldest covered wooden bridge in '
        'Europe still standing today, long before its octagonal water tower was joined to it as part of the old city walls", "Which river does it span?": "Reuss"}}',
        ART, qa(("When was the bridge built?", "1333, as the oldest covered wooden bridge in Europe still standing today, "
                 "long before its octagonal water tower was joined to it as part of the old city walls"), ("Which river does it span?", "Reuss"))),

    # -- label numbers, ordinals and abbreviations --
    "label_number_of_count": (f"{ART}\n\nQuestion 1 of 2: When was the bridge built?\nAnswer: 1333\n"
                              "Question 2 of 2: Which river does it span?\nAnswer: Reuss", ART, BRIDGE),
    "french_numero_sign": (f"{ART}\n\nQuestion n° 1 : Quand le pont a-t-il été construit ?\nRéponse : En 1333\n"
                           "Question n° 2 : Quelle rivière traverse-t-il ?\nRéponse : La Reuss",
                           ART, qa(("Quand le pont a-t-il été construit ?", "En 1333"), ("Quelle rivière traverse-t-il ?", "La Reuss"))),
    "russian_numero_sign": (f"{ART}\n\nВопрос №1: Когда был построен мост?\nОтвет: В 1333 году\n"
                            "Вопрос №2: Какую реку он пересекает?\nОтвет: Ройс",
                            ART, qa(("Когда был построен мост?", "В 1333 году"), ("Какую реку он пересекает?", "Ройс"))),
    "chinese_ordinal_question": (f"{ART}\n\n第一题：这座桥建于哪一年？\n答案：1333年。\n第二题：它横跨哪条河？\n答案：罗伊斯河。",
                                 ART, qa(("这座桥建于哪一年？", "1333年。"), ("它横跨哪条河？", "罗伊斯河。"))),
    "japanese_ideographic_space_labels": (f"{ART}\n\n問1\u3000橋は何年に建てられましたか？\n答え\u30001333\n\n"
                                          "問2\u3000どの川に架かっていますか？\n答え\u3000ロイス川",
                                          ART, qa(("橋は何年に建てられましたか？", "1333"), ("どの川に架かっていますか？", "ロイス川"))),
    "arabic_letter_abbreviations": (f"{ART}\n\nس1: متى بني الجسر؟\nج1: عام 1333\nس2: أي نهر يعبر؟\nج2: نهر رويس",
                                    ART, qa(("متى بني الجسر؟", "عام 1333"), ("أي نهر يعبر؟", "نهر رويس"))),
    "hebrew_letter_abbreviations": (f"{ART}\n\nש: מתי נבנה הגשר?\nת: בשנת 1333\nש: מעל איזה נהר הוא עובר?\nת: נהר רויס",
                                    ART, qa(("מתי נבנה הגשר?", "בשנת 1333"), ("מעל איזה נהר הוא עובר?", "נהר רויס"))),
    "vietnamese_cau_items": (f"{ART}\n\nCâu 1: Cây cầu được xây dựng năm nào?\nĐáp án: Năm 1333\n"
                             "Câu 2: Cây cầu bắc qua sông nào?\nĐáp án: Sông Reuss",
                             ART, qa(("Cây cầu được xây dựng năm nào?", "Năm 1333"), ("Cây cầu bắc qua sông nào?", "Sông Reuss"))),
    "indonesian_tanya_jawab": (f"{ART}\n\nTanya: Kapan jembatan itu dibangun?\nJawab: Tahun 1333\n\n"
                               "Tanya: Sungai apa yang dilintasinya?\nJawab: Sungai Reuss",
                               ART, qa(("Kapan jembatan itu dibangun?", "Tahun 1333"), ("Sungai apa yang dilintasinya?", "Sungai Reuss"))),
    "thai_ordinal_label": (f"{ART}\n\nคำถามที่ 1: สะพานสร้างขึ้นเมื่อใด\nคำตอบ: ปี 1333\nคำถามที่ 2: สะพานข้ามแม่น้ำอะไร\nคำตอบ: แม่น้ำรอยส์",
                           ART, qa(("สะพานสร้างขึ้นเมื่อใด", "ปี 1333"), ("สะพานข้ามแม่น้ำอะไร", "แม่น้ำรอยส์"))),
    "keycap_numbers": (f"{ART}\n\n1\ufe0f\u20e3 When was the bridge built?\n\u27a1\ufe0f 1333\n\n"
                       "2\ufe0f\u20e3 Which river does it span?\n\u27a1\ufe0f Reuss", ART, BRIDGE),

    # -- options on one line, CSV with an id column, a record inside a larger value --
    "options_on_one_line": (f"{ART}\n\nQuestion 1: Which river does it span?\nOptions: A) Rhine B) Reuss C) Aare\n"
                            "Correct answer: B\n\nQuestion 2: When was the bridge built?\nChoices: (A) 1291 (B) 1333\n"
                            "Answer: (B)", ART, qa(("Which river does it span?", "Reuss"), ("When was the bridge built?", "1333"))),
    "csv_with_id_column": (f"{ART}\n\nid,question,answer\n1,When was the bridge built?,1333\n2,\"Which river does it span?\",Reuss\n",
                           ART, BRIDGE),
    "tsv_with_number_column": (f"{ART}\n\nNo.\tQuestion\tAnswer\n1\tWhen was the bridge built?\t1333\n"
                               "2\tWhich river does it span?\tReuss\n", ART, BRIDGE),
    "json_records_on_their_own_lines_inside_an_object": (
        '{\n  "data": {\n    "article": {"title": "Kapellbrücke", "body": "' + ART + '"},\n    "questions": [\n'
        '      {"q": "When was the bridge built?", "a": "1333"},\n      {"q": "Which river does it span?", "a": "Reuss"}\n'
        '    ]\n  }\n}', ART, BRIDGE),

    # -- pairs told by structure and markup --
    "bold_question_answer_on_its_line": (f"{ART}\n\n**When was the bridge built?** 1333\n\n**Which river does it span?** — Reuss",
                                         ART, BRIDGE),
    "dotted_letters_on_one_line": (f"{ART}\n\nQ. When was the bridge built? A. 1333\nQ. Which river does it span? A. Reuss",
                                   ART, BRIDGE),
    "latex_bold_labels": (f"{ART}\n\n\\textbf{{Question:}} When was the bridge built?\n\\textbf{{Answer:}} 1333\n\n"
                          "\\textbf{Question:} Which river does it span?\n\\textbf{Answer:} Reuss", ART, BRIDGE),
    "speaker_labels_of_no_vocabulary": (f"{ART}\n\nVisitor: When was the bridge built?\nGuide: 1333\n"
                                        "Visitor: Which river does it span?\nGuide: Reuss", ART, BRIDGE),
    "numbered_labels_of_no_vocabulary": (f"{ART}\n\nSoal 1: When was the bridge built?\nKunci 1: 1333\n"
                                         "Soal 2: Which river does it span?\nKunci 2: Reuss", ART, BRIDGE),
    "answer_key_after_lettered_questions": (f"{ART}\n\nComprehension questions:\na) When was the bridge built?\n"
                                            "b) Which river does it span?\n\nAnswer key:\na) 1333\nb) Reuss", ART, BRIDGE),
    "pair_headings_between_pairs": (f"{ART}\n\nPair 1:\nQuestion: When was the bridge built?\nAnswer: 1333\n\n"
                                    "Pair 2:\nQuestion: Which river does it span?\nAnswer: Reuss", ART, BRIDGE),
    "wikipedia_tagline_under_title": (f"# Kapellbrücke\n\n_From Wikipedia, the free encyclopedia_\n\n{ART}\n\n"
                                      "Q: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "word_count_after_article": (f"{ART}\n\n[Word count: 31]\n\nQ: When was the bridge built?\nA: 1333\n"
                                 "Q: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "qualified_article_label": (f"Background article:\n{ART}\n\nQ: When was the bridge built?\nA: 1333\n"
                                "Q: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "a_fact_line_named_length_stays": (f"{ART}\n\nLength: 204 metres\n\nQ: When was the bridge built?\nA: 1333\n"
                                       "Q: Which river does it span?\nA: Reuss", ART + "\n\nLength: 204 metres", BRIDGE),

    "bracket_tag_after_label_number": (f"{ART}\n\nQuestion 1 [Dates]: When was the bridge built?\nAnswer: 1333\n"
                                       "Question 2 [Geography]: Which river does it span?\nAnswer: Reuss", ART, BRIDGE),
    "quoted_question_and_answer_with_dash": (f'{ART}\n\n1. "When was the bridge built?" - "1333"\n'
                                             '2. \u201cWhich river does it span?\u201d \u2013 \u201cReuss\u201d', ART, BRIDGE),
    # -- structured: the article in several strings or inside the records, pairs side by side --
    "json_article_in_sections": (
        '{"title": "Kapellbrücke", "sections": [{"heading": "Overview", "text": "The Kapellbrücke is a covered wooden '
        'footbridge spanning the river Reuss in Lucerne."}, {"heading": "History", "text": "It was built in 1333 and restored '
        'after a fire in 1993."}], "questions": [{"question": "When was the bridge built?", "answer": "1333"}, '
        '{"question": "Which river does it span?", "answer": "Reuss"}]}',
        "The Kapellbrücke is a covered wooden footbridge spanning the river Reuss in Lucerne.\n\n"
        "It was built in 1333 and restored after a fire in 1993.", BRIDGE),
    "json_questions_and_answers_side_by_side": (
        '{"passage": "' + ART + '", "questions": ["When was the bridge built?", "Which river does it span?"], '
        '"answers": ["1333", "Reuss"]}', ART, BRIDGE),
    "json_pairs_as_one_entry_mappings": (
        '{"article": "' + ART + '", "qa": [{"When was the bridge built?": "1333"}, {"Which river does it span?": "Reuss"}]}',
        ART, BRIDGE),
    "records_repeating_their_context": (
        '[{"context": "' + ART + '", "question": "When was the bridge built?", "answer": "1333"}, '
        '{"context": "' + ART + '", "question": "Which river does it span?", "answer": "Reuss"}]', ART, BRIDGE),
    "json_lines_with_the_article_first": (
        '{"wiki": "' + ART + '"}\n{"q": "When was the bridge built?", "a": "1333"}\n{"q": "Which river does it span?", '
        '"a": "Reuss"}', ART, BRIDGE),
    "article_and_pairs_in_two_fenced_blocks": (
        '```json\n{"article": "' + ART + '"}\n```\n\nAnd the pairs:\n\n```json\n[{"question": "When was the bridge built?", '
        '"answer": "1333"}, {"question": "Which river does it span?", "answer": "Reuss"}]\n```', ART, BRIDGE),
    "bare_toml_with_an_article_table": (
        f'[article]\ntitle = "Kapellbrücke"\nbody = "{ART}"\n\n[[pairs]]\nquestion = "When was the bridge built?"\n'
        'answer = "1333"\n\n[[pairs]]\nquestion = "Which river does it span?"\nanswer = "Reuss"\n', ART, BRIDGE),
    "html_table_with_head_and_body": (
        f"<p>{ART}</p>\n<table>\n<thead>\n<tr><th>Question</th><th>Answer</th></tr>\n</thead>\n<tbody>\n"
        "<tr><td>When was the bridge built?</td><td>1333</td></tr>\n<tr><td>Which river does it span?</td><td>Reuss</td></tr>\n"
        "</tbody>\n</table>", ART, BRIDGE),
    "greek_question_keys_in_json": (
        '{"context": "' + ART + '", "qas": [{"Πότε χτίστηκε η γέφυρα;": "Το 1333"}, {"Ποιο ποτάμι διασχίζει;": "Τον Ρόυς"}]}',
        ART, qa(("Πότε χτίστηκε η γέφυρα;", "Το 1333"), ("Ποιο ποτάμι διασχίζει;", "Τον Ρόυς"))),
    "a_note_after_the_question_then_the_labelled_answer": (
        f"{ART}\n\n1. When was the bridge built? (1 point)\nAnswer: 1333\n2. Which river does it span? [2 marks]\n"
        "Answer: Reuss", ART, BRIDGE),
    # -- numbering in other digits and marks; the marks of right-to-left text --
    "arabic_indic_numbers_and_right_to_left_marks": (
        f"{ART}\n\n\u200f١. متى بني الجسر؟\n\u200fالجواب: عام 1333\n\u200f٢. أي نهر يعبر؟\n\u200fالجواب: نهر رويس",
        ART, qa(("متى بني الجسر؟", "عام 1333"), ("أي نهر يعبر؟", "نهر رويس"))),
    "hebrew_embedding_marks": (f"{ART}\n\n\u202bשאלה: מתי נבנה הגשר?\u202c\n\u202bתשובה: בשנת 1333\u202c\n"
                               "\u202bשאלה: מעל איזה נהר הוא עובר?\u202c\n\u202bתשובה: נהר רויס\u202c",
                               ART, qa(("מתי נבנה הגשר?", "בשנת 1333"), ("מעל איזה נהר הוא עובר?", "נהר רויס"))),
    "full_width_and_ideographic_comma_numbers": (
        f"{ART}\n\n１．这座桥建于哪一年？\n答：1333年。\n2、它横跨哪条河？\n答：罗伊斯河。\n（3）它在哪座城市？\n答：卢塞恩。",
        ART, qa(("这座桥建于哪一年？", "1333年。"), ("它横跨哪条河？", "罗伊斯河。"), ("它在哪座城市？", "卢塞恩。"))),
    "circled_and_chinese_numeral_numbers": (
        f"{ART}\n\n①橋は何年に建てられましたか？\n→1333年。\n二、どの川に架かっていますか？\n→ロイス川。",
        ART, qa(("橋は何年に建てられましたか？", "1333年。"), ("どの川に架かっていますか？", "ロイス川。"))),
    "devanagari_and_thai_digits": (
        f"{ART}\n\nप्रश्न १: पुल कब बना था?\nउत्तर: 1333 में।\n๒. สะพานข้ามแม่น้ำอะไร?\nคำตอบ: แม่น้ำรอยส์",
        ART, qa(("पुल कब बना था?", "1333 में।"), ("สะพานข้ามแม่น้ำอะไร?", "แม่น้ำรอยส์"))),
    "a_plan_announced_before_the_article": (
        f"Here is my plan:\n- Describe the bridge in an encyclopedic article.\n- Ask two questions about it.\n\n{ART}\n\n"
        "Q: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "options_then_correct_letter": (
        f"{ART}\n\n1. Which river does it span?\nA. Rhine\nB. Reuss\nC. Aare\nCorrect: B\n\n"
        "2. When was the bridge built?\nA. 1291\nB. 1333\nCorrect: B",
        ART, qa(("Which river does it span?", "Reuss"), ("When was the bridge built?", "1333"))),
    "bare_yaml_with_flow_sequence_pairs": (
        f'Here is the YAML.\n\ncontext: "{ART}"\npairs:\n  - ["When was the bridge built?", "1333"]\n'
        '  - ["Which river does it span?", "Reuss"]\n', ART, BRIDGE),
    "spanish_letters_with_dots": (f"{ART}\n\nP. ¿Cuándo se construyó el puente?\nR. En 1333.\nP. ¿Qué río cruza?\nR. El Reuss.",
                                  ART, qa(("¿Cuándo se construyó el puente?", "En 1333."), ("¿Qué río cruza?", "El Reuss."))),
    "russian_letters_with_dots": (f"{ART}\n\nВ. Когда был построен мост?\nО. В 1333 году.\nВ. Какую реку он пересекает?\nО. Ройс.",
                                  ART, qa(("Когда был построен мост?", "В 1333 году."), ("Какую реку он пересекает?", "Ройс."))),
    "thai_short_labels_one_pair": (f"{ART}\n\nถาม: สะพานสร้างขึ้นเมื่อใด\nตอบ: ปี 1333", ART, qa(("สะพานสร้างขึ้นเมื่อใด", "ปี 1333"))),
    "hyphenated_label_numbers": (f"{ART}\n\nQ-1: When was the bridge built?\nA-1: 1333\nQ-2: Which river does it span?\nA-2: Reuss",
                                 ART, BRIDGE),
    "arrow_after_labels": (f"{ART}\n\nQuestion 1 => When was the bridge built?\nAnswer => 1333\n"
                           "Question 2 => Which river does it span?\nAnswer => Reuss", ART, BRIDGE),
    "cjk_bracket_labels": (f"{ART}\n\n【问题1】这座桥建于哪一年？\n【答案1】1333年。\n「質問」どの川に架かっていますか？\n「回答」ロイス川。",
                           ART, qa(("这座桥建于哪一年？", "1333年。"), ("どの川に架かっていますか？", "ロイス川。"))),
    # -- labels with no punctuation, in two languages at once, after a full-width dot; scripts with vowel signs --
    "bare_letter_labels_without_punctuation": (
        f"{ART}\n\nQ When was the bridge built?\nA 1333\n\nQ Which river does it span?\nA Reuss", ART, BRIDGE),
    "bare_numbered_letters_and_an_answer_that_starts_with_a": (
        f"{ART}\n\nQ1 What is the bridge made of?\nA1 A covered wooden frame\nQ2 Which river does it span?\nA2 Reuss",
        ART, qa(("What is the bridge made of?", "A covered wooden frame"), ("Which river does it span?", "Reuss"))),
    "russian_questions_that_start_with_the_word_v_keep_it": (
        f"{ART}\n\nВопрос 1: В каком году построен мост?\nОтвет: В 1333 году.\nВопрос 2: В каком городе он находится?\n"
        "Ответ: В Люцерне.", ART, qa(("В каком году построен мост?", "В 1333 году."), ("В каком городе он находится?", "В Люцерне."))),
    "czech_questions_that_start_with_the_word_v_keep_it": (
        f"{ART}\n\n1. V kterém roce byl most postaven?\n1333\n2. V jakém městě stojí?\nV Lucernu.", ART,
        qa(("V kterém roce byl most postaven?", "1333"), ("V jakém městě stojí?", "V Lucernu."))),
    "labels_written_in_two_languages": (
        f"{ART}\n\nFrage 1 / Question 1: Wann wurde die Brücke gebaut?\nAntwort / Answer: 1333\n"
        "Frage 2 / Question 2: Welchen Fluss überspannt sie?\nAntwort / Answer: Reuss", ART,
        qa(("Wann wurde die Brücke gebaut?", "1333"), ("Welchen Fluss überspannt sie?", "Reuss"))),
    "full_width_dot_after_labels": (f"{ART}\n\nＱ1．橋はいつ建てられましたか？\nＡ1．1333年。\nＱ2．どの川に架かっていますか？\nＡ2．ロイス川。",
                                    ART, qa(("橋はいつ建てられましたか？", "1333年。"), ("どの川に架かっていますか？", "ロイス川。"))),
    "numbered_letters_joined_by_a_dash": (
        f"{ART}\n\nQ1. When was the bridge built? - A1. 1333\nQ2. Which river does it span? | A2. Reuss", ART, BRIDGE),
    "bengali_labels": (f"{ART}\n\nপ্রশ্ন ১: সেতুটি কবে নির্মিত হয়?\nউত্তর ১: ১৩৩৩ সালে।\nপ্রশ্ন ২: এটি কোন নদীর উপর?\nউত্তর ২: রয়েস নদী।",
                       ART, qa(("সেতুটি কবে নির্মিত হয়?", "১৩৩৩ সালে।"), ("এটি কোন নদীর উপর?", "রয়েস নদী।"))),
    "tamil_label_of_no_vocabulary_told_by_repetition": (
        f"{ART}\n\nவினா 1: பாலம் எப்போது கட்டப்பட்டது?\nவிடை 1: 1333 இல்.\nவினா 2: அது எந்த ஆற்றின் மேல் உள்ளது?\n"
        "விடை 2: ரொய்ஸ் ஆறு.", ART, qa(("பாலம் எப்போது கட்டப்பட்டது?", "1333 இல்."), ("அது எந்த ஆற்றின் மேல் உள்ளது?", "ரொய்ஸ் ஆறு."))),
    "swahili_one_pair": (f"{ART}\n\nSwali: Daraja lilijengwa lini?\nJibu: Mwaka 1333.", ART,
                         qa(("Daraja lilijengwa lini?", "Mwaka 1333."),)),
    "urdu_labels": (f"{ART}\n\nسوال 1: پل کب بنایا گیا؟\nجواب 1: 1333 میں۔\nسوال 2: یہ کس دریا پر ہے؟\nجواب 2: دریائے رائس۔",
                    ART, qa(("پل کب بنایا گیا؟", "1333 میں۔"), ("یہ کس دریا پر ہے؟", "دریائے رائس۔"))),
    "json_comments_after_values": (
        '```json\n{\n  "context": "' + ART + '", // the article\n  "qas": [\n    {"question": "When was the bridge built?", '
        '"answer": "1333"}, // first\n    {"question": "Which river does it span?", "answer": "Reuss"} // second\n  ]\n}\n```',
        ART, BRIDGE),
    "json_comment_beside_a_url_in_a_string": (
        '{"context": "' + ART + ' See https://example.org/bridge.", // source kept\n'
        '"qas": [{"question": "When was the bridge built?", "answer": "1333"}]}',
        ART + " See https://example.org/bridge.", qa(("When was the bridge built?", "1333"))),
    # -- pairs as strings inside structured output; a whole output escaped onto one line --
    "json_list_of_labelled_pair_strings": (
        '{"text": "' + ART + '", "qa": ["Q: When was the bridge built? A: 1333", "Q: Which river does it span? A: Reuss"]}',
        ART, BRIDGE),
    "yaml_list_alternating_question_and_answer_strings": (
        f"```yaml\narticle: \"{ART}\"\nqa:\n  - \"Question 1: When was the bridge built?\"\n  - \"Answer 1: 1333\"\n"
        "  - \"Question 2: Which river does it span?\"\n  - \"Answer 2: Reuss\"\n```", ART, BRIDGE),
    "json_list_of_questions_alone_gives_no_pairs": (
        '{"article": "' + ART + '", "questions": ["When was the bridge built?", "Which river does it span?"]}', ART, []),
    "output_with_escaped_line_breaks": (
        ART.replace(". It", ".\\n\\nIt") + "\\n\\nQ: When was the bridge built?\\nA: 1333\\nQ: Which river does it span?\\nA: Reuss",
        ART.replace(". It", ".\n\nIt"), BRIDGE),
    "json_on_one_line_keeps_the_escapes_in_its_strings": (
        '{"context": "' + ART.replace(". It", ".\\n\\nIt") + '", "qas": [{"question": "When was the bridge built?", '
        '"answer": "1333"}]}', ART.replace(". It", ".\n\nIt"), qa(("When was the bridge built?", "1333"))),
    "article_in_a_fenced_block_pairs_as_text": (
        '```json\n{"article": "' + ART + '"}\n```\n\nQuestions:\n\nQ: When was the bridge built?\nA: 1333\n'
        'Q: Which river does it span?\nA: Reuss', ART, BRIDGE),
    "article_alone_in_json": ('```json\n{"title": "Kapellbrücke", "article": "' + ART + '"}\n```', ART, []),
    # -- notes under answers in other words and languages; struck-out text; rows and numbers without a header --
    "notes_under_answers_in_other_words": (
        f"{ART}\n\nFrage: Wann wurde die Brücke gebaut?\nAntwort: 1333\nBegründung: steht im zweiten Satz.\n"
        "Frage: Welchen Fluss überspannt sie?\nAntwort: Reuss\nDifficulty: easy", ART,
        qa(("Wann wurde die Brücke gebaut?", "1333"), ("Welchen Fluss überspannt sie?", "Reuss"))),
    "struck_out_answer_replaced": (f"{ART}\n\nQ: When was the bridge built?\nA: ~~1993~~ 1333\nQ: Which river does it span?\nA: Reuss",
                                   ART, BRIDGE),
    "table_rows_without_a_header": (f"{ART}\n\n| When was the bridge built? | 1333 |\n| Which river does it span? | Reuss |",
                                    ART, BRIDGE),
    "bracketed_question_numbers": (f"{ART}\n\n[1] When was the bridge built?\nAnswer: 1333\n[2] Which river does it span?\n"
                                   "Answer: Reuss", ART, BRIDGE),
    "bulleted_questions_then_bulleted_answers": (
        f"{ART}\n\nQuestions:\n- When was the bridge built?\n- Which river does it span?\n\nAnswers:\n- 1333\n- Reuss",
        ART, BRIDGE),
    # -- more numbering: other separators after the number, numerals of their own characters, lower-case letters --
    "numbers_with_colon_dash_and_ordinal_indicator": (
        f"{ART}\n\n1: When was the bridge built?\nAnswer: 1333\n2º Which river does it span?\nAnswer: Reuss\n"
        "3 - Which city is it in?\nAnswer: Lucerne", ART,
        qa(("When was the bridge built?", "1333"), ("Which river does it span?", "Reuss"), ("Which city is it in?", "Lucerne"))),
    "a_score_on_the_answer_line_is_no_item_number": (
        f"{ART}\n\nQuestion: What was the score of the 1993 rowing race under the bridge?\n3 - 1\n"
        "Question: What is the ratio of its two spans?\n2: 1", ART,
        qa(("What was the score of the 1993 rowing race under the bridge?", "3 - 1"), ("What is the ratio of its two spans?", "2: 1"))),
    "spanish_dot_dash_numbers_and_letters": (
        f"{ART}\n\n1.- P.- ¿Cuándo se construyó el puente?\nR.- En 1333.\n2.- P.- ¿Qué río cruza?\nR.- El Reuss.", ART,
        qa(("¿Cuándo se construyó el puente?", "En 1333."), ("¿Qué río cruza?", "El Reuss."))),
    "roman_numeral_characters_and_lower_case_letters": (
        f"{ART}\n\nⅠ. When was the bridge built?\nAnswer: 1333\nb. Which river does it span?\n   Reuss", ART, BRIDGE),
    "chinese_numerals_with_an_ascii_dot": (f"{ART}\n\n一. 这座桥建于哪一年？\n答：1333年。\n二. 它横跨哪条河？\n答：罗伊斯河。",
                                          ART, qa(("这座桥建于哪一年？", "1333年。"), ("它横跨哪条河？", "罗伊斯河。"))),
    "ordinal_words_before_labels": (
        f"{ART}\n\nFirst question: When was the bridge built?\nAnswer: 1333\nZweite Frage: Welchen Fluss überspannt sie?\n"
        "Antwort: Reuss", ART, qa(("When was the bridge built?", "1333"), ("Welchen Fluss überspannt sie?", "Reuss"))),
    "ordinary_sentence_starting_with_an_ordinal_stays_article": (
        f"{ART}\n\nFirst mention: a chronicle of 1367.\n\nQ: When was the bridge built?\nA: 1333",
        f"{ART}\n\nFirst mention: a chronicle of 1367.", qa(("When was the bridge built?", "1333"))),
    # -- collapsible HTML pairs; TOML with the pairs in an inline array --
    "html_details_and_summary": (
        f"<p>{ART}</p>\n<details>\n<summary><b>When was the bridge built?</b></summary>\n1333\n</details>\n"
        "<details><summary>Which river does it span?</summary>Reuss</details>", ART, BRIDGE),
    "toml_inline_array_after_a_preamble": (
        f'Here it is in TOML.\n\narticle = "{ART}"\nqa = [{{question = "When was the bridge built?", answer = "1333"}}, '
        '{question = "Which river does it span?", answer = "Reuss"}]', ART, BRIDGE),
    # -- callouts; doubled separators, "=" and a question mark before the colon --
    "callouts_for_question_and_answer": (
        f"{ART}\n\n> [!question] When was the bridge built?\n> 1333\n\n> [!QUESTION]\n> Which river does it span?\n\n"
        "> [!answer]\n> Reuss", ART, BRIDGE),
    "doubled_separators_after_labels": (f"{ART}\n\nQues:- When was the bridge built?\nAns:- 1333\nQ:: Which river does it span?\n"
                                        "A:: Reuss", ART, BRIDGE),
    "formula_lines_with_a_letter_and_equals_stay_article": (
        f"{ART}\n\nIts load follows a simple formula:\n\nA = w × l\n\nQ: When was the bridge built?\nA: 1333\n"
        "Q: Which river does it span?\nA: Reuss", f"{ART}\n\nIts load follows a simple formula:\n\nA = w × l", BRIDGE),
    "equals_sign_after_labels": (f"{ART}\n\nQuestion = When was the bridge built?\nAnswer = 1333\n"
                                 "Question?: Which river does it span?\nAnswer?: Reuss", ART, BRIDGE),
    "same_line_pair_joined_by_a_slash": (f"{ART}\n\n1. Question: When was the bridge built? / Answer: 1333\n"
                                         "2. Question: Which river does it span? / Answer: Reuss", ART, BRIDGE),
    # -- structured pairs in other shapes: chat turns, question-keyed records, wrapped records, typed elements --
    "json_chat_turns": (
        '{"passage": "' + ART + '", "dialogue": [{"speaker": "visitor", "text": "When was the bridge built?"}, '
        '{"speaker": "guide", "text": "1333"}, {"speaker": "visitor", "text": "Which river does it span?"}, '
        '{"speaker": "guide", "text": "Reuss"}]}', ART, BRIDGE),
    "json_two_records_of_pairs_are_no_chat": (
        '{"context": "' + ART + '", "items": [{"prompt_text": "When was the bridge built?", "reply_text": "1333"}, '
        '{"prompt_text": "Which river does it span?", "reply_text": "Reuss"}]}', ART, BRIDGE),
    "json_questions_mapping_to_answer_records": (
        '{"article": "' + ART + '", "faq": {"When was the bridge built?": {"answer": "1333", "source": "paragraph 1"}, '
        '"Which river does it span?": {"answer": "Reuss"}}}', ART, BRIDGE),
    "yaml_records_wrapped_in_a_field": (
        f"article: \"{ART}\"\nqa:\n  - item:\n      question: When was the bridge built?\n      answer: 1333\n"
        "  - item:\n      question: Which river does it span?\n      answer: Reuss\n", ART, BRIDGE),
    "elements_typed_by_an_attribute": (
        f'<article>{ART}</article>\n<entry role="question">When was the bridge built?</entry>\n<entry role="answer">1333</entry>\n'
        '<entry role="question">Which river does it span?</entry>\n<entry role="answer">Reuss</entry>', ART, BRIDGE),
    "semicolon_rows_under_a_localised_header": (f"{ART}\n\nPregunta;Respuesta\n¿Cuándo se construyó el puente?;En 1333\n"
                                                "¿Qué río cruza?;El Reuss", ART,
                                                qa(("¿Cuándo se construyó el puente?", "En 1333"), ("¿Qué río cruza?", "El Reuss"))),
    "tilde_between_question_and_answer": (f"{ART}\n\nWhen was the bridge built? ~ 1333\nWhich river does it span? ~ Reuss",
                                          ART, BRIDGE),
    "bare_yaml_with_flow_mapping_pairs": (
        f'context: "{ART}"\npairs:\n  - {{q: "When was the bridge built?", a: "1333"}}\n'
        '  - {q: "Which river does it span?", a: "Reuss"}\n', ART, BRIDGE),
    "numbered_items_with_a_tilde_and_an_approximate_answer": (
        f"{ART}\n\n1. When was the bridge built? ~ 1333\n2. How long is it? ~200 metres", ART,
        qa(("When was the bridge built?", "1333"), ("How long is it?", "~200 metres"))),
    # -- reasoning models: drafts in their own marks (never the article), the answer in a tag of its own --
    "kimi_reasoning_marks": (
        "\u25c1think\u25b7The picture shows a covered bridge. Q: When was it built? A: 1333, I think.\u25c1/think\u25b7"
        f"{ART}\n\nQ: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss", ART, BRIDGE),
    "reasoning_element_then_answer_element_with_an_epilogue": (
        "<reasoning>\nA wooden bridge in Lucerne. I will write about the Kapellbrücke.\n</reasoning>\n<answer>\n"
        f"{ART}\n\nQ: When was the bridge built?\nA: 1333\nQ: Which river does it span?\nA: Reuss\n</answer>\n\nHope this helps!",
        ART, BRIDGE),
    "thought_and_solution_tokens": (
        "<|begin_of_thought|>\nFirst the article, then two questions.\n<|end_of_thought|>\n\n<|begin_of_solution|>\n"
        f"{ART}\n\nQuestion: When was the bridge built?\nAnswer: 1333\nQuestion: Which river does it span?\nAnswer: Reuss\n"
        "<|end_of_solution|>", ART, BRIDGE),
    "magistral_think_brackets_and_a_cut_off_answer_tag": (
        "[THINK]Lucerne's bridge. Which facts? The year and the river.[/THINK]\n<answer>\n"
        f"{ART}\n\n1. When was the bridge built?\n   1333\n2. Which river does it span?\n   Reuss", ART, BRIDGE),
    "an_answer_element_among_others_is_no_wrapper": (
        f"<article>{ART}</article>\n<answer>1333</answer>\n<question>Which river does it span?</question>\n<answer>Reuss</answer>",
        ART, qa(("Which river does it span?", "Reuss"))),
    # -- a labelled answer in brackets; a pair's number alone on its line --
    "answer_label_inside_brackets": (f"{ART}\n\n1. When was the bridge built?\n(Answer: 1333)\n"
                                     "2. Which river does it span?\n[Answer: Reuss]", ART, BRIDGE),
    "number_alone_above_sub_bulleted_pair": (f"{ART}\n\n1.\n  * Question: When was the bridge built?\n  * Answer: 1333\n"
                                             "2.\n  * Question: Which river does it span?\n  * Answer: Reuss", ART, BRIDGE),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unseen_family(name):
    text, context, qas = CASES[name]
    assert parse_wiki_qa(text) == {"context": context, "qas": qas}
