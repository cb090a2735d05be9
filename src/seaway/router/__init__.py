"""router/: nginx, owned by the daemon, routes APP.localhost to the app's healthy web dynos."""

from seaway.router.config import AppRoute, render_config
from seaway.router.nginx import NginxRouter, RouterError

__all__ = ["AppRoute", "NginxRouter", "RouterError", "render_config"]
