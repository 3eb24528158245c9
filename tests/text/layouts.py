"""A generator of model-output layouts: an article and QA pairs rendered through random combinations
of format, label language, numbering, markup, separators and noise. The specification of what the
WikiQA parser must read back exactly; a new layout is a new component here.

Each language row: (question label, answer label, article header, QA header, question mark).
"""

from __future__ import annotations

import html
import json

from hypothesis import strategies as st

LANGUAGES = {
    "en": ("Question", "Answer", "Article", "Questions and Answers", "?"),
    "de": ("Frage", "Antwort", "Artikel", "Fragen und Antworten", "?"),
    "fr": ("Question", "Réponse", "Article", "Questions et réponses", " ?"),
    "es": ("Pregunta", "Respuesta", "Artículo", "Preguntas y respuestas", "?"),
    "it": ("Domanda", "Risposta", "Articolo", "Domande e risposte", "?"),
    "pt": ("Pergunta", "Resposta", "Artigo", "Perguntas e respostas", "?"),
    "nl": ("Vraag", "Antwoord", "Artikel", "Vragen en antwoorden", "?"),
    "ru": ("Вопрос", "Ответ", "Статья", "Вопросы и ответы", "?"),
    "uk": ("Питання", "Відповідь", "Стаття", "Питання та відповіді", "?"),
    "pl": ("Pytanie", "Odpowiedź", "Artykuł", "Pytania i odpowiedzi", "?"),
    "cs": ("Otázka", "Odpověď", "Článek", "Otázky a odpovědi", "?"),
    "tr": ("Soru", "Cevap", "Makale", "Sorular ve Cevaplar", "?"),
    "vi": ("Câu hỏi", "Trả lời", "Bài viết", "Câu hỏi và trả lời", "?"),
    "id": ("Pertanyaan", "Jawaban", "Artikel", "Pertanyaan dan Jawaban", "?"),
    "ms": ("Soalan", "Jawapan", "Artikel", "Soalan dan Jawapan", "?"),
    "hi": ("प्रश्न", "उत्तर", "लेख", "प्रश्न और उत्तर", "?"),
    "th": ("คำถาม", "คำตอบ", "บทความ", "คำถามและคำตอบ", "?"),
    "el": ("Ερώτηση", "Απάντηση", "Άρθρο", "Ερωτήσεις και απαντήσεις", ";"),
    "ja": ("質問", "回答", "記事", "質問と回答", "？"),
    "ko": ("질문", "답변", "기사", "질문과 답변", "?"),
    "ar": ("سؤال", "جواب", "مقالة", "أسئلة وأجوبة", "؟"),
    "he": ("שאלה", "תשובה", "מאמר", "שאלות ותשובות", "?"),
    "fa": ("پرسش", "پاسخ", "مقاله", "پرسش و پاسخ", "؟"),
    "zh": ("问题", "答案", "文章", "问答对", "？"),
    "zh-hant": ("問題", "答案", "文章", "問答", "？"),
    "sv": ("Fråga", "Svar", "Artikel", "Frågor och svar", "?"),
    "fi": ("Kysymys", "Vastaus", "Artikkeli", "Kysymykset ja vastaukset", "?"),
    "ro": ("Întrebare", "Răspuns", "Articol", "Întrebări și răspunsuri", "?"),
    "hu": ("Kérdés", "Válasz", "Cikk", "Kérdések és válaszok", "?"),
    "bn": ("প্রশ্ন", "উত্তর", "নিবন্ধ", "প্রশ্ন ও উত্তর", "?"),
    "ta": ("கேள்வி", "பதில்", "கட்டுரை", "கேள்வி பதில்", "?"),
    "te": ("ప్రశ్న", "సమాధానం", "వ్యాసం", "ప్రశ్నలు మరియు సమాధానాలు", "?"),
    "ne": ("प्रश्न", "जवाफ", "लेख", "प्रश्नोत्तर", "?"),
    "ur": ("سوال", "جواب", "مضمون", "سوال و جواب", "؟"),
    "sw": ("Swali", "Jibu", "Makala", "Maswali na Majibu", "?"),
    "bg": ("Въпрос", "Отговор", "Статия", "Въпроси и отговори", "?"),
    "sr": ("Pitanje", "Odgovor", "Članak", "Pitanja i odgovori", "?"),
    "sk": ("Otázka", "Odpoveď", "Článok", "Otázky a odpovede", "?"),
    "lt": ("Klausimas", "Atsakymas", "Straipsnis", "Klausimai ir atsakymai", "?"),
    "ka": ("კითხვა", "პასუხი", "სტატია", "კითხვები და პასუხები", "?"),
    "hy": ("Հարց", "Պատասխան", "Հոդված", "Հարցեր և պատասխաններ", "?"),
    "am": ("ጥያቄ", "መልስ", "ጽሑፍ", "ጥያቄዎች እና መልሶች", "?"),
    "kk": ("Сұрақ", "Жауап", "Мақала", "Сұрақтар мен жауаптар", "?"),
}

WORDS = ["bridge", "river", "tower", "museum", "city", "king", "stone", "garden", "harbour", "temple", "library",
         "engineer", "festival", "mountain", "village", "railway", "painting", "castle", "market", "island"]
NAMES = ["Lucerne", "Córdoba", "Kyoto", "Gustave Eiffel", "Ada Lovelace", "Ramses II", "Lake Baikal", "Porto"]

word = st.sampled_from(WORDS)
name = st.sampled_from(NAMES)
year = st.integers(1100, 2024).map(str)


@st.composite
def sentences(draw) -> str:
    subject = draw(st.sampled_from(["The", "A", "This"])) + " " + draw(word)
    rest = " ".join(draw(st.lists(st.one_of(word, name, year), min_size=3, max_size=8)))
    return f"{subject} near {draw(name)} was {draw(word)} in {draw(year)}, with {rest}."


@st.composite
def articles(draw) -> str:
    """One to three paragraphs of two or three sentences, no sentence twice (an article that
    repeats its opening reads as a decoding loop)."""
    pool = draw(st.lists(sentences(), min_size=2, max_size=9, unique=True))
    sizes = draw(st.lists(st.integers(2, 3), min_size=1, max_size=3))
    paragraphs, at = [], 0
    for size in sizes:
        if at + size > len(pool):
            break
        paragraphs.append(" ".join(pool[at:at + size]))
        at += size
    return "\n\n".join(paragraphs or [" ".join(pool)])


