"""The back office: the server that watches the fleet. It speaks the wire contract (wire/) and never imports the
kiosk runtime or the device layer; installed with the `backoffice` extra, never on a kiosk."""
