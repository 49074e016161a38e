"""Fixtures shared by every test: one AWS stand-in over HTTP for the session (moto behind the counting proxy
and its in-memory alarm service), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from kedawatch.standins import aws

REGION = "us-east-1"
"""The stand-ins' region (DUMMY_CREDENTIALS sets it for boto3)."""

pytest_plugins = ("tests.promql_fixtures",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="the long mode: 10,000 hostile metadata maps, not 150")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[aws.AwsStandIn]:
    server = aws.AwsStandIn().start()
    with aws.pointed_at(server.url):
        yield server
    server.stop()


@pytest.fixture
def moto(moto_server: aws.AwsStandIn) -> aws.AwsStandIn:
    moto_server.reset()
    return moto_server


@pytest.fixture
def sqs(moto: aws.AwsStandIn) -> Any:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def cloudwatch(moto: aws.AwsStandIn) -> Any:
    return boto3.client("cloudwatch", region_name=REGION)
