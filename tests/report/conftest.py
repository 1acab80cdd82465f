from __future__ import annotations

import pytest
from report_fixtures import Fixture, build_fixture


@pytest.fixture
def fixture() -> Fixture:
    return build_fixture()
