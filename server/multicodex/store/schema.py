"""The shape of the store document. Every field that reaches disk is declared here or in
the shared value types it is made of (`multicodex.model`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from multicodex.model import Settings, StoredAccount

STORE_VERSION = 1


class StoreDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = STORE_VERSION
    accounts: list[StoredAccount] = Field(default_factory=list)
    pinned: str | None = None
    """The manual pin (an account key), honoured by every process sharing the store.
    (A ``settings.persist_pin`` written by earlier versions is ignored.)"""
    active: str | None = None
    settings: Settings = Field(default_factory=Settings)

    def find(self, key: str) -> StoredAccount | None:
        return next((a for a in self.accounts if a.key == key), None)
