"""The bench's worker processes cannot leave it waiting: a crash, a silent death or a hang reaches the parent as
an error (bench/common.py). The sections themselves run in CI as ``make bench BENCH_ARGS=--smoke``."""

import multiprocessing
import os
import time

import pytest

from bench.common import WorkerFailed, collect, stop


def _reports(queue):
    queue.put(("ok", 3, 0))


def _crashes(queue):
    try:
        raise RuntimeError("no rate plan")
    except RuntimeError as error:
        queue.put(("error", f"Traceback: {error!r}"))


def _dies_silently(queue):
    os._exit(3)


def _hangs(queue):
    time.sleep(60)


def _run(*targets, within: float = 10):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    processes = [ctx.Process(target=target, args=(queue,)) for target in targets]
    for process in processes:
        process.start()
    try:
        return collect(queue, processes, deadline=time.monotonic() + within)
    finally:
        stop(processes, timeout=2)
        assert not any(process.is_alive() for process in processes)


def test_results_of_every_worker_are_collected():
    assert _run(_reports, _reports) == [(3, 0), (3, 0)]


@pytest.mark.parametrize(
    ("target", "message"),
    [(_crashes, "no rate plan"), (_dies_silently, "exited with 3"), (_hangs, "1 of 2 workers silent")],
)
def test_a_worker_that_fails_fails_the_section_instead_of_waiting_forever(target, message):
    started = time.monotonic()
    with pytest.raises(WorkerFailed, match=message):
        _run(_reports, target, within=1)
    assert time.monotonic() - started < 10
