"""The kopf operator: CloudWatch alarms and alarm mute rules as Kubernetes resources.

`resources/` declares each kind once (fields, schema, CEL rules, AWS mapping) and generates its CRD;
`reconcilers/` holds plain async functions that make AWS match a resource; `main.py` is only kopf's
routing table. AWS is reached through `kedawatch.aws`, never directly.
"""
