"""The terminal interface: thin screens over the coding state machine and the metrics."""
