"""Provider adapters behind one interface, and the emulator that speaks their protocols.

- base: the interface (ProviderAdapter) and its values (SubmitRequest, ProviderHandle,
  ProviderUpdate, ProviderResult, ProviderError, EndpointConfig)
- fal, kie, gemini, kling, pollo, runway: one adapter per provider (providers.md)
- http: the shared httpx client and HTTP-failure -> ErrorCode translation
- images: how the input image travels (URL, data URL, base64)
- jwt: HS256 tokens for Kling
- registry: adapters from one client plus per-provider endpoints (demo or real keys)
- secrets: SecretStore (OS keychain, or a visible 0600 fallback file)
- emulator/: the provider emulator (`reelcraft emulator`)
"""
