"""The account pool: accounts, pin, cooldowns, fresh tokens and shared usage."""

from multicodex.pool.errors import (
    AccountNeedsReauth,
    AccountNotFound,
    PoolError,
    TokenRefreshFailed,
)
from multicodex.pool.pool import Pool

__all__ = [
    "AccountNeedsReauth",
    "AccountNotFound",
    "Pool",
    "PoolError",
    "TokenRefreshFailed",
]
