"""Seaway: a self-hosted, Heroku-compatible platform for Python web apps."""

__version__ = "0.1.0"
