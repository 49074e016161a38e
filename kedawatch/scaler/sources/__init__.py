"""One module per AWS source, each the same shape: a metadata dataclass declared with `metadata.param`,
its `validate()` for rules across fields, then how it names its metric, what it reads and its value.

`base` holds the parameters every AWS source shares (region, endpoint, role). No I/O here.
"""
