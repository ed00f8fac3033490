"""Resident ID card readers: the GA/T 467 SAM protocol, its serial driver, the simulated twin and its sample cards."""
