"""Generated from `protos/externalscaler.proto` by `make protos`: never edit these files by hand."""
