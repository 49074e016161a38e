"""Local stand-ins for AWS, used by `kedawatch demo`, the tests and the benchmarks; never by production code.

Needs the `demo` extra: moto for AWS (with `alarms`, the CloudWatch alarm service moto lacks, in front of it),
kmock for the Kubernetes API. Everything listens on loopback only.
"""
