"""Value types every layer shares: accounts and token sets, usage windows and snapshots,
settings and failure kinds. No I/O here, and no imports from the other layers: the store,
the Codex client, the rotation engine and the protocol all build on these."""

from multicodex.model.accounts import (
    AccountLink,
    ImportSourceKind,
    SourceKind,
    StoredAccount,
    identity_key,
)
from multicodex.model.failures import FailureKind
from multicodex.model.settings import (
    FooterOrder,
    FooterSettings,
    ResetWindow,
    RotationPolicy,
    Settings,
    UsageMode,
)
from multicodex.model.tokens import TokenSet
from multicodex.model.usage import (
    SHORT_WINDOW_MAX_SECONDS,
    UsageCredits,
    UsageSnapshot,
    UsageWindow,
)

__all__ = [
    "SHORT_WINDOW_MAX_SECONDS",
    "AccountLink",
    "FailureKind",
    "FooterOrder",
    "FooterSettings",
    "ImportSourceKind",
    "ResetWindow",
    "RotationPolicy",
    "Settings",
    "SourceKind",
    "StoredAccount",
    "TokenSet",
    "UsageCredits",
    "UsageMode",
    "UsageSnapshot",
    "UsageWindow",
    "identity_key",
]
