"""Backups of a running service's database, without stopping it.

SQLite: the online backup API copies a consistent snapshot page by page while the
service keeps writing (each step takes the database's read lock briefly), into a
temporary file beside the target, checked with ``PRAGMA integrity_check`` and then
renamed into place, so a target either is a whole, checked backup or does not exist.
PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot), restored with
``pg_restore``; see docs/deploy.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reelbridge.storage.errors import BadDatabaseUrl, StorageError

PAGES_PER_STEP = 1024


class BackupFailed(StorageError):
    """The backup could not be made (the message says why); no target was written."""


@dataclass(frozen=True)
class Backup:
    """A finished backup: where, how big, and what made it."""

    path: Path
    size: int
    method: str


def backup(database_url: str, target: Path) -> Backup:
    """Back up the database at ``database_url`` into ``target`` (a file).

    Raises:
        BadDatabaseUrl: not a ``sqlite:///`` or ``postgresql://`` URL.
        BackupFailed: the database can't be read, the copy fails its check, ``pg_dump``
            is missing or fails, or the target exists.
    """
    if target.exists():
        raise BackupFailed(f"{target} exists: choose a new name (a backup never overwrites)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite:///"):
        return _sqlite(Path(database_url.removeprefix("sqlite:///")), target)
    if database_url.startswith(("postgresql://", "postgres://")):
        return _postgres(database_url, target)
    raise BadDatabaseUrl("a backup needs a sqlite:///path or postgresql://… URL")


def _sqlite(source: Path, target: Path) -> Backup:
    if not source.is_file():
        raise BackupFailed(f"no database file at {source}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=PAGES_PER_STEP)
                verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        if verdict != "ok":
            raise BackupFailed(f"the copy failed its integrity check: {verdict}")
        os.chmod(partial, 0o600)
        partial.rename(target)
    except sqlite3.Error as exc:
        raise BackupFailed(f"backing up {source} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size, "sqlite online backup")


def _postgres(url: str, target: Path) -> Backup:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupFailed("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    partial = target.with_name(f".{target.name}.partial")
    try:
        done = subprocess.run(  # noqa: S603 (pg_dump, with a URL the operator gave)
            [pg_dump, "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={url}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[-500:]}")
        os.chmod(partial, 0o600)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size, "pg_dump --format=custom")
