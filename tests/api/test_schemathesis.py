"""Schemathesis (its CLI, as partners would run it) drives every operation of the served OpenAPI schema against a
live server: no server errors and no response that contradicts the schema."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from partners.models import Partner
from partners.services import partner_key_issue
from tests.factories import RoomTypeFactory, future, open_nights

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_api_honours_its_schema(live_server, settings, tmp_path):
    settings.PARTNER_API_THROTTLE_RATE = "100000/min"
    rt = RoomTypeFactory()
    open_nights(rt, future(1), 60, rooms=500)
    key = partner_key_issue(partner=Partner.objects.create(name=f"Fuzzer {uuid.uuid4().hex[:6]}"))
    cli = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(  # noqa: S603
        [
            str(cli),
            "run",
            f"{live_server.url}/api/v1/schema/?format=json",
            "-H",
            f"Authorization: Api-Key {key}",
            "-H",
            "Idempotency-Key: fuzz-" + uuid.uuid4().hex,
            "--checks",
            CHECKS,
            "--max-examples",
            "20",
            "--seed",
            "7",
            "--generation-deterministic",
            "--request-timeout",
            "20",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
