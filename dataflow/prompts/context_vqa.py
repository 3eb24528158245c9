"""Prompt text of the ContextVQA pipeline (the SK-VQA prompt used by upstream's example data)."""

_SKVQA_CRITERIA = (
    "The question answer pairs should satisfy the following criteria.\n"
    "1: The question should refer to the image.\n"
    "2: The question should avoid mentioning the name of the object in the image.\n"
    "3: The question should be answered by reasoning over the Wikipedia article.\n"
    "4: The question should sound natural and concise.\n"
    "5: The answer should be extracted from the Wikipedia article.\n"
    "6: The answer should not be any objects in the image.\n"
    "7: The answer should be a single word or phrase and list all correct answers separated by commas.\n"
    "8: The answer should not contain 'and', 'or', rather you can split them into multiple answers."
)
SKVQA_PROMPT = (
    "Write a Wikipedia article related to this image without directly referring to the image. "
    "Then write question answer pairs. " + _SKVQA_CRITERIA
)

# VisionDependencyFilter: the model answers each question from the article alone, without the image.
BLIND_QA_PROMPT = (
    "Answer the question using only the article below. Reply with the answer alone, a single word or "
    "phrase.\n\nArticle:\n{context}\n\nQuestion: {question}"
)

# The structured ContextVQA variant: the same task and SK-VQA's eight criteria, answered as JSON
# that CONTEXTVQA_SCHEMA constrains (guided decoding: every finished row parses).
CONTEXTVQA_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        "article": {"type": "string", "minLength": 200, "maxLength": 6000},
        "qas": {
            "type": "array",
            "minItems": 3,
            "maxItems": 10,
            "items": {
                "type": "object",
                "properties": {
                    "question": {"type": "string", "minLength": 5, "maxLength": 300},
                    "answer": {"type": "string", "minLength": 1, "maxLength": 200},
                },
                "required": ["question", "answer"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["title", "article", "qas"],
    "additionalProperties": False,
}

STRUCTURED_SKVQA_PROMPT = (
    "Write a Wikipedia article related to this image without directly referring to the image. "
    "Then write 3 to 10 question answer pairs. " + _SKVQA_CRITERIA + "\n"
    'Reply with JSON only: {"title": "...", "article": "...", "qas": [{"question": "...", "answer": "..."}]}'
)
