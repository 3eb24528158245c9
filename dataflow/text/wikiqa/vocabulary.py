"""The words and marks models use around articles and QA pairs, as data.

A new language or label style is a new entry here, not a new branch in the parser
(``wikiqa.py`` compiles these tables into its patterns once, at import).
"""

# Label words before a question / an answer ("Question 1:", "Q:", "问题一：", "问：").
QUESTION_WORDS = ("question", "ques.", "ques", "q", "问题", "提问", "问")
ANSWER_WORDS = ("answers", "answer", "ans.", "ans", "a", "答案", "回答", "解答", "答")
# Symbols that mark a question / an answer by themselves ("❓ What ...?", "✅ Paris").
QUESTION_SYMBOLS = ("❓", "❔", "🤔", "🙋")
ANSWER_SYMBOLS = ("✅", "✔️", "✔", "💡", "🟢")
# Marks a list item starts with (besides -, *, +).
BULLET_SYMBOLS = ("•", "·", "‣", "▪", "◦", "➤", "►", "▶", "▸", "→", "➔", "➜", "➡️", "➡", "⇒", "✦", "◆", "◇", "■", "□",
                  "●", "○", "🔹", "🔸", "📌", "👉", "⭐", "✨", "📝", "🔍", "🔑", "📖", "📚", "🧠", "❗")
# Numbers written as words after a label ("问题一", "Question One" is rare enough to leave out).
NUMERAL_WORDS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五")
# Separators after a label: ASCII and full-width colon, the Chinese enumeration comma, a dot, a bracket.
LABEL_SEPARATORS = (":", "：", "、", ".", ")", "]", "）")

# Headers that open the article (matched after markdown and a trailing colon are removed).
ARTICLE_HEADERS_ZH = ("维基百科文章", "维基百科条目", "维基百科", "百科文章", "文章", "正文", "背景知识", "背景", "上下文", "文章内容")
# Headers that open the QA section, besides the English ones the parser derives from words.
QA_HEADERS_ZH = ("问答对", "问答", "问题与答案", "问题和答案", "问答部分", "问题", "常见问题", "问题及答案", "问答环节", "问答题")
# Headers of trailing lists that are not part of the article and hold no QA pairs.
REFERENCE_HEADERS = ("references", "reference", "see also", "further reading", "external links", "sources", "source",
                     "bibliography", "citations", "notes and references", "works cited", "参考文献", "参考资料", "参见",
                     "延伸阅读", "外部链接", "相关条目")
# An annotation after an answer, not part of it ("Explanation: ...").
ANNOTATION_LABELS = ("explanation", "reasoning", "rationale", "justification", "evidence", "supporting evidence",
                     "supporting text", "source sentence", "reference", "why", "note", "解释", "理由", "依据", "说明", "解析")

# Chat-template and end-of-text tokens a serving may leave in the text.
SPECIAL_TOKENS = (r"<\|[a-z_]{2,30}\|>(?:\s*(?:assistant|user|system)\b)?", r"</s>", r"<eos>", r"<end_of_turn>",
                  r"<start_of_turn>(?:model|user)?", r"\[/?INST\]")
# HTML tags that end a line, and those that are only inline markup.
HTML_BLOCK_TAGS = ("p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
                   "article", "blockquote", "dl", "dt", "dd", "hr", "pre")
HTML_INLINE_TAGS = ("b", "strong", "i", "em", "u", "span", "code", "small", "big", "mark", "sup", "sub", "a", "font",
                    "td", "th", "tbody", "thead")
