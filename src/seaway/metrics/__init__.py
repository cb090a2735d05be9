"""metrics/: each app's router metrics (requests by status class, H codes, service time percentiles) and its dynos'
memory and CPU, per minute over the last 24 hours, with its releases as markers.

`router.py` counts the router log's records in memory, `usage.py` samples the dynos, `pending.py` holds the
minutes not stored yet, `histogram.py` is the service times' fixed log-scale histogram, `events.py` makes the
release markers, and `service.py` (`Metrics`) flushes the finished minutes to the store and reads them back."""

from seaway.metrics.service import Metrics

__all__ = ["Metrics"]
