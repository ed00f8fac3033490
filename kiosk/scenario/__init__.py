"""Flow tests as files: scenarios beside each flow, run on a virtual clock."""