KEYS = ["Location", "Built", "Architect", "Length", "Material", "Opened", "Known for", "Country"]
SECTIONS = ["History", "Architecture", "Legacy", "Design and construction", "Later years"]


@st.composite
def rich_articles(draw) -> tuple[str, str]:
    """(markdown, plain): an article with its own section headings, a fact list of "Key: value"
    lines (bulleted or not) and a bulleted list, as a model writes it, and the context the parser
    must give back (the same text without markdown markers)."""
    pool = draw(st.lists(sentences(), min_size=8, max_size=8, unique=True))  # no sentence twice
    first = " ".join(pool[:2])
    md, plain = [first], [first]
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["section", "facts", "list"]))
        if kind == "section":
            heading = draw(st.sampled_from(SECTIONS))
            body = " ".join(pool[2 + 2 * k: 4 + 2 * k])
            md.append(draw(st.sampled_from([f"## {heading}", f"**{heading}**", f"=== {heading} ==="])) + "\n\n" + body)
            plain.append(f"{heading}\n\n{body}")
        elif kind == "facts":
            keys = draw(st.lists(st.sampled_from(KEYS), min_size=2, max_size=4, unique=True))
            values = [draw(st.one_of(name, year)) for _ in keys]
            bullet = draw(st.sampled_from(["", "- ", "* "]))
            md.append("\n".join(f"{bullet}{k}: {v}" for k, v in zip(keys, values)))
            plain.append("\n".join(f"{k}: {v}" for k, v in zip(keys, values)))
        else:
            lead = f"Notable {draw(word)}s include:"
            items = draw(st.lists(st.builds(lambda a, b: f"the {a} of {b}", word, name), min_size=2, max_size=4,
                                  unique=True))
            md.append(lead + "\n" + "\n".join(f"- {x}" for x in items))
            plain.append(lead + "\n" + "\n".join(items))
    return "\n\n".join(md), "\n\n".join(plain)


@st.composite
def qa_pairs(draw, qmark: str, spanish_opening: bool = False) -> list[tuple[str, str]]:
    pairs = []
    for _ in range(draw(st.integers(1, 4))):
        opener = draw(st.sampled_from(['What', 'Which', 'When', 'Who', 'How many']))
        if qmark == ";":  # Greek's question mark is ";": it reads as one in Greek text
            opener = draw(st.sampled_from(["Πότε", "Ποιος", "Πόσα"]))
        stem = f"{opener} {draw(word)} {draw(word)} did {draw(name)} build{qmark}"
        if spanish_opening:
            stem = "¿" + stem
        answer = draw(st.one_of(year, name, st.lists(word, min_size=1, max_size=3).map(" ".join)))
        if not pairs or pairs[-1] != (stem, answer):  # a pair repeated back to back reads as a decoding loop
            pairs.append((stem, answer))
    return pairs


# -- renderers: (article, pairs, language) -> text ----------------------------------------------------
def _numbered(k: int, scheme: str) -> str:
    roman = ["I", "II", "III", "IV", "V"]
    return {"none": "", "dot": f"{k}. ", "paren": f"{k}) ", "letter": f"({'abcde'[k - 1]}) ", "roman": f"{roman[k - 1]}. ",
            "lower_roman": f"{roman[k - 1].lower()}. ", "hash": f"#{k} ", "keycap": f"{k}\ufe0f\u20e3 ",
            "full_width": f"{chr(0xFF10 + k)}\uff0e", "ideographic_comma": f"{k}\u3001", "circled": chr(0x2460 + k - 1),
            "arabic_indic": f"{chr(0x0660 + k)}. ", "full_width_paren": f"\uff08{k}\uff09", "bracket": f"[{k}] ",
            "colon": f"{k}: ", "ordinal_indicator": f"{k}\u00ba ", "dot_dash": f"{k}.- ", "spaced_dash": f"{k} - ",
            "roman_characters": f"{chr(0x2160 + k - 1)}. ", "chinese_dot": f"{'一二三四五'[k - 1]}. "}[scheme]


# Label numbers: "Question 1", "Question n° 1", "Question №1", "Question 1 of 3", "Question (1)", "Question 1/3",
# and a tag after the number: "Question 1 (Easy)", "Question 2 [History]".
LABEL_NUMBERS = ["", "{k}", "n° {k}", "№{k}", "No. {k}", "{k} of {n}", "({k})", "{k}/{n}", "{k} (Easy)", "{k} [History]",
                 "-{k}"]
# Other words a language labels its pairs with (Vietnamese "Câu 1", Indonesian "Tanya"/"Jawab", ...).
OTHER_WORDS = {"vi": ("Câu", "Đáp án"), "id": ("Tanya", "Jawab"), "th": ("คำถามที่", "คำตอบ"), "ja": ("問", "答え"),
               "ko": ("문제", "정답"), "hi": ("प्र", "उ"), "en": ("Ques", "Ans")}


# Ordinal words before the question label: "First question:", "Zweite Frage:".
ORDINALS = {"en": ("First", "Second", "Third", "Fourth"), "de": ("Erste", "Zweite", "Dritte", "Vierte"),
            "fr": ("Première", "Deuxième", "Troisième", "Quatrième"), "es": ("Primera", "Segunda", "Tercera", "Cuarta"),
            "pt": ("Primeira", "Segunda", "Terceira", "Quarta")}


