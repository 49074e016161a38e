"""`kedawatch migrate`: manifests of the archived k8s-cloudwatch-adapter (HPAs and their `metrics.aws`
ExternalMetrics) and of the reference alarms controller (`cw.aws.com`) as kedawatch's objects.

Pure functions from documents to documents, each output carrying notes (YAML comments) on what it could not
carry over and why; the command line (`kedawatch.cli`) reads the files and prints. No I/O here.
"""
