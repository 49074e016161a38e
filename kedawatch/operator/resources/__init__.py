"""Each kind declared once: its spec fields with their OpenAPI schema and AWS parameter, its cross-field
rules as CEL for the API server and as Python for the operator, and the CRD generated from both.

No I/O here.
"""
