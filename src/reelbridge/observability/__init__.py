"""Metrics (prometheus-client), structured logs with request ids, health probes."""

from reelbridge.observability.access import AccessLog
from reelbridge.observability.http import RequestContext, health_routes
from reelbridge.observability.logs import (
    REQUEST_ID_HEADER,
    JsonFormatter,
    current_request_id,
    logging_config,
    new_request_id,
    set_request_id,
)
from reelbridge.observability.metrics import (
    CONTENT_TYPE,
    MULTIPROCESS_ENV,
    AggregatorMetrics,
    Metrics,
    ProviderMetrics,
    exposition_of,
    observing,
)

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROCESS_ENV",
    "REQUEST_ID_HEADER",
    "AccessLog",
    "AggregatorMetrics",
    "JsonFormatter",
    "Metrics",
    "ProviderMetrics",
    "RequestContext",
    "current_request_id",
    "exposition_of",
    "health_routes",
    "logging_config",
    "new_request_id",
    "observing",
    "set_request_id",
]
