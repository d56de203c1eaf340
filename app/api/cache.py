"""A small LRU of finished answers of local generators (`Generator.local`: extractive), keyed by
`QAService.answer_key` (the graph snapshot, the question, the history, the generator, top_k).

The same question with the same history over the same snapshot gives the same answer from the
extractive generator, so a repeated question ("高血压吃什么药") is served without linking and
retrieval again. The snapshot in the key retires every entry when new data is loaded. The cached
answer says so: its `timings_ms` are `{"cache_hit": 1, "total_ms": …}`, not the first run's.
Used from the event loop only (no lock needed).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from models.types import Answer

Key = Hashable  # QAService.answer_key


class AnswerCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Key, Answer] = OrderedDict()

    def get(self, key: Key) -> Answer | None:
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def put(self, key: Key, answer: Answer) -> None:
        if self.capacity <= 0:
            return
        self._items[key] = answer
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
