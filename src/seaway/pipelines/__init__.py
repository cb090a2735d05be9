"""pipelines/: apps in stages (service.py) and promotion of a slug downstream (promotion.py)."""
