"""slugs/: source tarball -> immutable, content-addressed Slug (app + relocatable venv)."""
