"""The flow format: model, safe loading, migration, lint and compilation."""
