"""Does an article refer to "the image" it was written for? Vocabulary as data, rules compiled once.

SK-VQA found that articles which talk about the picture itself ("this image shows ...") make bad
contexts. Two rules:

* ``"phrase"`` (default): deictic phrases that point at a picture, such as "this image",
  "the image shows", "in the picture", "the photo", "pictured here/above", "depicted in this
  photograph". An article *about* photography or painting ("The photograph was invented ...") is
  fine.
* ``"word"`` (SK-VQA's stricter rule): any mention of image, photo, photograph, picture or painting.
"""

from __future__ import annotations

import re
import unicodedata

# Nouns that name the picture a model was shown.
PICTURE_NOUNS = ("image", "picture", "photo", "photograph", "pic", "snapshot", "screenshot", "frame", "shot")
# Words that point at one particular picture.
POINTING = ("this", "these", "that", "the above", "the following", "the given", "the provided",
            "the accompanying", "the attached", "the shown", "the present", "the current")
# "the image <verb>": the picture as a subject doing what pictures do.
PICTURE_VERBS = ("shows", "show", "showing", "depicts", "depicting", "depicted", "features", "featuring",
                 "captures", "captured", "displays", "displaying", "illustrates", "portrays", "presents",
                 "contains", "includes", "is of", "was taken", "is taken", "appears to", "seems to",
                 "highlights", "reveals")
# "pictured here", "shown above", "depicted in this photograph", "seen in the image".
PARTICIPLES = ("pictured", "shown", "depicted", "seen", "visible", "featured", "captured", "displayed",
               "portrayed", "illustrated")
PLACES = ("here", "above", "below")
# Informal "the photo" alone points at one ("the photo" in the list); compounds do not.
PHOTO_COMPOUNDS = ("finish", "finishes", "booth", "booths", "album", "albums", "shoot", "shoots", "studio",
                   "agency", "credit", "credits", "op", "ops", "library", "archive", "editor", "essay",
                   "lab", "book", "contest", "competition", "mode", "sensor", "paper", "journalism",
                   "journalist", "journalists", "gallery")
# SK-VQA's word rule.
STRICT_WORDS = ("image", "images", "photo", "photos", "photograph", "photographs", "photography",
                "photographic", "photographed", "picture", "pictures", "pictured", "painting", "paintings")


def _alt(words) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len, reverse=True))


_NOUN = rf"(?:{_alt(PICTURE_NOUNS)})s?"
_PHRASES = [
    rf"\b(?:{_alt(POINTING)})\s+{_NOUN}\b",                                   # this image, the above photo
    rf"\b(?:the|an?)\s+{_NOUN}\s+(?:{_alt(PICTURE_VERBS)})\b",                # the image shows
    rf"\b(?:in|on|from|within|inside)\s+(?:the|this|that)\s+{_NOUN}\b",       # in the picture
    rf"\b(?:{_alt(PARTICIPLES)})\s+(?:{_alt(PLACES)})\b",                     # pictured here, shown above
    rf"\b(?:{_alt(PARTICIPLES)})\s+(?:in|on)\s+(?:the|this|that)\s+{_NOUN}\b",  # depicted in this photograph
    rf"\bthe\s+photos?\b(?!\s+(?:{_alt(PHOTO_COMPOUNDS)})\b)",               # the photo
]
# Rules run on lower-cased text; a cheap test of the words every phrase needs comes first.
PHRASE_RULE = re.compile("|".join(f"(?:{p})" for p in _PHRASES))
WORD_RULE = re.compile(rf"\b(?:{_alt(STRICT_WORDS)})\b")
RULES = {"phrase": PHRASE_RULE, "word": WORD_RULE}
_NEEDED = {
    "phrase": tuple(dict.fromkeys([*PICTURE_NOUNS, *PARTICIPLES])),  # each phrase has a noun or a participle
    "word": ("image", "photo", "picture", "painting"),
}


def find_image_reference(text: str, rule: str = "phrase") -> str | None:
    """The first phrase in ``text`` that refers to the picture itself (lower-cased), or None."""
    if not isinstance(text, str) or not text:
        return None
    text = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).lower()
    if not any(word in text for word in _NEEDED[rule]):
        return None
    match = RULES[rule].search(text)
    return match.group(0) if match else None
