"""dynos/: Formation -> Dynos. A backend starts a described dyno; the manager supervises them."""

from seaway.dynos.backend import Backend, Dyno, DynoSpec
from seaway.dynos.manager import DynoBootError, DynoManager

__all__ = ["Backend", "Dyno", "DynoBootError", "DynoManager", "DynoSpec"]
