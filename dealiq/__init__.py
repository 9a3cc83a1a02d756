"""DealIQ analysis engine: plain Python, no Django, no Celery.

The Django apps call into this package; nothing here imports them.
"""
