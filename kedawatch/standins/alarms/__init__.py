"""An in-memory CloudWatch alarm service, in front of moto, for what moto 5.2.5 lacks or gets wrong.

It answers, over HTTP in boto3's own protocols (`kedawatch.aws.wire`), PutMetricAlarm (every member of the
pinned model), PutCompositeAlarm, PutLogAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
SetAlarmState, Enable/DisableAlarmActions, the tags of alarms and mute rules, the tagging API's GetResources
for them, the alarm mute rules and DescribeAlarmContributors; `kedawatch.standins.aws.CountingProxy` sends it
those calls and everything else to moto. What AWS refuses, it refuses with AWS's code and status: the module
docstrings of `metric_alarms`, `composite_alarms`, `log_alarms`, `mute_rules` and `service` list every rule.

What it does not model:
- no evaluation: no metric, metric math, Metrics Insights, PromQL or Logs Insights query is ever run, so an
  alarm's state changes only by SetAlarmState, contributors only by `AlarmService.set_contributors`, and
  EvaluationState, warm-up periods, evaluation windows and mute windows change nothing;
- no actions or notifications (SNS, Lambda, Auto Scaling, EC2, Systems Manager), and no check that an action's
  target exists; nor tag propagation, action suppression (ActionsSuppressedBy) or muting of actions;
- no alarm history (DescribeAlarmHistory goes to moto, which knows none of these alarms);
- no IAM, no quotas or throttling (the proxy's `inject()` does that), no scheduled query in CloudWatch Logs
  behind a log alarm, no tag policies (GetResources' compliance details say every resource complies);
- deleting an alarm that a composite alarm's rule names is not refused, and composite rule cycles are not
  detected;
- requests in the query protocol (which botocore 1.44 does not send to CloudWatch) go to moto.
"""
