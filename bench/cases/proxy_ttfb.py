"""`multicodex proxy` against the same request sent straight to the emulator, in one run:

* added time to first byte: request sent -> first byte of the answer's body at the client
  (interleaved, proxy vs direct; both in processes of their own, the client alone here);
* the same with a long conversation's body (~330 KB, the size of a Codex CLI session some
  hours in), which the proxy parses to route and relays (report);
* the HTTP floor: the same client's round trip to a path the proxy answers itself
  (``wham/accounts/check``, no upstream call): what any request pays for the extra hop
  through the proxy's HTTP server (information, like ttfd's stdio floor);
* relay throughput: a long answer's body bytes per second, proxy / direct;
* failover through the proxy: A's 429 (stale usage) finished -> B's first text delta at the
  client, against a client that fails over itself (A's 429, then at once the request on B).

With ``--before`` a second proxy runs from the older package (a store of its own over the
same accounts), interleaved with the current one in the TTFB and relay runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx2

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.profiling import recording
from bench.rig import DELTA_EVENT, direct_body
from bench.stats import Row, floor_row, median, p99
from multicodex.model import StoredAccount
from multicodex.store.document import Store

NAME = "proxy_ttfb"
TTFB_RUNS = 300
TTFB_WARMUP = 30
LONG_RUNS = 100
LONG_TURNS = 120
"""Turns of history in the long body: each a user message, an answer and a tool call with
its output (~2.7 KB a turn)."""
THROUGHPUT_RUNS = 8
THROUGHPUT_DELTAS = 20_000
FAILOVER_RUNS = 20
TTFB_TARGET_MS = 0.5
TTFB_P99_TARGET_MS = 1.0
RELAY_TARGET_RATIO = 0.6
BEFORE = "proxy (before)"
RESPONSES = "/backend-api/codex/responses"
CONVERSATION = "bench-proxy"


async def run(ctx: Context) -> list[Row]:
    home = ctx.directory(NAME) / "home"
    with EmulatorProcess(tokens_per_second=0) as emu:
        ids = [
            emu.add_account(f"{n}-proxy@example.test", response_deltas=5, cost_percent=0)
            for n in ("a", "b")
        ]
        accounts = [emu.stored_account(i) for i in ids]
        _store(home, accounts)
        with ExitStack() as stack:
            proxies = {"proxy": stack.enter_context(_Proxy(home, emu.base_url))}
            if ctx.before is not None:
                before_home = ctx.directory(f"{NAME}-before") / "home"
                _store(before_home, accounts)
                proxies[BEFORE] = stack.enter_context(
                    _Proxy(before_home, emu.base_url, package_root=ctx.before)
                )
            async with httpx2.AsyncClient(timeout=120.0) as http:
                direct = _Target(http, f"{emu.base_url}{RESPONSES}", _direct_headers(accounts[0]))
                targets = {
                    label: _Target(http, f"{p.base_url}/codex/responses", p.headers)
                    for label, p in proxies.items()
                }
                pid = proxies["proxy"].pid
                with recording(pid, ctx.profile(NAME)):
                    rows = await _ttfb(ctx, direct, targets)
                for account_id in ids:
                    emu.update_account(account_id, response_deltas=THROUGHPUT_DELTAS)
                with recording(pid, ctx.profile(f"{NAME}_relay")):
                    rows += await _throughput(ctx, direct, targets)
                for account_id in ids:
                    emu.update_account(account_id, response_deltas=5)
                rows.append(await _failover(ctx, emu, http, accounts, targets["proxy"], home))
    return rows


def _labelled(benchmark: str, label: str) -> str:
    return benchmark if label == "proxy" else f"{benchmark} [{label}]"


class _Target:
    def __init__(self, http: httpx2.AsyncClient, url: str, headers: dict[str, str]) -> None:
        self.http, self.url, self.headers = http, url, headers

    async def floor(self) -> float:
        """Request sent -> first body byte of ``wham/accounts/check``, which the proxy
        answers itself."""
        url = self.url.removesuffix("/codex/responses") + "/wham/accounts/check"
        started = time.perf_counter()
        async with self.http.stream("GET", url, headers=self.headers) as r:
            if r.status_code != 200:
                raise RuntimeError(f"{url} answered {r.status_code}")
            async for _chunk in r.aiter_raw():
                return time.perf_counter() - started
        raise RuntimeError(f"{url} answered no body")

    async def request(self, body: bytes | None = None) -> tuple[float, float, int, float | None]:
        """(first body byte after sending, total seconds, body bytes, wall time of the
        first text delta); ``body``: the bench's short request unless given."""
        body = body or json.dumps(direct_body(), separators=(",", ":")).encode()
        first: float | None = None
        delta_wall: float | None = None
        size = 0
        started = time.perf_counter()
        async with self.http.stream("POST", self.url, content=body, headers=self.headers) as r:
            if r.status_code != 200:
                raise RuntimeError(f"{self.url} answered {r.status_code}")
            async for chunk in r.aiter_raw():
                if first is None:
                    first = time.perf_counter() - started
                if delta_wall is None and DELTA_EVENT in chunk:
                    delta_wall = time.time()
                size += len(chunk)
        assert first is not None
        return first, time.perf_counter() - started, size, delta_wall


