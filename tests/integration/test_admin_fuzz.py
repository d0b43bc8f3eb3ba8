"""The admin API against arbitrary input, driven by its own OpenAPI description: every
operation it describes, with bodies that follow the schema, bend it or ignore it, odd
query and path values — and no answer is ever a 500 (a refusal is a JSON 4xx).
Hypothesis, bounded: at most ~30 s per engine."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from reelbridge.aggregator.admin_api import AdminApi
from reelbridge.aggregator.openapi import admin_openapi
from reelbridge.aggregator.wallet import ClientTokens
from reelbridge.observability import AggregatorMetrics
from reelbridge.storage import engine_from_url

from .support import ADMIN_TOKEN, Aggregator

DOC = admin_openapi()
OPERATIONS = [
    (path, method, op) for path, ops in DOC["paths"].items() for method, op in ops.items()
]
SCHEMAS = DOC["components"]["schemas"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "EUR", "10.00", "1e400", "0.00001", "-5", "@admin", "\x00", "../x"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def valid_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Something close to what the schema asks for (to get past the first checks)."""
    kind = schema.get("type")
    if kind == "string":
        if schema.get("pattern") == "^[A-Z]{3}$":
            return st.sampled_from(["EUR", "USD", "XXX"])
        return st.text(min_size=1, max_size=30).filter(lambda t: "\x00" not in t)
    if kind == "integer":
        return st.integers(min_value=-5, max_value=10**10)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(valid_value(schema.get("items", {})), min_size=1, max_size=3)
    if "anyOf" in schema:
        return st.one_of(*(valid_value(s) for s in schema["anyOf"]))
    return st.one_of(st.sampled_from(["10.50", "0", "-1", "1e3"]), st.integers(), json_values)


def bodies(schema_ref: dict[str, Any]) -> st.SearchStrategy[bytes]:
    schema = SCHEMAS[schema_ref["$ref"].rsplit("/", 1)[1]]
    fields = {
        name: st.one_of(valid_value(s), json_values) for name, s in schema["properties"].items()
    }
    shaped = st.fixed_dictionaries({}, optional=fields).map(lambda d: json.dumps(d).encode())
    extra = st.dictionaries(st.text(max_size=10), json_values, max_size=3)
    return st.one_of(
        shaped,
        shaped,
        st.tuples(shaped, extra).map(lambda t: json.dumps({**json.loads(t[0]), **t[1]}).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
    )


def requests() -> st.SearchStrategy[tuple[str, str, dict[str, str], bytes | None]]:
    options = []
    for path, method, op in OPERATIONS:
        params = op.get("parameters", [])
        path_names = [p["name"] for p in params if p["in"] == "path"]
        query_names = [p["name"] for p in params if p["in"] == "query"] + ["bogus"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        options.append(
            st.tuples(
                st.just(method),
                st.fixed_dictionaries(
                    {n: st.text(min_size=1, max_size=20) for n in path_names}
                ).map(
                    lambda values, path=path: path.format(
                        **{k: quote(v, safe="") for k, v in values.items()}
                    )
                ),
                st.dictionaries(st.sampled_from(query_names), st.text(max_size=20), max_size=3),
                bodies(body["schema"]) if body else st.none(),
            )
        )
    return st.one_of(*options)


def test_the_description_covers_every_admin_route() -> None:
    engine = engine_from_url("sqlite:///:memory:")
    api = AdminApi(
        engine=engine, admin_token="t" * 30, tokens=ClientTokens(engine=engine), clock=lambda: 0,
        session_ttl_seconds=1, metrics=AggregatorMetrics(), fingerprint_key=b"k",
    )  # fmt: skip
    described = {(path, method.upper()) for path, method, _ in OPERATIONS}
    for route in api.routes():
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":
                assert (route.path, method) in described, f"{method} {route.path} not described"


def test_the_description_is_served_behind_the_token(running_aggregator: Aggregator) -> None:
    url = f"{running_aggregator.base_url}/admin/openapi.json"
    assert httpx.get(url).status_code == 401
    served = httpx.get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
    assert served["openapi"].startswith("3.1") and served["paths"].keys() == DOC["paths"].keys()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=requests())
def test_no_input_gets_a_server_error(
    running_aggregator: Aggregator, request: tuple[str, str, dict[str, str], bytes | None]
) -> None:
    method, path, query, body = request
    response = httpx.request(
        method.upper(),
        running_aggregator.base_url + path,
        params=query,
        content=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code < 500, (method, path, query, body, response.text[:300])
    if response.status_code >= 400 and response.status_code != 404:  # 404: also no such route
        assert "error" in response.json(), response.text[:300]  # a JSON refusal, not a page
