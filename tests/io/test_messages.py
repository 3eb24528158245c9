import pytest

from dataflow.io.messages import ConversationError, build_messages, media_order

SYS = "You are a helpful assistant."


def user_parts(messages):
    return next(m for m in messages if m["role"] == "user")["content"]


def test_upstream_conversation_without_marker_puts_images_first():
    msgs = build_messages([{"from": "human", "value": "Describe."}], n_images=2, system_prompt=SYS)
    assert msgs[0] == {"role": "system", "content": [{"type": "text", "text": SYS}]}
    assert user_parts(msgs) == [{"type": "image"}, {"type": "image"}, {"type": "text", "text": "Describe."}]


def test_markers_place_images_and_are_never_doubled():
    msgs = build_messages([{"from": "human", "value": "A <image> then <image>."}], n_images=2)
    assert user_parts(msgs) == [
        {"type": "text", "text": "A "}, {"type": "image"}, {"type": "text", "text": " then "}, {"type": "image"},
        {"type": "text", "text": "."},
    ]
    assert media_order(msgs) == ["image", "image"]


def test_openai_style_and_multi_turn():
    conv = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What?"}]},
        {"role": "assistant", "content": "A cat."},
        {"role": "user", "content": "Sure?"},
    ]
    msgs = build_messages(conv, n_images=1, system_prompt=SYS)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[0]["content"] == [{"type": "text", "text": "Be brief."}]  # the conversation's own system turn wins


def test_gpt_turns_map_to_assistant():
    msgs = build_messages([{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}])
    assert [m["role"] for m in msgs] == ["user", "assistant"]


@pytest.mark.parametrize(
    "conv, n_images, message",
    [
        (None, 1, "conversation is null"),
        (float("nan"), 1, "conversation is null"),
        ([], 1, "conversation is empty"),
        ([{"from": "gpt", "value": "hi"}], 0, "no human/user turn"),
        ([{"from": "alien", "value": "hi"}], 0, "speaker 'alien'"),
        ([{"from": "human", "value": "<image><image>"}], 1, "2 <image> marker.* the row has 1 image"),
        ([{"from": "human", "value": "<image>"}], 0, "1 <image> marker.* the row has 0 image"),
        (["text"], 0, "turn 0 of the conversation is a str"),
    ],
)
def test_bad_conversations_fail_the_row_with_a_reason(conv, n_images, message):
    with pytest.raises(ConversationError, match=message):
        build_messages(conv, n_images=n_images)