async def _ttfb(ctx: Context, direct: _Target, targets: dict[str, _Target]) -> list[Row]:
    runs = ctx.runs(TTFB_RUNS, minimum=30)
    samples, baseline = await _interleaved(direct, targets, runs, None)
    rows = [_ttfb_row(label, proxied, baseline) for label, proxied in samples.items()]
    long_body = json.dumps(long_conversation()).encode()
    samples, baseline = await _interleaved(direct, targets, ctx.runs(LONG_RUNS), long_body)
    rows += [_long_row(label, proxied, baseline, long_body) for label, proxied in samples.items()]
    # A run of its own: between two answers, it would be one proxy's alone.
    floor = [await targets["proxy"].floor() * 1000 for _ in range(TTFB_WARMUP + runs)]
    floor_ms = floor[TTFB_WARMUP:]
    metric = "request sent -> first body byte of wham/accounts/check (no upstream)"
    return [*rows, floor_row(f"{NAME} [HTTP floor]", metric, floor_ms, "the hop through the proxy")]


async def _interleaved(
    direct: _Target, targets: dict[str, _Target], runs: int, body: bytes | None
) -> tuple[dict[str, list[float]], list[float]]:
    """Each target's and the direct request's first body byte (ms), one of each in turn."""
    samples: dict[str, list[float]] = {label: [] for label in targets}
    baseline: list[float] = []
    for index in range(TTFB_WARMUP + runs):
        for label, target in targets.items():
            first, _, _, _ = await target.request(body)
            if index >= TTFB_WARMUP:
                samples[label].append(first * 1000)
        first, _, _, _ = await direct.request(body)
        if index >= TTFB_WARMUP:
            baseline.append(first * 1000)
    return samples, baseline


def long_conversation() -> dict[str, object]:
    """The bench's request with ``LONG_TURNS`` turns of history before it (deterministic)."""
    body = direct_body()
    history: list[dict[str, object]] = []
    for turn in range(LONG_TURNS):
        words = f'turn {turn}: caf\u00e9, "quoted", and a path /src/module_{turn}.py ' * 12
        call = f"call_{turn}"
        arguments = json.dumps({"command": ["cat", words[:200]]})
        history += [
            {"type": "message", "role": "user", "content": [_text("input_text", words)]},
            {"type": "message", "role": "assistant", "content": [_text("output_text", words)]},
            {"type": "function_call", "name": "shell", "call_id": call, "arguments": arguments},
            {"type": "function_call_output", "call_id": call, "output": words},
        ]
    body["input"] = history + list(body["input"])
    return body


def _text(kind: str, text: str) -> dict[str, str]:
    return {"type": kind, "text": text}


def _long_row(label: str, proxied: list[float], baseline: list[float], body: bytes) -> Row:
    metric = f"request sent -> first body byte, a {len(body) // 1024} KB conversation"
    return _added_row(f"{NAME} [long body]", label, metric, proxied, baseline, judged=False)


def _ttfb_row(label: str, proxied: list[float], baseline: list[float]) -> Row:
    metric = "request sent -> first body byte at the client (proxy)"
    return _added_row(NAME, label, metric, proxied, baseline, judged=True)


def _added_row(
    benchmark: str,
    label: str,
    metric: str,
    proxied: list[float],
    baseline: list[float],
    *,
    judged: bool,
) -> Row:
    """Time to first byte through ``label``'s proxy against the same request direct;
    ``judged``: held to the TTFB target, else only reported."""
    added = median(proxied) - median(baseline)
    added_p99 = p99(proxied) - p99(baseline)
    target = f"<= {TTFB_TARGET_MS:g} ms median, <= {TTFB_P99_TARGET_MS:g} ms p99 added"
    return Row(
        benchmark=_labelled(benchmark, label),
        metric=metric,
        unit="ms",
        n=len(proxied),
        median=median(proxied),
        p99=p99(proxied),
        baseline="the same request straight to the emulator",
        baseline_median=median(baseline),
        baseline_p99=p99(baseline),
        comparison="added",
        result=added,
        target=target if judged else "report",
        met=added <= TTFB_TARGET_MS and added_p99 <= TTFB_P99_TARGET_MS if judged else None,
        note=f"added p99 {added_p99:.2f} ms",
    )


async def _throughput(ctx: Context, direct: _Target, targets: dict[str, _Target]) -> list[Row]:
    runs = ctx.runs(THROUGHPUT_RUNS, minimum=3)
    samples: dict[str, list[float]] = {label: [] for label in targets}
    baseline: list[float] = []
    size = 0
    for _ in range(runs):
        for label, target in targets.items():
            first, total, size, _ = await target.request()
            samples[label].append(size / (total - first) / 1e6)
        first, total, size, _ = await direct.request()
        baseline.append(size / (total - first) / 1e6)
    return [_throughput_row(label, proxied, baseline, size) for label, proxied in samples.items()]