def labels(article, pairs, lang, numbering="none", bold=False, same_line=False, label_number="", joiner=" ",
           other_words=False, separator="", ordinal=False):
    """Labelled pairs; ``separator`` (an arrow: " ->") replaces the colon after labels on their own lines;
    ``ordinal``: an ordinal word before the question label instead of a number."""
    q_label, a_label, art, qa_header, _ = LANGUAGES[lang]
    if other_words and lang in OTHER_WORDS:
        q_label, a_label = OTHER_WORDS[lang]
    header_colon = colon = " :" if lang == "fr" else ":"
    if separator and not same_line:
        colon = separator
    out = []
    for k, (q, a) in enumerate(pairs, 1):
        number = label_number.format(k=k, n=len(pairs))
        ql = f"{q_label} {number}" if number else q_label
        if ordinal and lang in ORDINALS:
            number, ql = "", f"{ORDINALS[lang][k - 1]} {q_label.lower()}"
        al = f"{a_label} {k}" if number else a_label
        if number.startswith("-"):  # "Q-1:" / "A-1:"
            ql, al = f"{q_label}{number}", f"{a_label}-{k}"
        ql, al = (f"**{ql}{colon}**", f"**{al}{colon}**") if bold else (f"{ql}{colon}", f"{al}{colon}")
        lead = _numbered(k, numbering)
        out.append(f"{lead}{ql} {q}{joiner}{al} {a}" if same_line else f"{lead}{ql} {q}\n{al} {a}")
    return f"{article}\n\n{qa_header}{header_colon}\n\n" + "\n\n".join(out)


# The one-letter labels each language abbreviates its words to (others write Q and A).
LETTERS = {"de": ("F", "A"), "fr": ("Q", "R"), "es": ("P", "R"), "it": ("D", "R"), "pt": ("P", "R"), "nl": ("V", "A"),
           "ru": ("В", "О"), "pl": ("P", "O"), "tr": ("S", "C"), "id": ("P", "J"), "ja": ("Ｑ", "Ａ"), "zh": ("Ｑ", "Ａ"),
           "ar": ("س", "ج"), "fa": ("س", "ج"), "he": ("ש", "ת"), "el": ("Ε", "Α")}


def dotted_same_line(article, pairs, lang, joiner=" ", numbered=False):
    """"Q. What ...? A. Paris": dotted letters, the pair on one line, maybe a dash or a bar between
    ("Q1. What ...? - A1. Paris")."""
    return f"{article}\n\n" + "\n".join(f"Q{k if numbered else ''}. {q}{joiner}A{k if numbered else ''}. {a}"
                                        for k, (q, a) in enumerate(pairs, 1))


def bare_letters(article, pairs, lang, numbered=False):
    """"Q What ...?" / "A Paris": one-letter labels with no colon or dot, told by their repetition."""
    return f"{article}\n\n" + "\n\n".join(f"Q{k if numbered else ''} {q}\nA{k if numbered else ''} {a}"
                                          for k, (q, a) in enumerate(pairs, 1))


def letter_labels(article, pairs, lang, numbered=False, dotted=False, dash=False):
    """Pairs under one-letter labels: "F: ..." / "A: ..." in German, "D:" / "R:" in Italian, "Ｑ：" in Japanese,
    "س1:" / "ج1:" in Arabic; or with a dot: "P. ¿...?" / "R. ..."."""
    q_letter, a_letter = LETTERS.get(lang, ("Q", "A"))
    colon = " :" if lang == "fr" else "：" if q_letter == "Ｑ" else ":"
    if dotted and q_letter != "Ｑ":
        numbered, colon = False, ".-" if dash else "."  # "P.- ¿...?" / "R.- ...", as Spanish writes them
    return f"{article}\n\n" + "\n".join(f"{q_letter}{k if numbered else ''}{colon} {q}\n{a_letter}{k if numbered else ''}{colon} {a}"
                                        for k, (q, a) in enumerate(pairs, 1))


def han_spaced(article, pairs, lang, ordinal=False, brackets=False):
    """Chinese and Japanese labels ended by a space instead of a colon ("問1　...？" / "答え　..."), or the
    question's ordinal ("第1题："), or labels in CJK brackets ("【问题】...", "「質問」...")."""
    q_word, a_word = ("问", "答") if lang.startswith("zh") else ("問", "答え")
    if brackets:
        (q_open, q_close), words = ("【】", ("问题", "答案")) if lang.startswith("zh") else ("「」", ("質問", "回答"))
        return f"{article}\n\n" + "\n".join(f"{q_open}{words[0]}{q_close}{q}\n{q_open}{words[1]}{q_close}{a}" for q, a in pairs)
    if ordinal:
        return f"{article}\n\n" + "\n".join(f"第{k}题：{q}\n答案：{a}" for k, (q, a) in enumerate(pairs, 1))
    return f"{article}\n\n" + "\n\n".join(f"{q_word}{k}\u3000{q}\n{a_word}\u3000{a}" for k, (q, a) in enumerate(pairs, 1))


def table(article, pairs, lang, header=True):
    q_label, a_label, *_ = LANGUAGES[lang]
    rows = "\n".join(f"| {q} | {a} |" for q, a in pairs)
    return f"{article}\n\n| {q_label} | {a_label} |\n|---|---|\n{rows}\n" if header else f"{article}\n\n{rows}\n"


JSON_KEYS = [("context", "qas", "question", "answer"), ("article", "questions", "q", "a"),
             ("passage", "pairs", "query", "response"), ("wiki", "qa", "Question", "Answer"),
             ("Article", "QA", "question", "answer")]


