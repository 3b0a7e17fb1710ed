"""``ask`` on a terminal: whether to spend a reset credit, asked there; without a terminal
nothing is spent, and the user is told how to let MultiCodex spend without asking."""

from __future__ import annotations

from multicodex.cli_commands.output import Output
from multicodex.cli_commands.prompts import confirm, stdin_is_terminal
from multicodex.pool.reset_credits import ConfirmSpend, ResetCreditOffer

PREFIX = "multicodex: "
AUTOMATIC_HINT = (
    "not spent without asking; to let MultiCodex spend reset credits without asking: "
    "multicodex rotation --when-exhausted reset-credit --reset-credit-confirm automatic"
)


def terminal_confirm(out: Output) -> ConfirmSpend:
    async def ask(offer: ResetCreditOffer) -> bool:
        out.note(PREFIX + offer.question().removeprefix("MultiCodex: "), "warning")
        if not stdin_is_terminal():
            out.note(PREFIX + AUTOMATIC_HINT, "dim")
            return False
        return await confirm(f"{offer.spend_label}?")

    return ask
