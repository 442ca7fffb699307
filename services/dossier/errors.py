"""The dossier's refusals: each names the input (``field``) and the rule it broke, and maps to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A command the dossier refuses; ``field`` and ``rule`` say which input broke which rule."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, rule: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


class NotFound(DomainError):
    status = 404


class CadreNotFound(NotFound):
    pass


class EntryNotFound(NotFound):
    pass


class AlreadyDone(DomainError):
    """The command asks for a state change that already happened, or that the state no longer allows."""

    status = 409


class NotAllowed(DomainError):
    """The actor has no standing for this command on this dossier (not the cadre, not the superior)."""

    status = 403


__all__ = ["AlreadyDone", "CadreNotFound", "DomainError", "EntryNotFound", "NotAllowed", "NotFound"]
