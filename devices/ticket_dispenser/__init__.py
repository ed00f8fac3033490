"""Queue tickets: numbering (local SQLite or a hall's system over HTTP) printed on a receipt printer; the twin."""
