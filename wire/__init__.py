"""The wire contract between a kiosk and its back office: topics, typed messages, commands, signing.

Both sides import this package and nothing else of each other: it imports
neither `kiosk` nor `devices` (tests/test_layering.py holds it to that), so
the operations console and the help desk can be built against it without
the kiosk runtime. docs/operations.md documents it; tests/fleet/
test_wire_doc.py checks the two say the same.
"""
