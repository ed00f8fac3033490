"""Hardware abstraction: one contract per device class, drivers behind a registry.

Importing this package opens nothing; devices are built from configuration
through :mod:`devices.registry` and opened explicitly.
"""
