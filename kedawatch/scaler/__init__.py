"""KEDA's external scaler for SQS and CloudWatch.

`metadata` parses trigger metadata, `sources/` declares one module per AWS source, `triggers` picks the
source, `sessions` says for whom a trigger's role is assumed, `hub` is the MetricHub through which every AWS
read goes, `service` maps KEDA's RPCs onto the hub and `server` runs the gRPC server. Nothing here imports
boto3: AWS is reached through `kedawatch.aws`.
"""
