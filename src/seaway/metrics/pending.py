"""Minutes counted in memory and not stored yet: the one place the collectors keep them, keyed (app, minute, ...)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

Key = tuple[str, int] | tuple[str, int, str]  # (app, Unix minute) or (app, Unix minute, dyno)


class Mergeable(Protocol):
    def merge(self, other: Mergeable, /) -> Mergeable: ...

    def copy(self) -> Mergeable: ...


V = TypeVar("V", bound=Mergeable)


class Pending(Generic[V]):
    def __init__(self, make: Callable[[], V]) -> None:
        self.make = make
        self.lock = threading.Lock()
        self._items: dict[Key, V] = {}

    def at(self, key: Key) -> V:
        """The minute's counts, made when new. Call it holding `lock`."""
        found = self._items.get(key)
        if found is None:
            found = self._items[key] = self.make()
        return found

    def take(self, before: float) -> dict[Key, V]:
        """Remove and return the minutes before minute `before` (math.inf: all of them)."""
        with self.lock:
            done = {key: value for key, value in self._items.items() if key[1] < before}
            for key in done:
                del self._items[key]
        return done

    def put_back(self, items: dict[Key, V], oldest: int) -> None:
        """Minutes taken that could not be stored, added to what came since; those before `oldest` are dropped."""
        with self.lock:
            for key, value in items.items():
                if key[1] >= oldest:
                    found = self._items.get(key)
                    self._items[key] = value if found is None else found.merge(value)  # type: ignore[assignment]

    def of_app(self, app: str) -> dict[Key, V]:
        """Copies of the app's minutes."""
        with self.lock:
            return {key: value.copy() for key, value in self._items.items() if key[0] == app}  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self._items)
