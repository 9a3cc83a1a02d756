"""Backup, then restore into an empty database: the same rows in every DealIQ table."""
from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from workers.ops.backup import BackupError, Target, backup_files, make_backup, prune, restore_backup

from ..support.worker import ROOT, database_url, require_real_stack
from .data import populate

DEALIQ_TABLE_PREFIXES = ("deals_", "analysis_", "auth_user")


def dealiq_tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if t.startswith(DEALIQ_TABLE_PREFIXES))


def row_counts_pg(dsn: str, tables: list[str]) -> dict[str, int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


@pytest.fixture
def empty_database():
    name = f"dealiq_h8_restore_{uuid.uuid4().hex[:8]}"
    admin = connection.settings_dict
    admin_dsn = f"host={admin.get('HOST') or '127.0.0.1'} port={admin.get('PORT') or 5432} user={admin.get('USER') or 'postgres'} dbname=postgres"
    if admin.get("PASSWORD"):
        admin_dsn += f" password={admin['PASSWORD']}"
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_backup_then_restore_into_an_empty_database_keeps_every_row(tmp_path, empty_database):
    require_real_stack()
    populate()
    tables = dealiq_tables()
    assert {"deals_deal", "deals_document", "analysis_analysisrun", "analysis_fact", "auth_user"} <= set(tables)
    source = row_counts_pg(database_url(), tables)
    assert all(source[t] > 0 for t in ("deals_deal", "deals_documentpage", "analysis_runstep", "analysis_finding",
                                          "analysis_factfindinglink", "analysis_auditevent", "auth_user"))

    backup_dir = tmp_path / "backups"
    env = {"DATABASE_URL": database_url(), "DEALIQ_BACKUP_DIR": str(backup_dir), "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    made = subprocess.run([sys.executable, "manage.py", "backup"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    [dump] = backup_files(backup_dir)
    assert dump.suffix == ".dump" and dump.read_bytes()[:5] == b"PGDMP"  # pg_dump custom format

    restored = subprocess.run(
        [sys.executable, "manage.py", "restore", str(dump), "--database-url", empty_database, "--yes"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert restored.returncode == 0, restored.stderr
    assert row_counts_pg(empty_database, tables) == source


def test_sqlite_backup_and_restore_use_the_online_backup_api(tmp_path):
    import sqlite3

    src = tmp_path / "live.sqlite3"
    with sqlite3.connect(src) as db:
        db.execute("CREATE TABLE deals_deal (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO deals_deal (name) VALUES (?)", [("a",), ("b",), ("c",)])
    target = Target.from_url(f"sqlite:///{src}")
    [backup] = make_backup(tmp_path / "b", keep=3, target=target)
    assert backup.name.endswith(".sqlite3")

    empty = tmp_path / "restored.sqlite3"
    restore_backup(backup, target=Target.from_url(f"sqlite:///{empty}"))
    with sqlite3.connect(empty) as db:
        assert db.execute("SELECT count(*) FROM deals_deal").fetchone()[0] == 3

    (tmp_path / "x.dump").write_bytes(b"PGDMP")
    with pytest.raises(BackupError, match="PostgreSQL only"):
        restore_backup(tmp_path / "x.dump", target=target)


def test_retention_keeps_the_newest_backups(tmp_path):
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z", "20260104T000000Z"):
        (tmp_path / f"dealiq-{stamp}.dump").write_bytes(b"PGDMP")
    (tmp_path / "unrelated.dump").write_bytes(b"keep me")
    removed = prune(tmp_path, keep=2)
    assert [p.name for p in removed] == ["dealiq-20260101T000000Z.dump", "dealiq-20260102T000000Z.dump"]
    assert [p.name for p in backup_files(tmp_path)] == ["dealiq-20260103T000000Z.dump", "dealiq-20260104T000000Z.dump"]
    assert (tmp_path / "unrelated.dump").exists()


def test_restore_of_a_missing_file_is_a_readable_error(tmp_path, capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "nope.dump"), "--yes")
