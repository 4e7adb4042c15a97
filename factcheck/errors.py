"""Errors the core raises; the CLI turns each into one line on stderr and exit code 2."""

from __future__ import annotations


class FactcheckError(Exception):
    """An expected failure with a user-facing message.

    ``where`` locates the problem (``file:record.field``); ``hint`` says what to do.
    """

    def __init__(self, message: str, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = self.message
        if self.where:
            text += f" ({self.where})"
        if self.hint:
            text += f": {self.hint}"
        return text


class DatabaseError(FactcheckError):
    """The claims database is missing, unreadable or invalid."""


class InputError(FactcheckError):
    """User input (a file, stdin, an id) cannot be used."""


class WriteError(FactcheckError):
    """A file cannot be written: a read-only file, a missing or read-only directory, a full
    disk. The file it would have replaced is left as it was."""
