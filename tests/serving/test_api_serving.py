"""APIVLMServing_openai against a real `vllm serve` and against a local server that fails on purpose."""

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dataflow.errors import ServingError
from dataflow.serving.api_vlm_serving_openai import APIVLMServing_openai
from tests.conftest import require_vllm

KEY = "sk-test-secret-123"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def human(text):
    return [{"from": "human", "value": text}]


class FlakyHandler(BaseHTTPRequestHandler):
    """Answers chat completions; the first `fail_first` requests of each prompt get `fail_status`."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        text = body["messages"][-1]["content"]
        text = text if isinstance(text, str) else next(p["text"] for p in text if p["type"] == "text")
        with server.lock:
            server.requests.append(body)
            server.auth.add(self.headers.get("Authorization"))
            seen = server.attempts.get(text, 0)
            server.attempts[text] = seen + 1
        if text.startswith("bad"):
            return self._reply(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
        if text in SPECIAL_ANSWERS:
            return SPECIAL_ANSWERS[text](self, body)
        if seen < server.fail_first:
            return self._reply(server.fail_status, {"error": {"message": "try later", "type": "server_error"}})
        self._reply(200, {
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": f"echo: {text}"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        })

    def _reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _completion(model, content, finish_reason="stop"):
    message = {"role": "assistant", "content": content}
    return {"id": "x", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": finish_reason, "message": message}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}


def _dribble(handler, body):
    """A whole answer promised, then one byte every second: each read is quick, the request never ends."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(60):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        pass  # the client gave up: that is the point


def _huge(handler, body):
    handler._reply(200, _completion(body["model"], "x" * 3_000_000))


