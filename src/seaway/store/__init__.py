"""store/: the platform's own state. Everything else reads and writes it through `Store`."""

from seaway.store.db import Store

__all__ = ["Store"]
