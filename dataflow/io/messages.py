"""Conversations in, OpenAI-style chat messages out.

Servings accept upstream's ``[{"from": "human"|"gpt"|"system", "value": ...}]`` conversations and
OpenAI-style ``[{"role": ..., "content": str | [parts]}]`` ones. ``build_messages`` turns either
into messages whose content is a list of parts, ``{"type": "text", "text": ...}``,
``{"type": "image"}`` and ``{"type": "video"}``, with each media item of the row placed where its
marker stood:

* ``<image>`` / ``<video>`` markers in the text say where each item goes, in order;
* text with no marker gets all of the row's media before the text of the first user turn
  (upstream's rule), never a second marker;
* more markers than media, or media with markers for only some of them, fail that row with a
  message that says so (``ConversationError``).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from dataflow.storage.media import is_missing

_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
          "bot": "assistant", "model": "assistant"}
_MARKER = re.compile(r"<(image|video)>")
_MEDIA_PART_TYPES = {"image": "image", "image_url": "image", "video": "video", "video_url": "video"}


class ConversationError(ValueError):
    """A row's conversation cannot be turned into messages (a row-level problem)."""


def _turns(conversation: Any) -> list[tuple[str, Any]]:
    if is_missing(conversation):
        raise ConversationError("conversation is null")
    if hasattr(conversation, "tolist") and not isinstance(conversation, str):
        conversation = conversation.tolist()
    if isinstance(conversation, str):
        return [("user", conversation)]
    if isinstance(conversation, dict):
        conversation = [conversation]
    if not isinstance(conversation, (list, tuple)):
        raise ConversationError(f"conversation must be a list of turns, got {type(conversation).__name__}")
    if not conversation:
        raise ConversationError("conversation is empty")
    turns = []
    for i, turn in enumerate(conversation):
        if not isinstance(turn, dict):
            raise ConversationError(f"turn {i} of the conversation is a {type(turn).__name__}, expected an object")
        speaker = turn.get("from", turn.get("role"))
        role = _ROLES.get(str(speaker).lower()) if speaker is not None else None
        if role is None:
            raise ConversationError(
                f"turn {i} has speaker {speaker!r}; expected 'from' in {{human, gpt, system}} or 'role' in "
                "{user, assistant, system}"
            )
        content = turn.get("value", turn.get("content"))
        if is_missing(content):
            content = ""
        turns.append((role, content))
    if not any(role == "user" for role, _ in turns):
        raise ConversationError("conversation has no human/user turn")
    return turns


def _text_parts(text: str) -> list[dict]:
    """Split text at media markers into text/image/video parts."""
    parts: list[dict] = []
    pos = 0
    for match in _MARKER.finditer(text):
        before = text[pos : match.start()]
        if before:
            parts.append({"type": "text", "text": before})
        parts.append({"type": match.group(1)})
        pos = match.end()
    rest = text[pos:]
    if rest:
        parts.append({"type": "text", "text": rest})
    return parts


def _content_parts(content: Any) -> list[dict]:
    if isinstance(content, str):
        return _text_parts(content)
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, (list, tuple)):
        return _text_parts(str(content))
    parts: list[dict] = []
    for part in content:
        if isinstance(part, str):
            parts.extend(_text_parts(part))
            continue
        if not isinstance(part, dict):
            raise ConversationError(f"message content part must be an object or a string, got {type(part).__name__}")
        kind = part.get("type")
        if kind == "text" or (kind is None and "text" in part):
            parts.extend(_text_parts(str(part.get("text", ""))))
        elif kind in _MEDIA_PART_TYPES:
            parts.append({"type": _MEDIA_PART_TYPES[kind]})
        else:
            raise ConversationError(f"unsupported message content part type {kind!r}")
    return parts


def build_messages(
    conversation: Any,
    n_images: int = 0,
    n_videos: int = 0,
    system_prompt: str | None = None,
) -> list[dict]:
    """OpenAI-style messages for one row, media parts placed by the module's rules.

    Args:
        conversation: the row's conversation (either format; a bare string is one user turn).
        n_images / n_videos: how many images / videos the row has.
        system_prompt: prepended as a system turn unless the conversation has one (None: none).

    Raises:
        ConversationError: the conversation is unusable or its markers do not match the media.
    """
    turns = _turns(conversation)
    messages = [{"role": role, "content": _content_parts(content)} for role, content in turns]
    for kind, count in (("image", n_images), ("video", n_videos)):
        markers = sum(1 for m in messages for p in m["content"] if p["type"] == kind)
        if markers == 0 and count:
            first_user = next(m for m in messages if m["role"] == "user")
            first_user["content"][:0] = [{"type": kind} for _ in range(count)]
        elif markers != count:
            raise ConversationError(
                f"the conversation has {markers} <{kind}> marker(s) but the row has {count} {kind}(s); "
                f"give one <{kind}> per {kind}, or none to put them all before the text"
            )
    if system_prompt and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": [{"type": "text", "text": system_prompt}]})
    return messages


def media_order(messages: Sequence[dict]) -> list[str]:
    """The kinds of media parts (``"image"``/``"video"``) in the order they appear."""
    return [p["type"] for m in messages for p in m["content"] if p["type"] in ("image", "video")]
