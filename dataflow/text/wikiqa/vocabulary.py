"""The words and marks models use around articles and QA pairs, as data.

A new language or label style is a new entry here, not a new branch in the parser
(``wikiqa.py`` compiles these tables into its patterns once, at import).
"""

# Label words before a question / an answer ("Question 1:", "Q:", "问题一：", "问："), per language.
# One row a language: (question words, answer words, article headers, QA section headers).
LANGUAGES = {
    "en": (("question", "ques.", "ques", "q"), ("answers", "answer", "correct answer", "right answer", "correct option", "ans.", "ans", "a",
                                             "the answer is", "the correct answer is", "the answer", "answer key", "solution",
                                             "solutions", "correct"),
           (), ("questions and answers", "question and answer pairs")),
    "zh": (("问题", "提问", "问", "問題", "問"), ("答案", "回答", "解答", "答", "答覆"),
           ("维基百科文章", "维基百科条目", "维基百科", "百科文章", "文章", "正文", "背景知识", "背景", "上下文", "文章内容",
            "維基百科文章", "文章內容"),
           ("问答对", "问答", "问题与答案", "问题和答案", "问答部分", "问题", "常见问题", "问题及答案", "问答环节", "问答题",
            "問答", "問答對", "問題與答案", "問題和答案")),
    "de": (("frage",), ("antwort", "antworten", "lösung", "lösungen"), ("artikel", "wikipedia-artikel"), ("fragen und antworten", "fragen & antworten")),
    "fr": (("question",), ("réponse", "reponse", "réponses", "solution"), ("article",), ("questions et réponses", "questions-réponses")),
    "es": (("pregunta",), ("respuesta", "respuestas", "solución"), ("artículo", "articulo"), ("preguntas y respuestas",)),
    "it": (("domanda",), ("risposta", "risposte", "soluzione"), ("articolo",), ("domande e risposte",)),
    "pt": (("pergunta", "questão"), ("resposta", "respostas"), ("artigo",), ("perguntas e respostas",)),
    "nl": (("vraag",), ("antwoord", "antwoorden"), ("artikel",), ("vragen en antwoorden",)),
    "ru": (("вопрос",), ("ответ", "ответы"), ("статья",), ("вопросы и ответы",)),
    "uk": (("питання", "запитання"), ("відповідь",), ("стаття",), ("питання та відповіді", "питання і відповіді")),
    "pl": (("pytanie",), ("odpowiedź", "odpowiedz", "odpowiedzi"), ("artykuł", "artykul"), ("pytania i odpowiedzi",)),
    "cs": (("otázka",), ("odpověď",), ("článek",), ("otázky a odpovědi",)),
    "tr": (("soru",), ("cevap", "yanıt", "cevaplar"), ("makale",), ("sorular ve cevaplar", "soru ve cevaplar")),
    "vi": (("câu hỏi", "câu", "hỏi"), ("trả lời", "đáp án", "câu trả lời", "đáp"), ("bài viết",), ("câu hỏi và trả lời", "hỏi đáp")),
    "id": (("pertanyaan", "tanya"), ("jawaban", "jawab"), ("artikel",), ("pertanyaan dan jawaban", "tanya jawab")),
    "ms": (("soalan",), ("jawapan",), ("artikel",), ("soalan dan jawapan",)),
    "hi": (("प्रश्न", "सवाल", "प्र"), ("उत्तर", "जवाब", "उ"), ("लेख",), ("प्रश्न और उत्तर", "प्रश्नोत्तर")),
    "th": (("คำถามที่", "คำถาม", "ถาม"), ("คำตอบที่", "คำตอบ", "ตอบ"), ("บทความ",), ("คำถามและคำตอบ",)),
    "el": (("ερώτηση",), ("απάντηση",), ("άρθρο",), ("ερωτήσεις και απαντήσεις",)),
    "ja": (("質問", "問題", "問い", "問"), ("回答", "答え", "解答", "答"), ("記事", "本文"), ("質問と回答", "質疑応答", "問答")),
    "ko": (("질문", "문제", "문"), ("답변", "정답", "답"), ("기사", "본문"), ("질문과 답변", "질의응답")),
    "ar": (("سؤال", "السؤال"), ("جواب", "إجابة", "الإجابة", "الجواب"), ("مقالة", "المقالة", "مقال", "المقال"), ("أسئلة وأجوبة", "أسئلة وإجابات")),
    "he": (("שאלה",), ("תשובה",), ("מאמר", "המאמר", "ערך", "הערך"), ("שאלות ותשובות",)),
    "fa": (("پرسش", "سوال", "سؤال"), ("پاسخ", "جواب"), ("مقاله",), ("پرسش و پاسخ", "سوالات و پاسخ ها")),
    "sv": (("fråga",), ("svar",), ("artikel",), ("frågor och svar",)),
    "da": (("spørgsmål",), ("svar",), ("artikel",), ("spørgsmål og svar",)),
    "no": (("spørsmål",), ("svar",), ("artikkel",), ("spørsmål og svar",)),
    "fi": (("kysymys",), ("vastaus",), ("artikkeli",), ("kysymykset ja vastaukset", "kysymyksiä ja vastauksia")),
    "ro": (("întrebare", "intrebare"), ("răspuns", "raspuns"), ("articol",), ("întrebări și răspunsuri",)),
    "hu": (("kérdés",), ("válasz",), ("cikk",), ("kérdések és válaszok",)),
    "tl": (("tanong",), ("sagot",), ("artikulo",), ("mga tanong at sagot",)),
    "bn": (("প্রশ্ন",), ("উত্তর",), ("নিবন্ধ", "প্রবন্ধ"), ("প্রশ্ন ও উত্তর", "প্রশ্নোত্তর")),
    "ta": (("கேள்வி",), ("பதில்", "விடை"), ("கட்டுரை",), ("கேள்விகள் மற்றும் பதில்கள்", "கேள்வி பதில்")),
    "te": (("ప్రశ్న",), ("సమాధానం", "జవాబు"), ("వ్యాసం",), ("ప్రశ్నలు మరియు సమాధానాలు",)),
    "ne": (("प्रश्न",), ("जवाफ", "उत्तर"), ("लेख",), ("प्रश्नोत्तर",)),
    "ur": (("سوال",), ("جواب",), ("مضمون",), ("سوالات و جوابات", "سوال و جواب")),
    "sw": (("swali",), ("jibu",), ("makala",), ("maswali na majibu",)),
    "bg": (("въпрос",), ("отговор", "отговори"), ("статия",), ("въпроси и отговори",)),
    "sr": (("pitanje", "питање"), ("odgovor", "odgovori", "одговор"), ("članak", "чланак"), ("pitanja i odgovori", "питања и одговори")),
    "sk": (("otázka",), ("odpoveď",), ("článok",), ("otázky a odpovede",)),
    "sl": (("vprašanje",), ("odgovor",), ("članek",), ("vprašanja in odgovori",)),
    "lt": (("klausimas",), ("atsakymas",), ("straipsnis",), ("klausimai ir atsakymai",)),
    "lv": (("jautājums",), ("atbilde",), ("raksts",), ("jautājumi un atbildes",)),
    "et": (("küsimus",), ("vastus",), ("artikkel",), ("küsimused ja vastused",)),
    "az": (("sual",), ("cavab",), ("məqalə",), ("suallar və cavablar",)),
    "kk": (("сұрақ",), ("жауап",), ("мақала",), ("сұрақтар мен жауаптар",)),
    "ka": (("კითხვა",), ("პასუხი",), ("სტატია",), ("კითხვები და პასუხები",)),
    "hy": (("հարց",), ("պատասխան",), ("հոդված",), ("հարցեր և պատասխաններ",)),
    "am": (("ጥያቄ",), ("መልስ",), ("ጽሑፍ",), ("ጥያቄዎች እና መልሶች",)),
}
# One-letter labels of other languages, read only before a colon ("F: ...", "R : ..."): German Frage,
# Italian Domanda, Spanish/Portuguese/Polish/Indonesian Pregunta/Pergunta/Pytanie/Pertanyaan, Russian
# Вопрос, Turkish Soru, Dutch Vraag, the full-width Ｑ; answers: Romance Réponse/Respuesta/Risposta/
# Resposta, Russian Ответ, Turkish Cevap, Indonesian Jawaban, Polish Odpowiedź, the full-width Ａ; and
# the abbreviations of Arabic and Persian (س/ج), Hebrew (ש/ת) and Greek (Ε/Α).
# (Q and A themselves, with any separator, are the parser's own.)
QUESTION_LETTERS = "FDPВSVＱسשΕ"
ANSWER_LETTERS = "RОCJOＡجתΑ"
QUESTION_WORDS = tuple(dict.fromkeys(w for q, _, _, _ in LANGUAGES.values() for w in q))
ANSWER_WORDS = tuple(dict.fromkeys(w for _, a, _, _ in LANGUAGES.values() for w in a))
# Question marks of the scripts models write in (Greek writes ";" and Arabic/Persian "؟").
QUESTION_MARKS = ("?", "\uff1f", "\u061f", "\u037e", "\u055e", "\u2047")
# Symbols that mark a question / an answer by themselves ("❓ What ...?", "✅ Paris").
QUESTION_SYMBOLS = ("❓", "❔", "🤔", "🙋")
ANSWER_SYMBOLS = ("✅", "✔️", "✔", "💡", "🟢")
# Marks a list item starts with (besides -, *, +).
BULLET_SYMBOLS = ("•", "·", "‣", "▪", "◦", "➤", "►", "▶", "▸", "→", "➔", "➜", "➡️", "➡", "⇒", "✦", "◆", "◇", "■", "□",
                  "●", "○", "🔹", "🔸", "📌", "👉", "⭐", "✨", "📝", "🔍", "🔑", "📖", "📚", "🧠", "❗")
