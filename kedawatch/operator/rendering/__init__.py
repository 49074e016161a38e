"""What an AppObservability becomes: a KEDA ScaledObject, CloudWatchMetricAlarm and CloudWatchLogAlarm objects,
CloudWatchAlarmMuteRule objects for its maintenance windows, a dashboard.

Pure functions of the object and the operator's settings, shared by the operator and `kedawatch render`, so
what a pull request shows is exactly what the operator will create. `app` renders the whole; one module for
each child (`scaled_object`, `alarm_presets`, `log_presets`, `maintenance`, `dashboard`), and what every child
carries (`owned`); `documents` reads and prints YAML for the CLI.
No I/O here but the CLI's text.
"""
