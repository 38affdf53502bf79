"""Assemble a running service: database, ledger, media cache, providers (or the emulator in
demo mode), the job engine and runner, and the HTTP app. One place wires everything."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.api.app import create_app
from service.config.dynamic import DynamicConfig, RuntimeConfig
from service.jobs.breaker import CircuitBreaker
from service.jobs.bus import EventBus
from service.jobs.credits import JobCredits
from service.jobs.driver import JobDriver
from service.jobs.engine import JobEngine
from service.jobs.estimates import RenderEstimates
from service.jobs.inputs import InputSigner, JobInputs
from service.jobs.policy import RunnerPolicy
from service.jobs.runner import Runner
from service.jobs.transitions import Transitions
from service.ledger import Ledger
from service.ledger.purchases import Purchases
from service.loop_monitor import LoopMonitor
from service.media import MediaStore
from service.media_api import MediaApi
from service.payments import open_purchases
from service.providers.base import ProviderError, ProviderHandle
from service.providers.emulator.core import DEMO_KEY, EmulatorConfig
from service.providers.emulator.server import EmulatorServer
from service.providers.http import create_http_client
from service.providers.registry import AdapterRegistry
from service.providers.secrets import SecretStore
from service.storage.db import create_engine, is_sqlite, session_factory, upgrade
from service.storage.tables import UserRoleRow, UserRow
from shared.catalogue import Catalogue, shipped_catalogue
from shared.config import Settings
from shared.states import Role

log = logging.getLogger(__name__)
VERSION = "0.1.0"


@dataclass
class ServiceContext:
    version: str
    settings: Settings
    demo_mode: bool
    local_token: str
    public_base_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalogue: Catalogue
    bus: EventBus
    config: DynamicConfig
    breaker: CircuitBreaker
    transitions: Transitions
    jobs: JobEngine
    ledger: Ledger
    credits: JobCredits
    media_api: MediaApi
    runner: Runner
    estimates: RenderEstimates
    input_signer: InputSigner
    loop_monitor: LoopMonitor
    purchases: Purchases | None
    registry: AdapterRegistry
    secrets: SecretStore
    emulator: EmulatorServer | None


async def ensure_local_user(sessions: async_sessionmaker[AsyncSession], user_id: str) -> None:
    async with sessions.begin() as session:
        if await session.get(UserRow, user_id) is None:
            session.add(UserRow(id=user_id, display_name="Local profile"))
            await session.flush()
            for role in Role:
                session.add(UserRoleRow(user_id=user_id, role=role.value))


def _owner_id(url: str, settings: Settings) -> str:
    if is_sqlite(url):
        # One local service per data dir: a restart takes its own leases back at once.
        return "local:" + hashlib.sha256(str(settings.data_dir).encode()).hexdigest()[:12]
    return f"{socket.gethostname()}:{os.getpid()}"


def _missing_keys(
    registry: AdapterRegistry, catalogue: Catalogue
) -> Callable[[str], dict[str, str]]:
    configured = registry.configured()

    def unavailable(model: str) -> dict[str, str]:
        return {
            r.name: f"no {r.adapter} key configured"
            for r in catalogue.models[model].routes
            if r.adapter not in configured
        }

    return unavailable


def _start_embedded_emulator(settings: Settings, config: EmulatorConfig | None) -> EmulatorServer:
    """The demo-mode emulator, journaling its tasks in the data dir and coming back on the
    same port, so provider handles persisted before a crash still lead somewhere."""
    state_dir = settings.data_dir / "emulator"
    state_dir.mkdir(parents=True, exist_ok=True)
    config = config or EmulatorConfig(
        queue_s=settings.emulator_queue_s, render_s=settings.emulator_render_s
    )
    config.state_dir = config.state_dir or state_dir
    port_file = state_dir / "port"
    try:
        previous = int(port_file.read_text())
    except (OSError, ValueError):
        previous = 0
    try:
        server = EmulatorServer(config, port=previous)
    except OSError:
        log.warning("emulator port %s is taken; in-flight demo jobs cannot be resumed", previous)
        server = EmulatorServer(config, port=0)
    port_file.write_text(str(server.port))
    return server.start()


async def _sweep_forever(ctx: ServiceContext, every_s: float = 60.0) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            for transfer in await ctx.ledger.sweep_expired():
                if transfer.job_id:
                    log.warning("reservation of job %s expired and was released", transfer.job_id)
            await ctx.credits.release_orphans(ctx.sessions)
        except Exception:
            log.exception("ledger sweep failed")


@contextlib.asynccontextmanager
async def open_service(
    settings: Settings,
    *,
    db_url: str | None,
    token: str,
    public_base_url: str,
    policy: RunnerPolicy | None = None,
    emulator_config: EmulatorConfig | None = None,
    start_runner: bool = True,
) -> AsyncIterator[tuple[ServiceContext, FastAPI]]:
    url = db_url or settings.database_url
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    await ensure_local_user(sessions, settings.user_id)
    catalogue = shipped_catalogue()
    # fal's status streams hold a connection per running job: allow a thousand in flight.
    http = create_http_client(
        limits=httpx.Limits(max_connections=2048, max_keepalive_connections=256)
    )
    secrets = SecretStore(settings.data_dir)
    registry = AdapterRegistry.from_secrets(http, secrets)
    emulator: EmulatorServer | None = None
    demo_mode = not registry.configured()
    if demo_mode and settings.emulator_url:
        key = settings.emulator_key.get_secret_value() if settings.emulator_key else DEMO_KEY
        registry = AdapterRegistry.demo(http, settings.emulator_url, key)
    elif demo_mode:
        emulator = _start_embedded_emulator(settings, emulator_config)
        registry = AdapterRegistry.demo(http, emulator.base_url, emulator.key)
        log.info("demo mode: no provider keys; every model is served by the emulator")
    bus = EventBus()
    config = DynamicConfig(
        sessions,
        RuntimeConfig(
            max_concurrent_per_user=settings.max_concurrent_per_user,
            daily_cap_per_user=settings.daily_cap_per_user,
            price_book=settings.price_book,
            cache_budget_mb=settings.cache_budget_mb,
        ),
    )
    breaker = CircuitBreaker()
    transitions = Transitions(sessions, bus)
    ledger = Ledger(engine, catalogue=catalogue, default_timeout_s=settings.reservation_timeout_s)
    await ledger.ready()
    credits = JobCredits(ledger, bus)
    store = MediaStore.from_settings(settings, engine, http)
    await store.start()
    store.budget_bytes = (await config.get()).cache_budget_mb * 1024 * 1024

    async def apply_budget(changed: RuntimeConfig) -> None:
        store.budget_bytes = changed.cache_budget_mb * 1024 * 1024
        await store.evict_to_budget()

    config.on_change(apply_budget)
    media_api = MediaApi(store, sessions)
    signer = InputSigner()
    jobs = JobEngine(
        sessions=sessions,
        catalogue=catalogue,
        ledger=credits,
        config=config,
        breaker=breaker,
        transitions=transitions,
        unavailable_routes_fn=_missing_keys(registry, catalogue),
    )
    policy = policy or RunnerPolicy()
    driver = JobDriver(
        engine=jobs,
        catalogue=catalogue,
        transitions=transitions,
        ledger=credits,
        breaker=breaker,
        adapters=registry.adapter,
        media=media_api,
        inputs=JobInputs(media_api, signer, public_base_url),
        policy=policy,
    )
    runner = Runner(
        sessions,
        driver,
        owner=_owner_id(url, settings),
        policy=policy,
        postgres=not is_sqlite(url),
    )
    jobs.runner = runner

    async def cancel_at_provider(raw_handle: dict[str, Any]) -> None:
        handle = ProviderHandle.model_validate(raw_handle)
        try:
            await registry.adapter(handle.adapter).cancel(handle)
        except ProviderError as exc:
            log.info("provider cancel of %s failed: %s", handle.task_id, exc.message)

    jobs.cancel_at_provider = cancel_at_provider
    emulator_url = emulator.base_url if emulator is not None else settings.emulator_url
    emulator_key = (
        emulator.key
        if emulator is not None
        else (settings.emulator_key.get_secret_value() if settings.emulator_key else DEMO_KEY)
    )
    purchases, stripe = await open_purchases(
        settings,
        ledger,
        public_base_url,
        emulator_url=emulator_url if demo_mode else None,
        emulator_key=emulator_key if demo_mode else None,
    )
    ctx = ServiceContext(
        version=VERSION,
        settings=settings,
        demo_mode=demo_mode,
        local_token=token,
        public_base_url=public_base_url,
        engine=engine,
        sessions=sessions,
        catalogue=catalogue,
        loop_monitor=LoopMonitor(),
        purchases=purchases,
        bus=bus,
        config=config,
        breaker=breaker,
        transitions=transitions,
        jobs=jobs,
        ledger=ledger,
        credits=credits,
        media_api=media_api,
        runner=runner,
        estimates=RenderEstimates(sessions, catalogue),
        input_signer=signer,
        registry=registry,
        secrets=secrets,
        emulator=emulator,
    )
    from service.api.routes import credits as credit_routes
    from service.api.routes import purchases as purchase_routes

    app = create_app(ctx, extra_routers=[credit_routes.router, purchase_routes.router])
    await credits.release_orphans(sessions)
    sweeper = asyncio.create_task(_sweep_forever(ctx))
    ctx.loop_monitor.start()
    if start_runner and settings.runner_enabled:
        await runner.start()
    try:
        yield ctx, app
    finally:
        await ctx.loop_monitor.stop()
        sweeper.cancel()
        await runner.stop()
        await jobs.hot.close()
        await store.aclose()
        if stripe is not None:
            await stripe.aclose()
        await ledger.close()
        await http.aclose()
        if emulator is not None:
            emulator.stop()
        await engine.dispose()
