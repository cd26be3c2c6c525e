"""Components of the compute layer: the payment functions, their roles, log groups and DLQ."""
