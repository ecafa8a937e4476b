"""Storage's own failures.  The storage layer never imports the core, so it cannot raise
the core's ``UserError``; the core's session service (``app.core.session``) translates
these into one, with the same Chinese message, for the window and the command line."""

from __future__ import annotations


class StorageError(Exception):
    """A database the program cannot use as it is; ``str()`` is a Chinese message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SchemaTooNew(StorageError):
    """The database was written by a newer POSDesk (its schema version is above ours)."""

    def __init__(self, version: int, latest: int):
        super().__init__(f"数据库版本 {version} 比本程序支持的 {latest} 新,请升级分润台。")
        self.version = version
        self.latest = latest
