"""Whether an account can serve a given model: its plan's model list, the gates the
backend set on it for that model, and the cooldown of the model's own limit.

Pure: ``now`` and the client version are parameters. Selection skips an account for the
model alone (it keeps serving other models), and ``models/list`` shows the same verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from multicodex.model import ModelGate, StoredAccount
from multicodex.model.quota import GENERAL_BUCKET, bucket_for_model, bucket_label
from multicodex.timefmt import clock_time

GATE_LIFETIME_SECONDS = 6 * 3600
"""A gate the backend set (a model needing a newer client, or not offered to the account)
is checked again after this long: plans change and models roll out."""

PlanModels = Mapping[str, frozenset[str]]
"""Plan → the slugs its ``codex/models`` list offers; a plan missing here is unknown and
restricts nothing. Accounts with no known plan are grouped under ``""``."""


@dataclass(frozen=True)
class ModelBlock:
    """Why an account cannot serve a model, in words without the account's name."""

    text: str
    until: float | None = None
    """The end of the model's limit cooldown; None for a block with no known end (the
    plan lacks the model, a gate)."""

    @property
    def lasting(self) -> bool:
        return self.until is None


def plan_of(account: StoredAccount) -> str:
    """The account's plan as its tokens or its usage say; ``""`` when unknown."""
    usage_plan = account.usage.plan_type if account.usage is not None else None
    return account.plan or usage_plan or ""


def gate_in_force(gate: ModelGate, now: float, client_version: str) -> bool:
    """A gate counts until it is ``GATE_LIFETIME_SECONDS`` old; a version gate also ends
    when MultiCodex presents another client version than the one refused."""
    if now - gate.at >= GATE_LIFETIME_SECONDS:
        return False
    refused = gate.client_version
    return not (gate.reason == "version" and refused is not None and refused != client_version)


def model_block(
    account: StoredAccount,
    model: str,
    *,
    now: float,
    plan_models: PlanModels,
    client_version: str,
    model_name: str | None = None,
) -> ModelBlock | None:
    """Why ``account`` cannot serve ``model`` now; None when it can (as far as known)."""
    name = model_name or model
    plan = plan_of(account)
    listed = plan_models.get(plan)
    if listed is not None and model not in listed:
        where = f"the {plan} plan" if plan else "this account's model list"
        return ModelBlock(f"{name} is not in {where}")
    gate = account.model_gates.get(model)
    if gate is not None and gate_in_force(gate, now, client_version):
        return ModelBlock(_gate_text(gate, name, client_version))
    bucket = bucket_for_model(model)
    cooldown = account.bucket_cooldowns.get(bucket) if bucket != GENERAL_BUCKET else None
    if cooldown is not None and cooldown.until > now:
        label = bucket_label(bucket)
        return ModelBlock(f"{label} limit until {clock_time(cooldown.until, now)}", cooldown.until)
    return None


@dataclass(frozen=True)
class AccountBlock:
    """A block the account carries whatever the request: a gate on ``model`` or the
    cooldown of the limit ``bucket`` (Spark's)."""

    block: ModelBlock
    model: str | None = None
    bucket: str | None = None


def account_blocks(
    account: StoredAccount, *, now: float, client_version: str
) -> list[AccountBlock]:
    """The gates in force and the model limits cooling down, in the words selection uses
    when it skips the account for them."""
    blocks = [
        AccountBlock(ModelBlock(_gate_text(gate, model, client_version)), model=model)
        for model, gate in sorted(account.model_gates.items())
        if gate_in_force(gate, now, client_version)
    ]
    for bucket, cooldown in sorted(account.bucket_cooldowns.items()):
        if bucket != GENERAL_BUCKET and cooldown.until > now:
            text = f"{bucket_label(bucket)} limit until {clock_time(cooldown.until, now)}"
            blocks.append(AccountBlock(ModelBlock(text, cooldown.until), bucket=bucket))
    return blocks


def _gate_text(gate: ModelGate, name: str, client_version: str) -> str:
    if gate.reason == "version":
        needs = gate.minimal_client_version
        newer = f"Codex {needs} or newer" if needs else "a newer Codex"
        return f"{name} needs {newer} (MultiCodex sends {client_version})"
    return f"{name} is not offered to this account"
