"""Value types every layer shares: accounts and token sets, usage windows and snapshots,
settings and failure kinds. No I/O here, and no imports from the other layers: the store,
the Codex client, the rotation engine and the protocol all build on these."""

from multicodex.model.accounts import (
    AccountLink,
    BucketCooldown,
    ImportSourceKind,
    ModelGate,
    ModelGateReason,
    SourceKind,
    StoredAccount,
    identity_key,
)
from multicodex.model.failures import FailureKind
from multicodex.model.quota import (
    GENERAL_BUCKET,
    SPARK_BUCKET,
    bucket_for_model,
    bucket_label,
    window_label,
)
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
    QuotaBucket,
    UsageCredits,
    UsageSnapshot,
    UsageWindow,
    WindowPair,
)

__all__ = [
    "GENERAL_BUCKET",
    "SHORT_WINDOW_MAX_SECONDS",
    "SPARK_BUCKET",
    "AccountLink",
    "BucketCooldown",
    "FailureKind",
    "FooterOrder",
    "FooterSettings",
    "ImportSourceKind",
    "ModelGate",
    "ModelGateReason",
    "QuotaBucket",
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
    "WindowPair",
    "bucket_for_model",
    "bucket_label",
    "identity_key",
    "window_label",
]
