"""The provider's HTTP boundary: aggregator-facing endpoints, game API, admin API,
remote-engine API and metrics. Handlers decode, call the domain, encode; no SQL here."""
