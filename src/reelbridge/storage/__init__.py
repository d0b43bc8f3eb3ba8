"""Storage: one schema, two engines (SQLite embedded, PostgreSQL at scale)."""

from reelbridge.storage.engine import Engine, engine_from_url, migrate, pending_migrations
from reelbridge.storage.errors import (
    BadDatabaseUrl,
    DatabaseUnavailable,
    NotStarted,
    StorageError,
)
from reelbridge.storage.migrations import AGGREGATOR, PROVIDER, Migration
from reelbridge.storage.sql import Fetch, Flow, FlowFactory, Query, Sql, every, one, run, value

__all__ = [
    "AGGREGATOR",
    "PROVIDER",
    "BadDatabaseUrl",
    "DatabaseUnavailable",
    "Engine",
    "Fetch",
    "Flow",
    "FlowFactory",
    "Migration",
    "NotStarted",
    "Query",
    "Sql",
    "StorageError",
    "engine_from_url",
    "every",
    "migrate",
    "one",
    "pending_migrations",
    "run",
    "value",
]
