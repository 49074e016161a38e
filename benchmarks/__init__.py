"""Benchmarks of kedawatch against KEDA's built-in scalers, each run as `python -m benchmarks.NAME`.

Shared pieces live in `_common`; kedawatch itself never imports from here.
"""
