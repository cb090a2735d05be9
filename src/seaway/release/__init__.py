"""release/: Slug + config vars -> Release vN; the release phase; the switch to vN's formation; and the
changes of what runs that make no release (scale, restart, rollback's new release, bringing back)."""

from seaway.release.environment import dyno_environment
from seaway.release.phase import PhaseContext, PhaseStep, ReleaseCommand, ReleaseFailed
from seaway.release.releaser import Releaser

__all__ = ["PhaseContext", "PhaseStep", "ReleaseCommand", "ReleaseFailed", "Releaser", "dyno_environment"]
