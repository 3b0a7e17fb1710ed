"""The application layer: one method per protocol method, shared by the server and the CLI."""

from multicodex.app.app import App
from multicodex.app.errors import AppError
from multicodex.app.hooks import ClientHooks

__all__ = ["App", "AppError", "ClientHooks"]
