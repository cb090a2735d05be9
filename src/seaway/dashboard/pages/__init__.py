"""The dashboard's pages, a module per topic, each with `router(platform, web)`."""

from seaway.dashboard.pages import activity, apps, config, database, logs, metrics, overview, releases, resources, signin

PAGES = (signin, apps, overview, activity, releases, config, resources, logs, database, metrics)
