"""Fixtures shared by every test: one AWS stand-in over HTTP for the session (moto behind the counting proxy
and its in-memory alarm service), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kedawatch.standins import aws


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="the long mode: 10,000 hostile metadata maps, not 150")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[aws.AwsStandIn]:
    server = aws.AwsStandIn().start()
    previous = aws.use_endpoint(server.url)
    yield server
    server.stop()
    aws.restore_environment(previous)


@pytest.fixture
def moto(moto_server: aws.AwsStandIn) -> aws.AwsStandIn:
    moto_server.reset()
    return moto_server
