"""git_remote/: a git remote per app (`git push seaway main`), served over smart HTTP by the host's
`git http-backend`; a push to main or master is deployed before its ref moves, and refused if it fails.
Nothing is imported here: the hook (proc_receive) must start without the daemon's imports."""
