"""`kedawatch demo`: the reference scenario replayed on local stand-ins, with the real scaler and operator.

`world` simulates what is not ours (the app's producer and consumers, Container Insights, CloudWatch's
alarm evaluation, which the AWS stand-in lacks), `keda` drives the scaler as KEDA and the HPA do, and `scenario`
wires everything together and reports. Needs the `demo` extra.
"""
