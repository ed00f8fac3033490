"""QR and barcode scanners: keyboard wedge (evdev), serial (USB-COM), the twin."""