SPECIAL_ANSWERS = {
    "dribble": _dribble,
    "null content": lambda h, b: h._reply(200, _completion(b["model"], None, "length")),
    "no choices": lambda h, b: h._reply(200, {**_completion(b["model"], "x"), "choices": []}),
    "refused": lambda h, b: h._reply(200, {**_completion(b["model"], None),
                                           "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                               "role": "assistant", "content": None, "refusal": "I can't help"}}]}),
    "huge": _huge,
}


@pytest.fixture
def flaky_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    server.lock, server.requests, server.attempts, server.auth = threading.Lock(), [], {}, set()
    server.fail_first, server.fail_status = 2, 429
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def api(port, **kwargs):
    return APIVLMServing_openai(
        api_url=f"http://127.0.0.1:{port}/v1", key_name_of_api_key="DF_TEST_KEY", model_name="m",
        max_workers=4, timeout=30, backoff_base=0.01, backoff_max=0.05, show_progress=False, **kwargs,
    )


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_failures_are_retried(flaky_server, monkeypatch, status, example_images):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    flaky_server.fail_status = status
    serving = api(flaky_server.server_address[1], max_retries=3)
    results = serving.generate_results([human(f"q{i}") for i in range(4)], [[example_images["cat.jpg"]], [], [], []])
    assert [r.text for r in results] == [f"echo: q{i}" for i in range(4)]
    assert all(r.ok for r in results)
    assert flaky_server.attempts == {f"q{i}": 3 for i in range(4)}
    assert flaky_server.auth == {f"Bearer {KEY}"}
    first = next(b for b in flaky_server.requests if b["messages"][-1]["content"][0]["type"] == "image_url")
    assert first["messages"][-1]["content"][0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert first["messages"][0] == {"role": "system", "content": "You are a helpful assistant."}


def test_failures_are_marked_and_never_abort_other_rows(flaky_server, monkeypatch, caplog):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    serving = api(flaky_server.server_address[1], max_retries=1)  # 2 attempts < 3 needed
    with caplog.at_level(logging.DEBUG, logger="dataflow"):
        results = serving.generate_results([human("bad one"), human("slow"), None])
    assert [r.text for r in results] == ["", "", ""]
    assert "400" in results[0].error and "after 1 attempt" in results[0].error  # not retried
    assert "429" in results[1].error and "after 2 attempt" in results[1].error
    assert "conversation is null" in results[2].error
    assert KEY not in caplog.text


def test_timeout_bounds_the_whole_request_slow_bodies_included(flaky_server, monkeypatch):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    flaky_server.fail_first = 0
    serving = api(flaky_server.server_address[1], max_retries=0)
    serving.timeout = 2.5
    started = time.monotonic()
    results = serving.generate_results([human("dribble"), human("fine")])
    took = time.monotonic() - started
    assert took < 4, f"a dribbling server held the request {took:.1f}s with timeout=2.5"
    assert results[0].text == "" and "RequestDeadlineError" in results[0].error and "timeout=2.5" in results[0].error
    assert results[1].text == "echo: fine"


def test_an_answer_without_text_is_a_row_error_not_an_empty_success(flaky_server, monkeypatch):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    flaky_server.fail_first = 0
    results = api(flaky_server.server_address[1]).generate_results(
        [human("null content"), human("no choices"), human("refused"), human("ok")]
    )
    assert [r.ok for r in results] == [False, False, False, True]
    assert "content: null" in results[0].error and "finish_reason=length" in results[0].error
    assert "no choices" in results[1].error
    assert "refusal: I can't help" in results[2].error
    # not retried: the server answered, and asking again would cost the same
    assert flaky_server.attempts["null content"] == 1


def test_an_answer_over_the_size_cap_fails_its_row(flaky_server, monkeypatch):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    flaky_server.fail_first = 0
    results = api(flaky_server.server_address[1], max_response_bytes=1_000_000).generate_results(
        [human("huge"), human("small")]
    )
    assert results[0].text == "" and "max_response_bytes=1000000" in results[0].error
    assert results[1].text == "echo: small"
    big = api(flaky_server.server_address[1]).generate_results([human("huge")])  # default cap: 8 MiB
    assert big[0].ok and len(big[0].text) == 3_000_000


def test_json_schema_goes_as_response_format(flaky_server, monkeypatch):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    flaky_server.fail_first = 0
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    api(flaky_server.server_address[1]).generate_results([human("x")], json_schema=schema)
    assert flaky_server.requests[-1]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
    api(flaky_server.server_address[1]).generate_results([human("y")])
    assert "response_format" not in flaky_server.requests[-1]


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("DF_TEST_KEY", raising=False)
    with pytest.raises(ServingError, match="set the environment variable DF_TEST_KEY"):
        api(1).generate_from_input(["hi"])


def test_temperature_and_max_tokens_pass_through(flaky_server, monkeypatch):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    flaky_server.fail_first = 0
    api(flaky_server.server_address[1], temperature=0.3, max_tokens=17).generate_from_input(["x"])
    assert flaky_server.requests[0]["temperature"] == 0.3 and flaky_server.requests[0]["max_tokens"] == 17


@pytest.fixture(scope="module")
def vllm_server(tiny_model, tmp_path_factory):
    require_vllm()
    port = free_port()
    log = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", tiny_model,
             "--host", "127.0.0.1", "--port", str(port), "--enforce-eager", "--max-model-len", "4096",
             "--limit-mm-per-prompt", json.dumps({"image": 2}), "--api-key", KEY,
             "--structured-outputs-config", json.dumps({"backend": "guidance"})],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    deadline = time.time() + 240
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited early:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    pytest.fail(f"vllm serve not ready in 240 s:\n{log.read_text()[-3000:]}")
                time.sleep(1)
        yield port, tiny_model
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_against_real_vllm_serve(vllm_server, monkeypatch, example_images):
    port, model = vllm_server
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    serving = APIVLMServing_openai(
        api_url=f"http://127.0.0.1:{port}/v1", key_name_of_api_key="DF_TEST_KEY", model_name=model,
        max_workers=3, timeout=120, max_tokens=8, extra_body={"min_tokens": 8}, show_progress=False,
    )
    convs = [human("Describe."), human("Compare <image> and <image>."), human("No image."), None]
    images = [[example_images["cat.jpg"]], [example_images["cat.jpg"], example_images["rocket.jpg"]], [], []]
    results = serving.generate_results(convs, images)
    assert [r.ok for r in results] == [True, True, True, False]
    assert all(r.text and r.output_tokens == 8 for r in results[:3])
    assert results[3].text == "" and "conversation is null" in results[3].error


@pytest.mark.slow
def test_schema_valid_json_through_the_real_server(vllm_server, monkeypatch):
    import jsonschema

    from tests.serving.test_structured_output import BOUNDED_SCHEMA

    port, model = vllm_server
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    serving = APIVLMServing_openai(
        api_url=f"http://127.0.0.1:{port}/v1", key_name_of_api_key="DF_TEST_KEY", model_name=model,
        max_workers=4, timeout=300, max_tokens=1500, temperature=0.7, show_progress=False,
    )
    results = serving.generate_results([human(f"Write JSON {i}.") for i in range(6)], json_schema=BOUNDED_SCHEMA)
    assert all(r.ok for r in results), [r.error for r in results]
    for r in results:  # random weights and a working grammar: valid every time
        jsonschema.validate(json.loads(r.text), BOUNDED_SCHEMA)
