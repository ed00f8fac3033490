"""The kiosk side of fleet reporting: health (the snapshot), reporter (the MQTT link), outbox (durable events),
gate (which commands are admitted), remote (command handlers, registered by name) and link (wiring them to a
built kiosk). What goes over the wire is the `wire` package's."""
