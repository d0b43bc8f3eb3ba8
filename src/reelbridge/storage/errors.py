"""Storage failures.

Exception tree::

    StorageError            the database could not do what was asked
     ├── DatabaseUnavailable  cannot connect / the engine is closed (retryable)
     │    └── NotStarted      the unit of work never began: nothing reached the database
     └── BadDatabaseUrl       the URL names no supported engine
"""

from __future__ import annotations


class StorageError(Exception):
    """Root of storage failures."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or the engine is closed."""


class NotStarted(DatabaseUnavailable):
    """The unit of work never began (the engine is not running, no connection could be
    had, or SQLite could not take its write lock): nothing was written, a retry is safe.
    """


class BadDatabaseUrl(StorageError, ValueError):
    """The database URL is not ``sqlite:///path`` or ``postgresql://…``."""
