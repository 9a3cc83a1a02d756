"""Deployments (the Docker image sets DJANGO_SETTINGS_MODULE=config.settings.production; config/wsgi.py
defaults to it). No default secret, HTTPS everywhere, JSON logs, hashed static files, and no engine
imported from an environment variable."""
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_str, env_unset
from config.logging import build_logging

from .base import *  # noqa: F403
from .base import BUILTIN_ENGINES, DEALIQ_ENGINE_DEFAULT, LOG_BACKUP_COUNT, LOG_FILE, LOG_LEVEL, LOG_MAX_BYTES, STORAGES

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG is on in production settings: use config.settings.local for development.")

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is not set: set it to a long random value (50+ characters).")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or "insecure" in SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is too weak for production: use at least 50 random characters.")

# Only the hosts the operator names.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])

# Engines are the built-in ones only: a dotted path in the environment would let whoever sets it run
# code in every worker.
env_unset("DEALIQ_EXTRA_ENGINES", "production settings never import an engine named by the environment")
DEALIQ_ENGINE = env_choice("DEALIQ_ENGINE", DEALIQ_ENGINE_DEFAULT, BUILTIN_ENGINES)

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# --- security -----------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- logging: one JSON object per line (docs/operations.md) --------------------------------------
LOG_FORMAT = env_choice("LOG_FORMAT", "json", ("json", "text"))
LOGGING = build_logging(
    fmt=LOG_FORMAT, level=LOG_LEVEL, log_file=LOG_FILE, max_bytes=LOG_MAX_BYTES, backup_count=LOG_BACKUP_COUNT
)