# A question's ordinal in Chinese and Japanese: "第1题：", "第二問". (prefix, the words after the number)
ORDINAL_QUESTION = ("第", ("题", "題", "问", "問", "问题", "問題", "题目", "題目", "个问题", "個問題"))
# Numbers written as words after a label ("问题一", "Question One").
NUMERAL_WORDS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五")
# ... and spelled out in English, after a label word only ("Question One:"; "A ten-year ..." is an answer).
# Ordinal words before a label: "First question:", "Zweite Frage:", "Première question :".
ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "next",
                 "final", "last", "bonus", "erste", "zweite", "dritte", "vierte", "fünfte", "première", "premiere",
                 "deuxième", "troisième", "quatrième", "primera", "segunda", "tercera", "cuarta", "primeira", "terceira",
                 "prima", "seconda", "terza")
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
# "Question 1 of 3": the word between a question's number and the count, in several languages.
NUMBER_OF = ("of", "de", "von", "di", "sur", "из", "dari", "van", "av", "af", "z", "από")
# A line naming the pair that follows ("Pair 1:", "QA Pair 2", "Paar 3"): a divider between pairs, never text.
PAIR_WORDS = ("pair", "qa pair", "q&a pair", "q/a pair", "question-answer pair", "question answer pair", "question pair",
              "paar", "paire", "par", "coppia", "пара", "çift", "cặp", "pasangan", "组", "組", "ペア", "쌍")