def as_json(article, pairs, lang, keys=0, fenced=False, trailing_comma=False, cut=False, squad=False, dialect="json"):
    art_key, list_key, q_key, a_key = JSON_KEYS[keys]
    if squad:  # SQuAD's records: an id, and the answer as a list of {"text", "answer_start"}
        records = [{"id": str(k), q_key: q, "answers": [{"text": a, "answer_start": article.find(a)}]}
                   for k, (q, a) in enumerate(pairs)]
    else:
        records = [{q_key: q, a_key: a} for q, a in pairs]
    payload = {art_key: article, list_key: records}
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    if dialect == "comments":  # a line comment above the article and the list
        text = text.replace(f'\n  "{art_key}"', f'\n  // the article\n  "{art_key}"').replace(
            f'\n  "{list_key}"', f'\n  // the pairs\n  "{list_key}"').replace("\n    },\n", "\n    }, // the next pair\n", 1)
    elif dialect == "python":  # a Python literal: single quotes (repr), as a model writing code prints it
        text = repr(payload)
    elif dialect == "keyed":  # the pairs keyed by their number: {"1": {...}, "2": {...}}
        text = json.dumps({art_key: article, list_key: {str(k): r for k, r in enumerate(records, 1)}}, ensure_ascii=False)
    elif dialect == "nested":  # {"data": {"article": {"title", "body"}, "questions": [...]}}, records on their lines
        records_text = ",\n".join("      " + json.dumps(r, ensure_ascii=False) for r in records)
        body = json.dumps({"title": "Topic", "body": article}, ensure_ascii=False)
        text = f'{{\n  "data": {{\n    "{art_key}": {body},\n    "{list_key}": [\n{records_text}\n    ]\n  }}\n}}'
    elif dialect == "paragraphs":  # the article as a list of its paragraphs
        text = json.dumps({art_key: article.split("\n\n"), list_key: records}, ensure_ascii=False, indent=2)
    elif dialect == "sections":  # the article in titled sections
        sections = [{"heading": f"Part {k}", "text": p} for k, p in enumerate(article.split("\n\n"), 1)]
        text = json.dumps({"title": "Topic", "sections": sections, list_key: records}, ensure_ascii=False, indent=2)
    elif dialect == "parallel":  # a list of questions beside a list of answers
        text = json.dumps({art_key: article, "questions": [q for q, _ in pairs], "answers": [a for _, a in pairs]},
                          ensure_ascii=False, indent=2)
    elif dialect == "mapping_records":  # each pair a one-entry mapping {question: answer}
        text = json.dumps({art_key: article, list_key: [{q: a} for q, a in pairs]}, ensure_ascii=False, indent=2)
    elif dialect == "flat_records":  # records that each repeat the article: [{"context", "question", "answer"}]
        text = json.dumps([{"context": article, "question": q, "answer": a} for q, a in pairs], ensure_ascii=False, indent=2)
    elif dialect == "two_blocks":  # the article in one fenced block, the pairs in the next
        return (f"```json\n{json.dumps({art_key: article}, ensure_ascii=False)}\n```\n\n"
                f"```json\n{json.dumps(records, ensure_ascii=False, indent=2)}\n```")
    elif dialect == "article_block":  # the article in a fenced block, the pairs as labelled text under it
        return (f"```json\n{json.dumps({art_key: article}, ensure_ascii=False)}\n```\n\n"
                + "\n".join(f"Q: {q}\nA: {a}" for q, a in pairs))
    elif dialect == "conversation":  # the pairs as a chat's turns: LLaVA's {"from", "value"} or {"role", "content"}
        speaker, said, asker, answerer = [("from", "value", "human", "gpt"), ("role", "content", "user", "assistant")][keys % 2]
        turns = [{speaker: who, said: x} for q, a in pairs for who, x in ((asker, q), (answerer, a))]
        text = json.dumps({art_key: article, "conversations": turns}, ensure_ascii=False, indent=2)
    elif dialect == "question_keyed":  # {"What ...?": {"answer": "..."}}: each question maps to its answer's record
        text = json.dumps({art_key: article, list_key: {q: {a_key: a} for q, a in pairs}}, ensure_ascii=False, indent=2)
    elif dialect == "wrapped_records":  # each record inside a field of its own: [{"pair": {"question", "answer"}}]
        text = json.dumps({art_key: article, list_key: [{"pair": r} for r in records]}, ensure_ascii=False, indent=2)
    elif dialect == "pair_strings":  # each pair one string ("Q: ...? A: ..."), or the halves in turn
        strings = [f"Q: {q} A: {a}" for q, a in pairs] if len(pairs) % 2 else [x for q, a in pairs for x in (f"Q: {q}", f"A: {a}")]
        text = json.dumps({art_key: article, list_key: strings}, ensure_ascii=False, indent=2)
    elif dialect == "fields":  # one record, the pairs in numbered fields: "question1", "answer1", ...
        flat = {art_key: article}
        for k, (q, a) in enumerate(pairs, 1):
            flat[f"question{k}"], flat[f"answer{k}"] = q, a
        text = json.dumps(flat, ensure_ascii=False, indent=2)
    if trailing_comma:
        text = text.replace('"\n    }', '",\n    }').replace("}\n  ]", "},\n  ]")
    if cut:  # the token limit cut the last pair off inside its answer
        text = text[: text.rindex(pairs[-1][1]) + 1]
    return f"```json\n{text}\n```" if fenced and not cut else text


def jsonl(article, pairs, lang, article_record=False):
    records = "\n".join(json.dumps({"question": q, "answer": a}, ensure_ascii=False) for q, a in pairs)
    if article_record:  # the article in a record of its own, on the first line
        return json.dumps({"article": article}, ensure_ascii=False) + "\n" + records
    return article + "\n\n" + records


def yaml_block(article, pairs, lang, short_keys=False, fenced=True, flow_pairs=False, flow_maps=False):
    qk, ak = ("q", "a") if short_keys else ("question", "answer")
    body = "\n".join(f"  - {qk}: \"{q}\"\n    {ak}: \"{a}\"" for q, a in pairs)
    if flow_pairs:  # each pair a flow sequence: - ["What ...?", "Paris"]
        body = "\n".join(f"  - [\"{q}\", \"{a}\"]" for q, a in pairs)
    elif flow_maps:  # each pair a flow mapping: - {question: "What ...?", answer: "Paris"}
        body = "\n".join(f"  - {{{qk}: \"{q}\", {ak}: \"{a}\"}}" for q, a in pairs)
    indented = "\n".join("  " + line if line else "" for line in article.split("\n"))
    text = f"article: |\n{indented}\nqas:\n{body}"
    return f"```yaml\n{text}\n```" if fenced else text


def xml(article, pairs, lang, short_tags=False, attributes=False, cdata=False, typed=False):
    if typed:  # one element name for both, a type attribute telling question from answer
        body = "".join(f'<item type="question">{q}</item>\n<item type="answer">{a}</item>\n' for q, a in pairs)
        return f"<article>{article}</article>\n{body}"
    if cdata:  # every text in a CDATA section
        body = "".join(f"<pair><question><![CDATA[{q}]]></question><answer><![CDATA[{a}]]></answer></pair>\n"
                       for q, a in pairs)
        return f"<article><![CDATA[{article}]]></article>\n<qa>\n{body}</qa>"
    if attributes:  # each pair in one element's attributes, the article in an element with a title attribute
        body = "".join(f'  <qa id="{k}" question="{html.escape(q)}" answer="{html.escape(a)}"/>\n'
                       for k, (q, a) in enumerate(pairs, 1))
        return f'<document>\n<article title="Topic">{article}</article>\n{body}</document>'
    if short_tags:  # <q>/<a> (also HTML's anchor tag) inside elements with attributes
        body = "".join(f'<qa id="{k}"><q>{q}</q><a>{a}</a></qa>\n' for k, (q, a) in enumerate(pairs, 1))
        return f"<context>{article}</context>\n{body}"
    body = "".join(f"<pair><question>{q}</question><answer>{a}</answer></pair>\n" for q, a in pairs)
    return f"<article>\n{article}\n</article>\n<qa>\n{body}</qa>"


