"""Protocol test peers (fake readers and printers, an IPP server, a fake evdev bus, a pty peer): tests and benchmarks only."""
