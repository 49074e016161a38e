"""AWS's naming rules, once, for every component that checks a name before sending it anywhere. No calls here.

The scaler's trigger parser and the operator's AppObservability rendering both call these, so a trigger the
operator generates is one the scaler accepts, and the other way round. Each check returns what is wrong with
a value, or None; each pattern is written for both Python's `re` and the ECMA regular expressions of a CRD
schema (so digits are `[0-9]`: Python's `\\d` would also match other scripts' digits).
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse

__all__ = [
    "ACCOUNT_ID",
    "MESSAGES",
    "REGION",
    "ROLE_ARN",
    "account_id_problem",
    "cluster_name_problem",
    "endpoint_problem",
    "external_id_problem",
    "monitoring_endpoint_region",
    "queue_name",
    "queue_url_problem",
    "region_problem",
    "role_arn_problem",
    "role_session_name",
]

REGION = r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"
ROLE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$"
"""IAM's role path and name characters (ASCII only), after any partition's `arn:aws...` prefix."""
ACCOUNT_ID = r"^[0-9]{12}$"
_MONITORING_ENDPOINT = re.compile(
    rf"^https://monitoring\.(?P<region>{REGION[1:-1]})\.amazonaws\.com(?P<china>\.cn)?/?$"
)
"""CloudWatch's regional endpoint (the host of its PromQL API too); China's regions are under amazonaws.com.cn."""
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$")
"""SQS: 1 to 80 letters, digits, hyphens and underscores, a FIFO queue's `.fifo` suffix included."""
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")
"""STS AssumeRole's ExternalId: `[\\w+=,.@:\\/-]*`, 2 to 1224 characters."""
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
"""An EKS cluster's name (letters, digits, `-`, `_`; the chart's schema also takes `.`), at most 100 characters:
a valid STS session tag value and external id part as it is."""


MESSAGES = {
    REGION: "must be an AWS region such as us-east-1",
    ROLE_ARN: "must be an IAM role ARN: arn:aws:iam::<account>:role/<name>",
    ACCOUNT_ID: "must be a 12-digit AWS account id",
}
"""What a value that does not match each pattern is told, by the scaler and in a CRD's validation alike."""


def region_problem(value: str) -> str | None:
    return None if re.fullmatch(REGION, value) else MESSAGES[REGION]


def role_arn_problem(value: str) -> str | None:
    return None if re.fullmatch(ROLE_ARN, value) else MESSAGES[ROLE_ARN]


def account_id_problem(value: str) -> str | None:
    return None if re.fullmatch(ACCOUNT_ID, value) else MESSAGES[ACCOUNT_ID]


def endpoint_problem(value: str) -> str | None:
    url = urllib.parse.urlsplit(value)
    return None if url.scheme in ("http", "https") and url.netloc else "must be an http(s) URL"


def monitoring_endpoint_region(value: str) -> str | None:
    """The region whose CloudWatch endpoint `value` is (`https://monitoring.<region>.amazonaws.com`, the same
    host botocore resolves for the region), or None when it is any other URL."""
    found = _MONITORING_ENDPOINT.fullmatch(value)
    if found is None or bool(found["china"]) != found["region"].startswith("cn-"):
        return None
    return found["region"]


def queue_name(value: str) -> str | None:
    """The queue's name, as KEDA's `aws-sqs-queue` takes it: a URL's path must be exactly `/<account>/<name>`;
    a value that is no URL is the name itself. None when the value names no queue SQS could have."""
    url = urllib.parse.urlsplit(value)
    if not url.scheme:
        name = value
    else:
        parts = url.path.split("/")
        if len(parts) != 3 or not parts[1]:
            return None
        name = parts[2]
    return name if _QUEUE_NAME.fullmatch(name) else None


def queue_url_problem(value: str) -> str | None:
    if queue_name(value) is not None:
        return None
    return (
        "must be a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<queue>, whose queue name is"
        " 1 to 80 letters, digits, hyphens or underscores (with .fifo for a FIFO queue)"
    )


def cluster_name_problem(value: str) -> str | None:
    if _CLUSTER_NAME.fullmatch(value):
        return None
    return "must be 1 to 100 letters, digits, '.', '-' or '_', starting with a letter or digit"


def external_id_problem(value: str) -> str | None:
    if _EXTERNAL_ID.fullmatch(value):
        return None
    return "must be 2 to 1224 letters, digits or any of _+=,.@:/- (STS's ExternalId)"


def role_session_name(text: str) -> str:
    """`text` as an STS RoleSessionName (`[\\w+=,.@-]`, `\\w` as Java reads it: ASCII; 2 to 64 characters):
    other characters become `-`; one too long keeps its first 55 characters and a hash of the whole, so that two
    long texts alike at the start still get two names."""
    name = re.sub(r"[^A-Za-z0-9_+=,.@-]", "-", text).ljust(2, "-")
    if len(name) > 64:
        name = f"{name[:55]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return name
