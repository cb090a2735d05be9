"""git_remote/: a git remote per app (`git push seaway main`), served over smart HTTP by the host's
`git http-backend`; a push to main or master is deployed before its ref moves, and refused if it fails."""

from seaway.git_remote.repos import AppRepos

__all__ = ["AppRepos"]