def brackets(article, pairs, lang, closed=False, same_line=False, numbered=False):
    def tag(letter, k):
        return f"[{letter}{k}]" if numbered else f"[{letter}]"

    between = " " if same_line else "\n"  # "[Q] What ...? [A] Paris" on one line
    body = "\n".join(f"{tag('Q', k)} {q}{between}{tag('A', k)} {a}" for k, (q, a) in enumerate(pairs, 1))
    if closed:  # each section closed with its own tag
        return f"[ARTICLE]\n{article}\n[/ARTICLE]\n[QA]\n{body}\n[/QA]"
    return f"[ARTICLE]\n{article}\n\n[QA]\n{body}"


def separators(article, pairs, lang, sep=" => ", numbered=True, quoted=False):
    q_label, a_label, art, qa_header, _ = LANGUAGES[lang]
    if quoted:  # '"What ...?" — "Paris"'
        pairs = [(f'"{q}"', f'"{a}"') for q, a in pairs]
    lines = [f"{k}. {q}{sep}{a}" if numbered else f"{q}{sep}{a}" for k, (q, a) in enumerate(pairs, 1)]
    return f"{article}\n\n{qa_header}:\n" + "\n".join(lines)


def csv_rows(article, pairs, lang, delimiter=",", quote_all=False, fenced=True, id_column=False):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    if id_column:  # "id,question,answer": the question column is not the first
        writer.writerow(["id", "question", "answer"])
        writer.writerows((k, q, a) for k, (q, a) in enumerate(pairs, 1))
    else:  # a semicolon-separated header in the language's own words where they name the columns ("Frage;Antwort")
        header = ["Frage", "Antwort"] if delimiter == ";" and lang == "de" else ["question", "answer"]
        writer.writerow(header)
        writer.writerows(pairs)
    fence = "tsv" if delimiter == "\t" else "csv"
    return f"{article}\n\n```{fence}\n{buffer.getvalue()}```" if fenced else f"{article}\n\n{buffer.getvalue()}"


def toml_tables(article, pairs, lang, fenced=True, article_table=False, inline=False):
    quoted = article.replace("\n", "\\n")
    body = "\n\n".join(f'[[qa]]\nquestion = "{q}"\nanswer = "{a}"' for q, a in pairs)
    if inline and not article_table:  # the pairs in one inline array of inline tables
        body = "qa = [" + ", ".join(f'{{question = "{q}", answer = "{a}"}}' for q, a in pairs) + "]"
    head = f'[article]\ntitle = "Topic"\ntext = "{quoted}"' if article_table else f'article = "{quoted}"'
    return f"```toml\n{head}\n\n{body}\n```" if fenced else f"{head}\n\n{body}"


def blocks(article, pairs, lang, answers_header="Answers", numbering="dot"):
    """All questions, then all answers, numbered alike ("1." or "a)"), the answers under "Answers:",
    "Answer key:", "Solutions:"."""
    def number(k):
        return {"dot": f"{k}.", "bullet": "-"}.get(numbering, f"{'abcdefgh'[k - 1]})")

    questions = "\n".join(f"{number(k)} {q}" for k, (q, _) in enumerate(pairs, 1))
    answers = "\n".join(f"{number(k)} {a}" for k, (_, a) in enumerate(pairs, 1))
    return f"{article}\n\nQuestions:\n{questions}\n\n{answers_header}:\n{answers}"


ANNOTATIONS = ["Explanation", "Reason", "Evidence", "Source", "Difficulty", "Erklärung", "Explicación", "Объяснение", "解释",
               "Penjelasan", "설명"]


def decorated(article, pairs, lang, style="quote"):
    """Labels with the question and answer wrapped: quoted, in italics, in a blockquote, with a citation."""
    q_label, a_label, _, qa_header, _ = LANGUAGES[lang]
    out = []
    for q, a in pairs:
        if style == "quote":
            out.append(f'{q_label}: "{q}"\n{a_label}: "{a}"')
        elif style == "italic":
            out.append(f"{q_label}: *{q}*\n{a_label}: _{a}_")
        elif style == "blockquote":
            out.append(f"> {q_label}: {q}\n> {a_label}: {a}")
        elif style == "latex":
            out.append(f"\\textbf{{{q_label}:}} {q}\n\\textbf{{{a_label}:}} {a}")
        elif style == "pair_heading":  # "Pair 1:" above each pair
            out.append(f"Pair {len(out) + 1}:\n{q_label}: {q}\n{a_label}: {a}")
        elif style == "annotated":  # a line about the answer under it: an explanation, a source, a difficulty
            note = ANNOTATIONS[len(out) % len(ANNOTATIONS)]
            out.append(f"{q_label}: {q}\n{a_label}: {a}\n{note}: the article says so in its first paragraph.")
        elif style == "callout":  # Obsidian/GitHub callouts: "> [!question] ..." and "> [!answer]" above the answer
            out.append(f"> [!question] {q}\n\n> [!answer]\n> {a}")
        elif style == "struck":  # a first answer struck out, the right one after it
            out.append(f"{q_label}: {q}\n{a_label}: ~~not this~~ {a}")
        else:
            out.append(f"{q_label}: {q}\n{a_label}: {a} (Answer found in paragraph 1)")
    return f"{article}\n\n## {qa_header}\n\n" + "\n\n".join(out)


