"""What the kiosk prints beyond receipts: document templates checked when a flow loads (templates), and their
rendering to A4 PDF (pdf)."""
