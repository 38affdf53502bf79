"""Build adapters from one shared HTTP client and per-provider endpoints.

    client = create_http_client()
    registry = AdapterRegistry.demo(client, emulator.base_url, emulator.key)   # demo mode
    registry = AdapterRegistry.from_secrets(client, SecretStore(data_dir))     # real keys
    adapter = registry.for_route(route)

Secret names in the SecretStore: the adapter name (`fal`, `kie`, `gemini`, `pollo`,
`runway`, and `kling` for Kling's access key) plus `kling_secret` for Kling's secret key.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pydantic import SecretStr

from service.providers.base import EndpointConfig, ProviderAdapter, ProviderError
from service.providers.fal import FalAdapter
from service.providers.gemini import GeminiAdapter
from service.providers.kie import KieAdapter
from service.providers.kling import KlingAdapter
from service.providers.pollo import PolloAdapter
from service.providers.runway import RunwayAdapter
from service.providers.secrets import SecretStore
from shared.catalogue.schema import Route
from shared.errors import ErrorCode
from shared.logging import register_secret

ADAPTERS: dict[str, type[ProviderAdapter]] = {
    cls.name: cls
    for cls in (FalAdapter, KieAdapter, GeminiAdapter, KlingAdapter, PolloAdapter, RunwayAdapter)
}

PROVIDER_BASE_URLS: dict[str, str] = {
    "fal": "https://queue.fal.run",
    "kie": "https://api.kie.ai",
    "gemini": "https://generativelanguage.googleapis.com",
    "kling": "https://api-singapore.klingai.com",
    "pollo": "https://pollo.ai",
    "runway": "https://api.dev.runwayml.com",
}
KLING_SECRET_NAME = "kling_secret"


class AdapterRegistry:
    def __init__(self, client: httpx.AsyncClient, endpoints: Mapping[str, EndpointConfig]):
        unknown = set(endpoints) - set(ADAPTERS)
        if unknown:
            raise ValueError(f"unknown adapters: {sorted(unknown)}")
        self.client = client
        self._adapters: dict[str, ProviderAdapter] = {}
        for name, endpoint in endpoints.items():
            register_secret(endpoint.key.get_secret_value())
            if endpoint.secret_key is not None:
                register_secret(endpoint.secret_key.get_secret_value())
            self._adapters[name] = ADAPTERS[name](client, endpoint)

    @classmethod
    def demo(cls, client: httpx.AsyncClient, emulator_url: str, key: str) -> AdapterRegistry:
        """Every adapter pointed at the emulator, which takes one key for all of them."""
        endpoint = EndpointConfig(base_url=emulator_url, key=SecretStr(key))
        return cls(client, dict.fromkeys(ADAPTERS, endpoint))

    @classmethod
    def from_secrets(
        cls,
        client: httpx.AsyncClient,
        store: SecretStore,
        base_urls: Mapping[str, str] | None = None,
    ) -> AdapterRegistry:
        """The providers that have a key; the others stay unconfigured (routes unavailable)."""
        urls = {**PROVIDER_BASE_URLS, **(base_urls or {})}
        endpoints: dict[str, EndpointConfig] = {}
        for name in ADAPTERS:
            key = store.get(name)
            if not key:
                continue
            secret = store.get(KLING_SECRET_NAME) if name == "kling" else None
            if name == "kling" and not secret:
                continue  # Kling needs both halves to sign a token
            endpoints[name] = EndpointConfig(
                base_url=urls[name],
                key=SecretStr(key),
                secret_key=SecretStr(secret) if secret else None,
            )
        return cls(client, endpoints)

    def configured(self) -> frozenset[str]:
        return frozenset(self._adapters)

    def adapter(self, name: str) -> ProviderAdapter:
        try:
            return self._adapters[name]
        except KeyError:
            raise ProviderError(
                ErrorCode.MODEL_UNAVAILABLE, f"no key is configured for {name}"
            ) from None

    def for_route(self, route: Route) -> ProviderAdapter:
        return self.adapter(route.adapter)
