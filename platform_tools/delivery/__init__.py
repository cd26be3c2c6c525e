"""Delivery tooling: ephemeral environments, drift checks and code ownership (tasks `env`, `drift`)."""