# Wikipedia's tagline under an article's title, which models copy ("From Wikipedia, the free encyclopedia").
WIKIPEDIA_TAGLINES = ("from wikipedia, the free encyclopedia", "aus wikipedia, der freien enzyklopädie",
                      "de wikipédia, l'encyclopédie libre", "de wikipedia, la enciclopedia libre",
                      "da wikipedia, l'enciclopedia libera", "origem: wikipédia, a enciclopédia livre",
                      "материал из википедии — свободной энциклопедии", "维基百科，自由的百科全书", "維基百科，自由的百科全書",
                      "出典: フリー百科事典『ウィキペディア（wikipedia）』", "위키백과, 우리 모두의 백과사전.")
# Labels of a line listing a question's options: "Options: A) ... B) ...".
OPTION_LABELS = ("options", "choices", "answer choices", "answer options", "alternatives", "opciones", "alternativas",
                 "optionen", "auswahl", "antwortmöglichkeiten", "choix", "propositions", "opzioni", "opções", "варианты",
                 "варианты ответа", "seçenekler", "lựa chọn", "pilihan", "विकल्प", "選択肢", "选项", "選項", "선택지",
                 "επιλογές", "الخيارات", "خيارات", "opcje", "odpowiedzi do wyboru")
# Separators after a label: ASCII and full-width colon, the Chinese enumeration comma, a dot, a bracket, an arrow.
# (Chinese and Japanese labels may also end at a space: those scripts put none between words.)
LABEL_SEPARATORS = (":", "：", "、", ".-", ".", "．", ")", "]", "）", "->", "=>", "→")