def wrapped(article, pairs, lang, style="continued"):
    """Labelled pairs whose answer runs on to the next line, or whose question has no question mark
    (labelled, or a numbered item with only the answer labelled), or lettered questions ("A. ...?")."""
    q_label, a_label, _, qa_header, qmark = LANGUAGES[lang]
    out = []
    for k, (q, a) in enumerate(pairs, 1):
        if style == "continued" and " " in a:
            head, tail = a.split(" ", 1)
            out.append(f"{q_label}: {q}\n{a_label}: {head}\n{tail}")
        elif style == "no_qmark":
            out.append(f"{q_label}: {q[: -len(qmark)].rstrip()}\n{a_label}: {a}")
        elif style == "numbered_no_qmark":
            out.append(f"{k}. {q[: -len(qmark)].rstrip()}\n{a_label}: {a}")
        elif style == "points":  # a note after the question ("(2 points)"), the answer labelled below
            out.append(f"{k}. {q} ({k} point{'s' if k > 1 else ''})\n{a_label}: {a}")
        elif style == "lettered":
            out.append(f"{'ABCDEFGH'[k - 1]}. {q}\n   {a_label}: {a}")
        elif style == "lower_lettered":  # "a. What ...?" and the answer under it, unlabelled
            out.append(f"{'abcdefgh'[k - 1]}. {q}\n   {a}")
        elif style == "paren_answer":  # the labelled answer in brackets on its own line: "(Answer: Paris)"
            out.append(f"{k}. {q}\n({a_label}: {a})" if k % 2 else f"{k}. {q}\n[{a_label}: {a}]")
        else:
            out.append(f"{q_label}: {q}\n{a_label}: {a}")
    return f"{article}\n\n{qa_header}:\n\n" + "\n\n".join(out)


def titled(article, pairs, lang, title_style="setext"):
    """The article under its own title (a setext or ATX heading, or a bold line; Wikipedia's tagline under
    it), or a label ("Reading passage:"), maybe a word count after it; then labelled pairs."""
    title = "The Old Bridge"
    if title_style == "word_count":
        return labels(f"{article}\n\n(Word count: {len(article.split())})", pairs, lang)
    heading = {"setext": f"{title}\n=============", "atx": f"# {title}", "bold": f"**{title}**",
               "tagline": f"# {title}\n\n*From Wikipedia, the free encyclopedia*", "reading": "Reading passage:",
               "source": "Source text:"}[title_style]
    return f"{heading}\n\n" + labels(article, pairs, lang)


def bold_inline(article, pairs, lang):
    """Each question in bold with its answer after it on the line: "**What ...?** Paris"."""
    return f"{article}\n\n" + "\n\n".join(f"**{q}** {a}" for q, a in pairs)


def speakers(article, pairs, lang, asker, answerer, numbered=False):
    """Labels of no known vocabulary (a speaker's name, another word), the same on every question and on
    every answer: "Interviewer: ...?" / "Expert: ..."."""
    def label(word, k):
        return f"{word} {k}:" if numbered else f"{word}:"

    return f"{article}\n\n" + "\n".join(f"{label(asker, k)} {q}\n{label(answerer, k)} {a}"
                                        for k, (q, a) in enumerate(pairs, 1))


def multiple_choice(article, pairs, lang, distractors, answer_style="letter_text", option_style="paren"):
    """Each question with lettered options (the answer among them), then its answer as "B) text",
    "B" or the text alone; the parser gives back the question and the answer's text."""
    q_label, a_label, _, qa_header, _ = LANGUAGES[lang]
    out = []
    for k, ((q, a), (others, slot)) in enumerate(zip(pairs, distractors), 1):
        options = [o for o in others if o != a][:3]
        options.insert(min(slot, len(options)), a)
        letter = "ABCD"[options.index(a)]
        shown = {"paren": "{L}) {o}", "dot": "{L}. {o}", "lower": "({l}) {o}", "bullet": "- {L}) {o}",
                 "inline": "{L}) {o}"}[option_style]
        lines = [shown.format(L="ABCD"[i], l="abcd"[i], o=o) for i, o in enumerate(options)]
        if option_style == "inline":  # "Options: A) ... B) ... C) ..." on one line
            lines = ["Options: " + " ".join(lines)]
        answer = {"letter_text": f"{letter}) {a}", "letter": letter, "text": a, "correct": letter}[answer_style]
        label = "Correct" if answer_style == "correct" else a_label  # "Correct: C"
        out.append(f"{k}. {q}\n" + "\n".join(lines) + f"\n{label}: {answer}")
    return f"{article}\n\n{qa_header}:\n\n" + "\n\n".join(out)


def bare(article, pairs, lang, bold=False):
    """No labels and no numbers: each question on its line, its answer (maybe bold) on the next.
    Read as pairs from the structure alone, so the generator gives it two pairs or more."""
    answer = "**{}**" if bold else "{}"
    return f"{article}\n\n" + "\n\n".join(f"{q}\n{answer.format(a)}" for q, a in pairs)


