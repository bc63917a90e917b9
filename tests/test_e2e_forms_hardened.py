"""Nothing a cadre types or taps leaves a 5xx, a stuck draft or a half-written record: odd messages with
and without an open draft, taps on expired cards, and a draft that outlives the worker process.

The transcripts of handlers and forms that need no wire run in process: tests/test_inproc_forms_hardened.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from odd_input import ODD, failures, reports
from transcript import Chat

pytestmark = pytest.mark.dated


@pytest.mark.parametrize("text", list(ODD.values()), ids=list(ODD))
def test_odd_messages_without_a_draft(chat, server, text: str) -> None:
    chat.as_("wangxh").says(text)
    for entry in chat.new():
        assert "出了问题" not in entry.get("content", "")
    assert failures(server) == [] and reports(server) == 0


# -- a worker that dies between two messages ----------------------------------------------------------


def start_worker() -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("cadrebot")
    return subprocess.Popen(
        [str(cli), "worker", "--name", f"restart-test-{time.monotonic_ns()}"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def card_titled(chat: Chat, words: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        for entry in chat.fake.inbox(chat.user):
            card = entry.get("template_card")
            if entry.get("api") == "send" and card and words in card["main_title"]["title"]:
                return entry
        return None

    return check


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc (Linux)")
def test_a_draft_is_resumed_after_the_worker_is_killed(server, http, factory, fake) -> None:
    chat = Chat(http, factory, fake, work=lambda scheduled=False: None)  # a real worker process does the work
    worker = start_worker()
    try:
        chat.as_("liming").says("巡查发现有人乱倒垃圾")
        wait_for(card_titled(chat, "哪个组"), "the first question")
        # The worker has forked RQ's scheduler, which holds copies of the worker's Redis sockets.
        scheduler = wait_for(lambda: children(worker.pid), "the worker's scheduler process")
        worker.send_signal(signal.SIGKILL)  # no chance to save anything on the way out
        worker.wait(timeout=10)
        wait_for(lambda: not any(alive(pid) for pid in scheduler), "the scheduler to die with its worker", 10)

        chat.says("3组")  # queued while no worker runs
        worker = start_worker()
        question = wait_for(card_titled(chat, "处理了吗"), "the next question, from a new worker")
        chat.taps(question, "需村里处理")
        confirm = wait_for(card_titled(chat, "请确认巡查记录"), "the confirmation card")
        chat.taps(confirm, "提交")
        wait_for(lambda: any("巡查记录已提交" in e.get("content", "") for e in fake.inbox("liming")), "the receipt")
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert reports(server) == 1
