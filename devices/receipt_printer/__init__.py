"""Thermal receipt printers over ESC/POS: encoder, real-time status, driver, one module per transport, the twin."""
