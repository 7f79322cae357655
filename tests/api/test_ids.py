"""api.ids: decision ids (UUID version 7 hex strings, time-ordered, random parts drawn in
batches) and request ids (a prefix per process and a counter)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from api.ids import BATCH, new_id, new_request_id


def test_ids_are_uuid7_hex_and_unique_across_batches() -> None:
    ids = [new_id() for _ in range(3 * BATCH + 1)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_carry_the_time_in_milliseconds_and_sort_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    after = time.time_ns() // 1_000_000
    stamps = [int(value[:12], 16) for value in (first, second)]
    assert before <= stamps[0] < stamps[1] <= after
    assert first < second  # hex strings of one length sort as their numbers


def test_ids_of_one_millisecond_differ_in_their_random_bits() -> None:
    ids = [new_id() for _ in range(2 * BATCH)]
    tails = {value[12:] for value in ids}
    assert len(tails) == len(ids)
    assert len({value[16:] for value in ids}) > 1  # the random part is not constant


def test_request_ids_are_unique_hex_with_a_prefix_of_their_process() -> None:
    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in ids)
    assert len({value[:16] for value in ids}) == 1
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("fork")) as pool:
        theirs = list(pool.map(_request_id, range(4)))
    assert all(value[:16] != ids[0][:16] for value in theirs)  # a forked child draws its own


def _request_id(_: int) -> str:
    return new_request_id()


def test_a_forked_child_draws_its_own_decision_ids() -> None:
    new_id()  # the parent has random parts left over
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
        theirs = set(pool.map(_random_part, range(200)))
    ours = {_random_part(0) for _ in range(200)}
    assert not theirs & ours


def _random_part(_: int) -> str:
    return new_id()[12:]
