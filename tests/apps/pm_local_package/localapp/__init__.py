"""Seaway sample: an app that is itself a package (`-e .` in requirements.txt) and needs another local
package (`./envprobe`); both build in the build's writable copy of the source."""
