"""Schema-driven fuzzing: schemathesis generates requests (valid and invalid) from the app's own
OpenAPI document for every operation, with each role's key and with none, against a real
`facegate serve`; not one answer may be a server error. Derandomized and small (a few examples
an operation), so it runs the same way every time in about a minute."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.helpers import ADMIN, REPO_ROOT, enroll, fresh_database, photos, server, server_door

EXAMPLES = 20
# The live feed holds its answer open for minutes by design (tests/test_web_api.py covers it).
NOT_FUZZED = {("GET", "/web/events/stream")}
ROLES = ["none", "terminal", "enroll", "admin"]  # admin last: it may revoke keys and delete rows


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    """A server with a door, a person and a key per role; failed sign-ins do not lock the fuzzer out."""
    directory = tmp_path_factory.mktemp("fuzz")
    for database_url in fresh_database(directory):
        with server(database_url, directory / "data", PYTHONPATH=str(REPO_ROOT),
                    FACEGATE_AUTH_FAILURES_PER_MINUTE="1000000") as (url, _):
            door = server_door(url)
            with httpx.Client(base_url=url, headers=ADMIN, timeout=60) as admin:
                enroll(admin, "Colin Powell", photos("Colin_Powell")[:2])  # type: ignore[arg-type]
                keys = {role: admin.post("/v1/admin/keys", json={"role": role, "name": f"fuzz {role}",
                                                                  "door_id": door if role == "terminal" else None})
                        .json()["key"] for role in ("terminal", "enroll")}
            headers = {"none": {}, "admin": ADMIN, **{r: {"Authorization": f"Bearer {k}"} for r, k in keys.items()}}
            yield url, headers


@pytest.mark.parametrize("role", ROLES)
def test_no_generated_request_gets_a_server_error(fuzzed: tuple[str, dict[str, dict[str, str]]], role: str) -> None:
    url, headers = fuzzed
    schema = schemathesis.openapi.from_dict(httpx.get(f"{url}/openapi.json", timeout=30).json())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # the whole API, not an empty document
    for operation in operations:
        if (operation.method.upper(), operation.path) in NOT_FUZZED:
            continue
        cases = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                          operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=cases)
        def call(case: schemathesis.Case) -> None:
            # The role's own key replaces whatever Authorization the generator made up.
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            response = case.call(base_url=url, headers=headers[role], timeout=60)
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except (AssertionError, BaseExceptionGroup):  # schemathesis' failure: noted, the rest still run
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:300]}")

        call()
    assert failures == []
