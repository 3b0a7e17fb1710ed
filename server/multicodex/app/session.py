"""Settings for this server only, laid over the stored ones.

``initializationOptions.footer``/``rotation`` and ``footer/set``/``rotation/set`` with
``persist: false`` change only this process. `SessionPool` shows the pool (and so the
rotation engine) the settings in force: stored, then these overrides.
"""

from __future__ import annotations

import httpx2

from multicodex.codex.client import CodexClient
from multicodex.config import Endpoints
from multicodex.model import FooterSettings, RotationPolicy
from multicodex.pool import Pool
from multicodex.protocol import FooterPatch, RotationPatch
from multicodex.store.backend import StoreBackend
from multicodex.store.schema import StoreDocument


class SessionOverrides:
    """Footer and rotation fields this server overrides (unset fields follow the store)."""

    def __init__(
        self, footer: FooterPatch | None = None, rotation: RotationPatch | None = None
    ) -> None:
        self._footer: dict[str, object] = _fields(footer)
        self._rotation: dict[str, object] = _fields(rotation)
        self.revision = 0
        """Goes up with every change, so a document with these overrides can be reused."""

    @property
    def footer_overridden(self) -> bool:
        return bool(self._footer)

    @property
    def rotation_overridden(self) -> bool:
        return bool(self._rotation)

    def footer(self, stored: FooterSettings) -> FooterSettings:
        return FooterSettings.model_validate({**stored.model_dump(), **self._footer})

    def rotation(self, stored: RotationPolicy) -> RotationPolicy:
        return RotationPolicy.model_validate({**stored.model_dump(), **self._rotation})

    @property
    def empty(self) -> bool:
        return not self._footer and not self._rotation

    def override_footer(self, patch: FooterPatch) -> None:
        self._footer.update(_fields(patch))
        self.revision += 1

    def override_rotation(self, patch: RotationPatch) -> None:
        self._rotation.update(_fields(patch))
        self.revision += 1

    def release_footer(self, patch: FooterPatch) -> None:
        """Stop overriding what ``patch`` sets: a persisted change takes over."""
        for name in _fields(patch):
            self._footer.pop(name, None)
        self.revision += 1

    def release_rotation(self, patch: RotationPatch) -> None:
        for name in _fields(patch):
            self._rotation.pop(name, None)
        self.revision += 1


class SessionPool(Pool):
    """The pool, whose document carries the settings in force for this server."""

    def __init__(
        self,
        store: StoreBackend,
        endpoints: Endpoints,
        http: httpx2.AsyncClient,
        codex: CodexClient,
        overrides: SessionOverrides,
    ) -> None:
        super().__init__(store, endpoints, http, codex)
        self.overrides = overrides
        self._overlaid: tuple[StoreDocument, int, StoreDocument] | None = None
        """(shared document, overrides revision, that document with the overrides)."""

    def document(self) -> StoreDocument:
        """The shared document with this session's footer and rotation overrides applied
        to a copy of its settings (the accounts stay shared: read them only)."""
        doc = super().document()
        overrides = self.overrides
        if overrides.empty:
            return doc
        memo = self._overlaid
        if memo is not None and memo[0] is doc and memo[1] == overrides.revision:
            return memo[2]
        settings = doc.settings.model_copy(
            update={
                "footer": overrides.footer(doc.settings.footer),
                "rotation": overrides.rotation(doc.settings.rotation),
            }
        )
        overlaid = doc.model_copy(update={"settings": settings})
        self._overlaid = (doc, overrides.revision, overlaid)
        return overlaid


def _fields(patch: FooterPatch | RotationPatch | None) -> dict[str, object]:
    """The fields a patch sets (``persist`` is not a setting)."""
    if patch is None:
        return {}
    return {
        name: value
        for name, value in patch.model_dump(exclude_none=True).items()
        if name != "persist"
    }
