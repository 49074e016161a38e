"""Local stand-ins for AWS, used by `kedawatch demo`, the tests and the benchmarks; never by production code.

Needs the `demo` extra: moto for AWS, kmock for the Kubernetes API. Everything listens on loopback only.
"""
