"""Create the benchmark's own PostgreSQL database (the benchmarks never touch the app's or the tests')."""
from __future__ import annotations

from urllib.parse import urlparse


def ensure_database(url: str, *, drop_first: bool = False) -> None:
    """Create the database named in `url` if it does not exist (after dropping it, with drop_first)."""
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                             password=parsed.password, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            if drop_first:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
