"""kedawatch: CloudWatch-centred autoscaling and alarms for Kubernetes.

`kedawatch.scaler` is KEDA's external scaler for SQS and CloudWatch; `kedawatch.aws` is the only code
that talks to AWS. The console script and `python -m kedawatch` both enter through `kedawatch.cli`.
"""

__version__ = "0.1.0"
