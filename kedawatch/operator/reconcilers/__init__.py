"""Plain async functions that make AWS match a resource, and report what they did as a status patch.

They know nothing of kopf: `operator/main.py` unpacks kopf's arguments and calls them, so tests and the
demo can run them directly. A transient failure raises `Retry`; everything else ends in a condition.
"""
