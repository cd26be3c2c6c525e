"""Components of the data layer: the environment's KMS key, Aurora PostgreSQL, DynamoDB tables, the audit bucket."""