def interleaved(paragraphs, pairs, lang):
    """Paragraph, its pairs, next paragraph, its pairs ...: the article is the paragraphs together."""
    q_label, a_label, *_ = LANGUAGES[lang]
    chunks = []
    per = max(1, -(-len(pairs) // len(paragraphs)))
    for i, paragraph in enumerate(paragraphs):
        chunks.append(paragraph)
        chunks += [f"{q_label}: {q}\n{a_label}: {a}" for q, a in pairs[i * per:(i + 1) * per]]
    return "\n\n".join(chunks)


def own_lines(article, pairs, lang, style="q1"):
    """Labels alone on their lines, the text on the next: "Q1." / "No. 1" / "1/"."""
    out = []
    for k, (q, a) in enumerate(pairs, 1):
        if style == "q1":
            out.append(f"Q{k}.\n{q}\nA{k}.\n{a}")
        elif style == "no":
            out.append(f"No. {k} {q}\n{a}")
        elif style == "bare_number":  # the number alone on its line, the labelled pair in sub-bullets
            out.append(f"{k}.\n   - Q: {q}\n   - A: {a}")
        else:
            out.append(f"{k}/ {q}\n{a}")
    return f"{article}\n\n" + "\n".join(out)


def html_list(article, pairs, lang, as_table=False, sections=False, details=False):
    q_label, a_label, *_ = LANGUAGES[lang]
    paragraphs = f"<p>{article.replace(chr(10) * 2, '</p><p>')}</p>"
    if details:  # collapsible pairs: the question in <summary>, the answer in the rest of <details>
        return paragraphs + "\n" + "\n".join(f"<details><summary>{q}</summary>{a}</details>" for q, a in pairs)
    if as_table:  # a header row naming the columns, then a row per pair (in <thead> and <tbody>, or not)
        rows = "".join(f"<tr><td>{q}</td><td>{a}</td></tr>\n" for q, a in pairs)
        head = f"<tr><th>{q_label}</th><th>{a_label}</th></tr>\n"
        if sections:
            return f"{paragraphs}\n<table>\n<thead>{head.strip()}</thead>\n<tbody>\n{rows}</tbody>\n</table>"
        return f"{paragraphs}\n<table>\n{head}{rows}</table>"
    items = "".join(f"<li><b>{q_label}:</b> {q} <b>{a_label}:</b> {a}</li>\n" for q, a in pairs)
    return f"{paragraphs}\n<ol>\n{items}</ol>"


def mixed_labels(article, pairs, lang, other, both=False):
    """The question labelled in one language, the answer in another; or (``both``) each label written in
    both languages: "问题1 / Question 1: ...", "答案 / Answer: ..."."""
    q_label = LANGUAGES[lang][0]
    a_label = LANGUAGES[other][1]
    colon = " :" if lang == "fr" else ":"
    if both:
        return f"{article}\n\n" + "\n\n".join(
            f"{q_label} {k} / {LANGUAGES[other][0]} {k}: {q}\n{LANGUAGES[lang][1]} / {a_label}: {a}"
            for k, (q, a) in enumerate(pairs, 1))
    return f"{article}\n\n" + "\n\n".join(f"{q_label}{colon} {q}\n{a_label}: {a}" for q, a in pairs)


ECHOED_PROMPTS = ["[INST] Write a Wikipedia article related to this image. [/INST] ",
                  "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite an article."
                  "<|im_end|>\n<|im_start|>assistant\n",
                  "<start_of_turn>user\nWrite an article and questions.<end_of_turn>\n<start_of_turn>model\n"]
REFUSALS = ["I'm sorry, but I can't identify real people in images. Here is an article about the scene instead.\n\n",
            "I cannot see the image clearly, but here is an article.\n\n"]
SOURCES = ["\n\nSources:\n- Wikipedia, \"Old Bridge\"\n- Encyclopaedia Britannica",
           "\n\nReferences:\n1. Smith, J. (1999). Bridges of Europe.\n2. Wikipedia."]
PREAMBLES = ["", "Write a Wikipedia article related to this image without directly referring to the image. Then "
             "write question answer pairs.\n\n", "Sure! Here is a Wikipedia-style article and the question-answer pairs.\n\n",
             "<|im_start|>assistant\n", "Certainly. Below is the article.\n\n",
             "Based on the image, which shows an old stone bridge, here is a Wikipedia-style article:\n\n",
             "Task: Write a Wikipedia article related to this image.\nCriteria:\n1: The question should refer to the image.\n"
             "2: The answer should be extracted from the Wikipedia article.\n\n",
             "To complete this task, I will:\n1. Write a Wikipedia-style article about the image.\n"
             "2. Write question-answer pairs that need the article.\n\n"]
# Reasoning models' drafts before the answer (never part of it), in each family's marks; a draft may
# hold a question of its own.
_DRAFT = "The image shows an old bridge. Q: What should I ask first? A: When it was built. Now the article."
REASONING = [f"<think>\n{_DRAFT}\n</think>\n\n", f"\u25c1think\u25b7{_DRAFT}\u25c1/think\u25b7", f"<reasoning>{_DRAFT}</reasoning>\n",
             f"<|begin_of_thought|>\n{_DRAFT}\n<|end_of_thought|>\n<|begin_of_solution|>\n", f"[THINK]{_DRAFT}[/THINK]\n",
             f"<seed:think>{_DRAFT}</seed:think>\n", f"{_DRAFT}\n</think>\n\n"]
EPILOGUES = ["", "\n\nI hope this helps!", "<|im_end|>", "\n\nLet me know if you need more questions."]


STRUCTURED_KINDS = ("json", "jsonl", "yaml", "xml", "csv", "toml")


@st.composite
def layouts(draw):
    """(text, article, expected pairs) for one random layout."""
    lang = draw(st.sampled_from(sorted(LANGUAGES)))
    article = draw(articles())
    pairs = draw(qa_pairs(LANGUAGES[lang][4], spanish_opening=lang == "es" and draw(st.booleans())))
    kind = draw(st.sampled_from(["labels", "table", "json", "jsonl", "yaml", "xml", "brackets", "separators", "csv",
                                 "toml", "blocks", "decorated", "titled", "wrapped", "rich_article", "multiple_choice",
                                 "interleaved", "own_lines", "html_list", "mixed_labels", "bare", "letters", "han_spaced",
                                 "bold_inline", "speakers", "dotted_same_line", "bare_letters"]))
    expected = list(pairs)
    context = article
    if kind == "rich_article":
        markdown, context = draw(rich_articles())
        text = labels(markdown, pairs, lang, draw(st.sampled_from(["none", "dot"])), draw(st.booleans()))
    elif kind == "multiple_choice":
        distractors = [(draw(st.lists(st.one_of(name, year), min_size=4, max_size=4, unique=True)), draw(st.integers(0, 3)))
                       for _ in pairs]
        text = multiple_choice(article, pairs, lang, distractors, draw(st.sampled_from(["letter_text", "letter", "text", "correct"])),
                               draw(st.sampled_from(["paren", "dot", "lower", "bullet", "inline"])))
    elif kind == "interleaved":
        paragraphs = article.split("\n\n")
        if len(paragraphs) > len(pairs):
            context = article = "\n\n".join(paragraphs[: len(pairs)])
            paragraphs = paragraphs[: len(pairs)]
        text = interleaved(paragraphs, pairs, lang)
    elif kind == "bare" and len(pairs) >= 2:
        text = bare(article, pairs, lang, draw(st.booleans()))
    elif kind == "own_lines":
        text = own_lines(article, pairs, lang, draw(st.sampled_from(["q1", "no", "slash", "bare_number"])))
    elif kind == "letters":
        text = letter_labels(article, pairs, lang, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
    elif kind == "bold_inline" and lang not in ("el",):  # (a Greek ";" in bold reads as a question's end only in Greek text)
        text = bold_inline(article, pairs, lang)
    elif kind == "speakers" and len(pairs) >= 2:
        asker, answerer = draw(st.lists(word.map(str.capitalize), min_size=2, max_size=2, unique=True))
        text = speakers(article, pairs, lang, asker, answerer, draw(st.booleans()))
    elif kind == "dotted_same_line" and LANGUAGES[lang][4] in ("?", "？", "؟"):
        text = dotted_same_line(article, pairs, lang, draw(st.sampled_from([" ", " - ", " | "])), draw(st.booleans()))
    elif kind == "bare_letters" and len(pairs) >= 2:
        text = bare_letters(article, pairs, lang, draw(st.booleans()))
    elif kind == "han_spaced" and lang in ("zh", "zh-hant", "ja"):
        text = han_spaced(article, pairs, lang, draw(st.booleans()), draw(st.booleans()))
    elif kind == "html_list":
        text = html_list(article, pairs, lang, draw(st.booleans()), draw(st.booleans()), draw(st.integers(0, 3)) == 0)
    elif kind == "mixed_labels":
        text = mixed_labels(article, pairs, lang, draw(st.sampled_from(sorted(LANGUAGES))), draw(st.booleans()))
    elif kind == "labels":
        text = labels(article, pairs, lang, draw(st.sampled_from(["none", "dot", "paren", "letter", "roman", "lower_roman",
                                                                  "hash", "keycap", "full_width", "ideographic_comma",
                                                                  "circled", "arabic_indic", "full_width_paren", "bracket",
                                                                  "colon", "ordinal_indicator", "dot_dash", "spaced_dash",
                                                                  "roman_characters", "chinese_dot"])),
                      draw(st.booleans()), draw(st.booleans()), draw(st.sampled_from(LABEL_NUMBERS)),
                      draw(st.sampled_from([" ", "; ", ", ", " | ", " - ", " / "])),  # what joins a same-line pair
                      draw(st.booleans()), draw(st.sampled_from(["", "", " ->", " =>", " \u2192", "\uff0e", " =", ":-", "::", "?:"])),
                      draw(st.integers(0, 5)) == 0)
    elif kind == "table":
        text = table(article, pairs, lang, draw(st.booleans()))
    elif kind == "json":
        dialect = draw(st.sampled_from(["json", "comments", "python", "keyed", "nested", "paragraphs", "sections",
                                        "mapping_records", "two_blocks", "pair_strings", "article_block", "conversation",
                                        "question_keyed", "wrapped_records"]
                                       + (["fields", "parallel", "flat_records"] if len(pairs) > 1 else [])))
        cut = dialect in ("json", "comments") and len(pairs) > 1 and draw(st.booleans())  # a cut literal: not read
        text = as_json(article, pairs, lang, draw(st.integers(0, len(JSON_KEYS) - 1)), draw(st.booleans()),
                       draw(st.booleans()), cut, draw(st.booleans()), dialect)
        expected = pairs[:-1] if cut else expected
    elif kind == "jsonl":
        text = jsonl(article, pairs, lang, draw(st.booleans()))
    elif kind == "yaml":
        text = yaml_block(article, pairs, lang, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
    elif kind == "xml":
        text = xml(article, pairs, lang, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(st.integers(0, 3)) == 0)
    elif kind == "brackets":
        text = brackets(article, pairs, lang, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
    elif kind == "separators":
        text = separators(article, pairs, lang, draw(st.sampled_from([" => ", " | ", " — ", "\t", " → ", " ➜ ", " ⟶ ", ": ", " ~ "])),
                          draw(st.booleans()), draw(st.booleans()))
    elif kind == "csv":
        text = csv_rows(article, pairs, lang, draw(st.sampled_from([",", "\t", ";"])), draw(st.booleans()), draw(st.booleans()),
                        draw(st.booleans()))
    elif kind == "toml":
        text = toml_tables(article, pairs, lang, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
    elif kind == "blocks":
        text = blocks(article, pairs, lang, draw(st.sampled_from(["Answers", "Answer key", "Solutions"])),
                      draw(st.sampled_from(["dot", "letter", "bullet"])))
    elif kind == "decorated":
        text = decorated(article, pairs, lang, draw(st.sampled_from(["quote", "italic", "blockquote", "citation", "latex",
                                                                     "pair_heading", "annotated", "struck", "callout"])))
    elif kind == "wrapped":
        style = draw(st.sampled_from(["continued", "no_qmark", "numbered_no_qmark", "lettered", "points", "paren_answer", "lower_lettered"]))
        text = wrapped(article, pairs, lang, style)
        if style in ("no_qmark", "numbered_no_qmark"):
            qmark = LANGUAGES[lang][4]
            expected = [(q[: -len(qmark)].rstrip(), a) for q, a in pairs]
    else:
        text = titled(article, pairs, lang, draw(st.sampled_from(["setext", "atx", "bold", "tagline", "reading", "source",
                                                                  "word_count"])))
    opening = draw(st.sampled_from(["preamble", "echoed", "refusal", "reasoning"]))
    preamble = draw(st.sampled_from({"preamble": PREAMBLES, "echoed": ECHOED_PROMPTS, "refusal": REFUSALS,
                                     "reasoning": REASONING}[opening]))
    if opening == "reasoning" and draw(st.booleans()):
        preamble, text = preamble + "<answer>\n", text + "\n</answer>"  # the answer in a tag of its own
    epilogue = draw(st.sampled_from(EPILOGUES + SOURCES)) if kind not in ("interleaved",) else ""
    noisy = preamble + text + epilogue
    if draw(st.booleans()):
        noisy = noisy.replace(": ", ":\u00a0", 1).replace("\n\n", "\n\u200b\n", 1)
    if kind not in STRUCTURED_KINDS and "\\" not in noisy and draw(st.integers(0, 9)) == 0:
        noisy = noisy.replace("\n", "\\n")  # printed as a string literal: escaped line breaks, on one line
    if lang in ("ar", "fa", "he", "ur") and draw(st.booleans()):  # a right-to-left mark opening every line
        noisy = "\n".join("\u200f" + line for line in noisy.split("\n"))
    return noisy, context, expected
