"""Alerts: rules over each kiosk's current facts and its births, raised once per kiosk and rule, cleared by
the facts (conditions) or by an operator (events), suppressed in maintenance windows, and sent to each hall's
webhooks and mailboxes. The web part (pages, API) is backoffice.alerts.pages."""