def _throughput_row(label: str, proxied: list[float], baseline: list[float], size: int) -> Row:
    ratio = median(proxied) / median(baseline)
    return Row(
        benchmark=_labelled(f"{NAME} relay", label),
        metric=f"body MB/s of a {THROUGHPUT_DELTAS}-delta answer ({size / 1e6:.1f} MB)",
        unit="MB/s",
        n=len(proxied),
        median=median(proxied),
        p99=None,
        baseline="the same answer straight from the emulator",
        baseline_median=median(baseline),
        baseline_p99=None,
        comparison="ratio",
        result=ratio,
        target=f">= {RELAY_TARGET_RATIO:g}x",
        met=ratio >= RELAY_TARGET_RATIO,
    )


async def _failover(
    ctx: Context,
    emu: EmulatorProcess,
    http: httpx2.AsyncClient,
    accounts: list[StoredAccount],
    through: _Target,
    home: Path,
) -> Row:
    runs = ctx.runs(FAILOVER_RUNS, minimum=5)
    by_id = {a.account_id: a for a in accounts}
    proxied: list[float] = []
    baseline: list[float] = []
    await through.request()  # the conversation now has an owner
    for _ in range(runs):
        _reset_cooldowns(home, emu.base_url)
        owner = _last_served(emu)
        emu.script_faults(owner, [{"kind": "stale_usage"}])
        _, _, _, delta_wall = await through.request()
        proxied.append(_after_refusal(emu, owner, delta_wall))
        other = next(a for i, a in by_id.items() if i != owner)
        emu.script_faults(owner, [{"kind": "stale_usage"}])
        baseline.append(await _direct_failover(emu, http, by_id[owner], other))
    return Row(
        benchmark=f"{NAME} failover",
        metric="A's 429 finished -> B's first text delta at the client (proxy)",
        unit="ms",
        n=len(proxied),
        median=median(proxied),
        p99=p99(proxied),
        baseline="client's own failover: A's 429, then the request on B, direct",
        baseline_median=median(baseline),
        baseline_p99=p99(baseline),
        comparison="added",
        result=median(proxied) - median(baseline),
        target="report",
        met=None,
    )


async def _direct_failover(
    emu: EmulatorProcess, http: httpx2.AsyncClient, a: StoredAccount, b: StoredAccount
) -> float:
    url = f"{emu.base_url}{RESPONSES}"
    body = json.dumps(direct_body(), separators=(",", ":")).encode()
    refused = await http.post(url, content=body, headers=_direct_headers(a))
    if refused.status_code != 429:
        raise RuntimeError(f"account A was expected to refuse, got {refused.status_code}")
    _, _, _, delta_wall = await _Target(http, url, _direct_headers(b)).request()
    return _after_refusal(emu, a.account_id or "", delta_wall)


def _after_refusal(emu: EmulatorProcess, account_id: str, delta_wall: float | None) -> float:
    if delta_wall is None:
        raise RuntimeError("no text delta reached the client")
    for _ in range(100):
        refusals = [
            r
            for r in emu.requests(RESPONSES)
            if r["account_id"] == account_id and r["status"] == 429 and r["finished_at"]
        ]
        if refusals:
            return (delta_wall - float(refusals[-1]["finished_at"])) * 1000
        time.sleep(0.01)
    raise RuntimeError("the emulator recorded no finished 429")


def _last_served(emu: EmulatorProcess) -> str:
    served = [r for r in emu.requests(RESPONSES) if r["status"] == 200]
    emu.clear_requests()
    return str(served[-1]["account_id"])


def _reset_cooldowns(home: Path, base_url: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "multicodex",
            "reset",
            "quota",
            "--home",
            str(home),
            "--auth-url",
            base_url,
            "--backend-url",
            f"{base_url}/backend-api",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _store(home: Path, accounts: list[StoredAccount]) -> None:
    with Store.open(home).transaction() as doc:
        doc.accounts.extend(accounts)


def _direct_headers(account: StoredAccount) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {account.tokens.access_token}",
        "chatgpt-account-id": account.account_id or "",
        "Accept": "text/event-stream",
        "Accept-Encoding": "identity",
        "Content-Type": "application/json",
    }


class _Proxy:
    """``multicodex proxy --port 0`` as a child process (its own GIL, like a real one)."""

    def __init__(self, home: Path, emulator_url: str, package_root: Path | None = None) -> None:
        self._command = [
            sys.executable, "-m", "multicodex", "proxy", "--port", "0", "--home", str(home),
            "--auth-url", emulator_url, "--backend-url", f"{emulator_url}/backend-api",
        ]  # fmt: skip
        self._home = home
        self._env = (
            None if package_root is None else {**os.environ, "PYTHONPATH": str(package_root)}
        )
        self._process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.headers: dict[str, str] = {}

    def __enter__(self) -> _Proxy:
        self._process = subprocess.Popen(
            self._command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self._env
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().decode().strip()
        if not self.base_url.startswith("http://"):
            self.__exit__()
            raise RuntimeError("the proxy did not start")
        secret = (self._home / "proxy-secret").read_text().strip()
        self.headers = {
            "Authorization": f"Bearer {secret}",
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",
            "Content-Type": "application/json",
        }
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        self._process = None
