"""Settings modules: base.py (shared) and one per environment — local.py, test.py, production.py.
DJANGO_SETTINGS_MODULE names one of those; this package itself is not a settings module."""
