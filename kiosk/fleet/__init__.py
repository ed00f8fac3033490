"""Fleet reporting: the health snapshot, a durable outbox, and the MQTT link."""
