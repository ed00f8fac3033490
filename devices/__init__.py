"""Hardware abstraction: one contract per device class, drivers behind a registry.

The core is here (``contracts``, ``base``, ``status``, ``errors``, ``records``,
``registry``, ``hotplug``, and ``simulation``, the fault machinery every twin
shares); each device class has its folder (``id_reader/``,
``receipt_printer/``, ``document_printer/``, ``code_scanner/``,
``ticket_dispenser/``, ``help_panel/``) with its protocol, drivers, simulated
twin and CLI. ``testing/`` holds protocol test peers, which production code
never imports. Importing this package opens nothing; devices are built from
configuration through :mod:`devices.registry` and opened explicitly.
"""
