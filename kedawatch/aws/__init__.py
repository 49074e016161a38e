"""The only package that imports boto3 or botocore.

Clients are cached per identity (region, role and for whom it is assumed, endpoint) and bounded by timeouts
that fit KEDA's deadlines; botocore's exceptions are translated into `errors.AwsError` here, so callers above
never see them. No asyncio here: every call is synchronous and callers run it in a worker thread.
"""
