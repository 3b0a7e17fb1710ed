"""A faithful loopback emulator of auth.openai.com and chatgpt.com/backend-api.

Standalone: product code never imports it; tests, the demo and benchmarks do.
"""

from multicodex_emulator.emulator import Emulator
from multicodex_emulator.faults import (
    DropMidStreamFault,
    ErrorEventFault,
    FailedInStreamFault,
    IncompleteFault,
    LatencyFault,
    OkFault,
    OverloadedFault,
    StaleUsageFault,
    StallFault,
    StatusFault,
    ThrottleFault,
    TokenDropFault,
    TokenSlowFault,
    TokenStatusFault,
    UnauthorizedFault,
    UsageLatencyFault,
    UsageStatusFault,
)
from multicodex_emulator.models import (
    AccountView,
    EmuAccount,
    EmuSettings,
    ImageSeen,
    RecordedRequest,
    ToolCall,
)

__all__ = [
    "AccountView",
    "DropMidStreamFault",
    "EmuAccount",
    "EmuSettings",
    "Emulator",
    "ErrorEventFault",
    "FailedInStreamFault",
    "ImageSeen",
    "IncompleteFault",
    "LatencyFault",
    "OkFault",
    "OverloadedFault",
    "RecordedRequest",
    "StaleUsageFault",
    "StallFault",
    "StatusFault",
    "ThrottleFault",
    "TokenDropFault",
    "TokenSlowFault",
    "TokenStatusFault",
    "ToolCall",
    "UnauthorizedFault",
    "UsageLatencyFault",
    "UsageStatusFault",
]
