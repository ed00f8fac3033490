"""Console pages, one module per feature, each with `setup(app)` listed in backoffice.app.PARTS."""
