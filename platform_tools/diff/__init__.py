"""`invoke diff`: what a change does to every environment, from two offline plans (no AWS, no Pulumi CLI)."""
