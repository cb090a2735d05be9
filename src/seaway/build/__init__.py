"""build/: source tarball -> immutable, content-addressed Slug (app + relocatable venv)."""

from seaway.build.builder import BuildError, Builder, BuiltSlug

__all__ = ["BuildError", "Builder", "BuiltSlug"]