# Headers that open the article (matched after markdown and a trailing colon are removed).
ARTICLE_HEADERS = tuple(dict.fromkeys(w for _, _, art, _ in LANGUAGES.values() for w in art))
ARTICLE_HEADERS_ZH = LANGUAGES["zh"][2]
# Headers that open the QA section, besides the English ones the parser derives from words.
QA_HEADERS = tuple(dict.fromkeys(w for _, _, _, qa in LANGUAGES.values() for w in qa))
QA_HEADERS_ZH = LANGUAGES["zh"][3]

# Keys of structured output (JSON, YAML, TOML, XML tags), as data: what names an article, a list of
# pairs, a question and an answer. Shape decides first; these break ties.
ARTICLE_KEYS = ("context", "article", "wikipedia_article", "wiki_article", "wiki", "passage", "text", "content", "body",
                "document", "paragraph", "story", "artikel", "article_text", "background")
TITLE_KEYS = ("title", "heading", "name", "topic", "subject")
QAS_KEYS = ("qas", "qa_pairs", "qa", "question_answer_pairs", "questions_and_answers", "question_answers", "questions",
            "pairs", "faq", "faqs", "items", "qa_list", "qapairs")
QUESTION_KEYS = ("question", "q", "query", "prompt", "ask", "frage", "pregunta", "domanda", "pergunta", "вопрос",
                 "问题", "質問", "질문", "soru", "pytanie", "vraag")
ANSWER_KEYS = ("answer", "a", "response", "reply", "solution", "antwort", "respuesta", "réponse", "risposta", "resposta",
               "ответ", "答案", "回答", "답변", "cevap", "odpowiedź", "antwoord", "answers", "ans")
# Headers of trailing lists that are not part of the article and hold no QA pairs.
REFERENCE_HEADERS = ("references", "reference", "see also", "further reading", "external links", "sources", "source",
                     "bibliography", "citations", "notes and references", "works cited", "参考文献", "参考资料", "参见",
                     "延伸阅读", "外部链接", "相关条目")
# An annotation after an answer, not part of it ("Explanation: ...").
ANNOTATION_LABELS = ("explanation", "reasoning", "reason", "rationale", "justification", "evidence", "supporting evidence",
                     "supporting text", "source sentence", "source", "reference", "why", "note", "difficulty", "confidence",
                     "hint", "解释", "理由", "依据", "说明", "解析", "解説", "根拠", "설명", "해설", "근거",
                     "erklärung", "begründung", "explication", "explicación", "spiegazione", "explicação", "uitleg",
                     "объяснение", "пояснение", "açıklama", "giải thích", "penjelasan", "wyjaśnienie", "vysvětlení",
                     "εξήγηση", "الشرح", "التفسير", "הסבר", "व्याख्या", "स्पष्टीकरण", "คำอธิบาย")

# Chat-template and end-of-text tokens a serving may leave in the text.
SPECIAL_TOKENS = (r"<\|[a-z_]{2,30}\|>(?:\s*(?:assistant|user|system)\b)?", r"</s>", r"<eos>", r"<end_of_turn>",
                  r"<start_of_turn>(?:model|user)?", r"\[/?INST\]")
# HTML tags that end a line, and those that are only inline markup.
HTML_BLOCK_TAGS = ("p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
                   "article", "blockquote", "dl", "dt", "dd", "hr", "pre", "details", "summary")
HTML_INLINE_TAGS = ("b", "strong", "i", "em", "u", "span", "code", "small", "big", "mark", "sup", "sub", "a", "font",
                    "td", "th", "tbody", "thead")
