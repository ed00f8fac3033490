"""A4 document printers over IPP (CUPS or the printer itself): codec, driver, test page, the twin."""
