"""The project's one error root. Callers distinguish only a few kinds:

* `InvalidInput` — the user's question, file, option or configuration is wrong (fix the input; 4xx);
* `Unavailable` — a backend (graph store, model server, model files) cannot serve now (retry; 503);
* `NotFound` — a named thing (entity, index, model) does not exist.

Every error the library raises on purpose derives from `QizhenError`, so the CLI and the API each
have a single boundary that turns it into a clean message; anything else is a bug and surfaces as one.
Subclasses keep their old builtin bases (ValueError, RuntimeError) so existing handlers still work.
"""

from __future__ import annotations


class QizhenError(Exception):
    """Root of every error raised on purpose by qizhen."""


class InvalidInput(QizhenError, ValueError):
    """Bad input or configuration: a wrong option, an unreadable file, an invalid record."""


class Unavailable(QizhenError, RuntimeError):
    """A backend cannot serve right now (graph store down or locked, model server unreachable)."""


class NotFound(QizhenError, LookupError):
    """A named entity, index or model does not exist."""


__all__ = ["InvalidInput", "NotFound", "QizhenError", "Unavailable"]
