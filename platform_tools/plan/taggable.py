"""Which AWS resource types take tags: read from the pulumi-aws SDK itself, not a hand-kept list."""

from __future__ import annotations

import importlib
import inspect
from functools import cache


@cache
def is_taggable(type_token: str) -> bool:
    """`aws:s3/bucketVersioning:BucketVersioning` -> does `pulumi_aws.s3.BucketVersioning` take `tags`?"""
    try:
        package, module_path, class_name = type_token.split(":")
    except ValueError:
        return False
    if package != "aws":
        return False
    module_name = module_path.split("/")[0]
    module_name = {"lambda": "lambda_", "index": ""}.get(module_name, module_name)
    try:
        module = importlib.import_module("pulumi_aws" + (f".{module_name}" if module_name else ""))
        cls = getattr(module, class_name)
    except (ImportError, AttributeError):
        return False
    return "tags" in inspect.signature(cls._internal_init).parameters
