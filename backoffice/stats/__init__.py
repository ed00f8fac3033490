"""Service statistics for hall managers, counted from the kiosks' Visit events: visits per item, hall and day,
completion and failure rates with reasons, busiest hours, printed pages. The page and CSV are
backoffice.stats.pages; the counting is backoffice.stats.facts."""
