"""Seaway e2e sample: Django with the HTTPS settings of Heroku's own Django template (no database).
Every plain-HTTP request is redirected to https://; behind the router, X-Forwarded-Proto says which it was."""
import os

SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-seaway-e2e-secure-sample")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"
DATABASES = {}
USE_TZ = True

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
