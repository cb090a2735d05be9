"""Seaway e2e sample: a deliberately minimal Django project backed by PostgreSQL."""
import os
from urllib.parse import unquote, urlparse

SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-seaway-e2e-sample-key")
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "polls",
]
MIDDLEWARE = []

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"


def database_from_url(url):
    """Turn a Heroku-style postgres:// (or postgresql://) URL into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise RuntimeError(f"unsupported DATABASE_URL scheme: {parsed.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
    }


DATABASE_URL = os.environ.get("DATABASE_URL")
if not DATABASE_URL:
    raise RuntimeError("DATABASE_URL is not set")
DATABASES = {"default": database_from_url(DATABASE_URL)}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
