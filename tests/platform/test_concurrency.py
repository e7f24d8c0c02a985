"""Concurrent writers: autonumbers stay gap-free and distinct; one of two updates wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from loom.platform.records.errors import Conflict

THREADS = 8
PER_THREAD = 10


def test_concurrent_creates_get_distinct_gap_free_numbers(shop) -> None:
    start = threading.Barrier(THREADS)

    def worker(n: int) -> list[str]:
        start.wait()
        return [
            shop.service.create(
                "shop.order_doc",
                {"title": f"t{n}-{i}", "lines": [{"product": "p", "quantity": "1", "price": "1"}]},
                shop.alice,
            )["number"]
            for i in range(PER_THREAD)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = [number for batch in pool.map(worker, range(THREADS)) for number in batch]
    counters = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert counters == list(range(1, THREADS * PER_THREAD + 1))


def test_two_concurrent_updates_exactly_one_wins(shop) -> None:
    record = shop.service.create(
        "shop.order_doc",
        {"title": "t", "lines": [{"product": "p", "quantity": "1", "price": "1"}]},
        shop.alice,
    )
    start = threading.Barrier(2)

    def worker(title: str) -> str:
        start.wait()
        try:
            shop.service.update("shop.order_doc", record["id"], {"title": title}, shop.alice, version=1)
        except Conflict:
            return "conflict"
        return "won"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(worker, ["a", "b"]))
    assert outcomes == ["conflict", "won"]
    final = shop.service.get("shop.order_doc", record["id"], shop.alice)
    assert final["version"] == 2 and final["title"] in ("a", "b")
