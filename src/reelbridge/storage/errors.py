"""Storage failures.

Exception tree::

    StorageError            the database could not do what was asked
     ├── DatabaseUnavailable  cannot connect / the engine is closed (retryable)
     └── BadDatabaseUrl       the URL names no supported engine
"""

from __future__ import annotations


class StorageError(Exception):
    """Root of storage failures."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or the engine is closed."""


class BadDatabaseUrl(StorageError, ValueError):
    """The database URL is not ``sqlite:///path`` or ``postgresql://…``."""
