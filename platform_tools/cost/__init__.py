"""The monthly cost estimate of an environment, from its rendered resources and the price table."""
