"""Validated stack configuration: the environment profile and each layer's typed settings."""

from shared.config.environment import Environment
from shared.config.errors import ConfigError, ConfigProblem
from shared.config.loader import load_layer_config

__all__ = ["ConfigError", "ConfigProblem", "Environment", "load_layer_config"]
