"""release/: Slug + config vars -> Release vN; the release phase; switching the app to vN's dynos."""

from seaway.release.environment import dyno_environment
from seaway.release.releaser import ReleaseFailed, Releaser

__all__ = ["ReleaseFailed", "Releaser", "dyno_environment"]
