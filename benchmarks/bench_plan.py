"""Benchmark the offline plan against the bare mock engine, and time the test suite.

    .venv/bin/python benchmarks/bench_plan.py [--runs 5] [--suite]

Targets (issue 2): `invoke plan --env all` <= 3 s wall on a 2-core machine and <= 1.5x the bare
mock engine registering the same resources. Issue 14: `--env all` with its worker processes
<= 0.75x the same command rendering the environments one after another in one process
(`--jobs 1`), and the whole test suite (`pytest -n auto`, as the README runs it) <= 45 s wall.

The bare baseline is a process that registers exactly the resources the plan rendered (same
types, names, parents and inputs) through the SDK's own resource classes (`pulumi_aws.ec2.Vpc`
...; `ComponentResource` for components) under `set_mocks` with a mock that answers nothing,
once per layer and environment: what the SDK and its mock engine cost with no program, no
config, no upstream wiring, no realistic answers and no reporting.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The running interpreter and its own scripts folder: the benchmark works wherever the venv is.
PYTHON = Path(sys.executable)
INVOKE = Path(sysconfig.get_path("scripts")) / "invoke"
SUITE = [str(PYTHON), "-m", "pytest", "-n", "auto", "-p", "no:cacheprovider"]  # the README's test command

BARE = r'''
import importlib, json, re, sys
import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

documents = json.load(open(sys.argv[1]))

def resource_class(type_):
    # aws:ec2/vpc:Vpc -> pulumi_aws.ec2.Vpc; pulumi:providers:aws -> pulumi_aws.Provider
    if type_ == "pulumi:providers:aws":
        return importlib.import_module("pulumi_aws").Provider
    package, module, name = type_.split(":")
    module = module.split("/")[0]
    module = {"lambda": "lambda_"}.get(module, module)
    try:
        return getattr(importlib.import_module(f"pulumi_{package}." + module), name)
    except (ImportError, AttributeError):
        raise TypeError(f"no SDK class for {type_}") from None  # counted as a fallback below

def snake(key):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()

class Nothing(mocks.Mocks):
    def new_resource(self, args):
        return args.name + "-id", {}
    def call(self, args):
        return {}

fallbacks = 0
for document in documents:
    for layer in document["layers"]:
        settings.ROOT.set(None)
        mocks.set_mocks(Nothing(), project=layer["project"], stack=layer["stack"], preview=False)
        def program(resources=layer["resources"]):
            global fallbacks
            made = {}
            for r in resources:
                opts = pulumi.ResourceOptions(parent=made.get(r["parent"]))
                if not r["custom"]:
                    made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)
                    continue
                inputs = dict(r["inputs"])
                if isinstance(inputs.get("defaultTags"), str):
                    inputs["defaultTags"] = json.loads(inputs["defaultTags"])
                # The SDK's own class, as a program uses it (same inputs, same output properties).
                try:
                    made[r["urn"]] = resource_class(r["type"])(r["name"], opts=opts, **{snake(k): v for k, v in inputs.items()})
                except TypeError:
                    fallbacks += 1
                    made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], inputs, opts)
        _sync_await(run_pulumi_func(program))
print(f"fallbacks={fallbacks}", file=sys.stderr)
'''


def timed(cmd: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite once")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        plan_json = Path(tmp) / "plan.json"
        subprocess.run([str(INVOKE), "plan", "--env", "all", "--no-details", "--json", str(plan_json)], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        documents = json.loads(plan_json.read_text())
        counts = {d["environment"]: {l["project"]: len(l["resources"]) for l in d["layers"]} for d in documents}
        bare_script = Path(tmp) / "bare.py"
        bare_script.write_text(BARE)

        plan_times = timed([str(INVOKE), "plan", "--env", "all"], args.runs)
        # The same command rendering the three environments one after another in one process.
        serial_times = timed([str(INVOKE), "plan", "--env", "all", "--jobs", "1"], args.runs)
        bare_times = timed([str(PYTHON), str(bare_script), str(plan_json)], args.runs)
        # The plan pauses the cyclic garbage collector while it runs programs; for transparency,
        # the same baseline with the collector paused too.
        bare_nogc_times = timed([str(PYTHON), "-c", "import gc, runpy, sys; gc.disable(); sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')", str(bare_script), str(plan_json)], args.runs)

    plan_median, bare_median = statistics.median(plan_times), statistics.median(bare_times)
    print(f"cores: {os.cpu_count()}, load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    print("resources per layer:")
    for env, layers in counts.items():
        print(f"  {env:8} " + "  ".join(f"{k}={v}" for k, v in layers.items()) + f"  total={sum(layers.values())}")
    print(f"invoke plan --env all : median {plan_median:.2f} s over {args.runs} runs (min {min(plan_times):.2f}, max {max(plan_times):.2f})")
    print(f"bare mock engine      : median {bare_median:.2f} s over {args.runs} runs (min {min(bare_times):.2f}, max {max(bare_times):.2f})")
    serial_median = statistics.median(serial_times)
    print(f"plan --env all --jobs 1: median {serial_median:.2f} s over {args.runs} runs (min {min(serial_times):.2f}, max {max(serial_times):.2f}): the three environments in one process")
    print(f"parallel / sequential : {plan_median / serial_median:.2f}x (target <= 0.75x; one worker process per environment, up to the cores)")
    bare_nogc_median = statistics.median(bare_nogc_times)
    print(f"bare, collector paused: median {bare_nogc_median:.2f} s over {args.runs} runs")
    print(f"ratio                 : {plan_median / bare_median:.2f}x vs bare, {plan_median / bare_nogc_median:.2f}x vs bare with the collector paused (target <= 1.5x; plan target <= 3 s)")

    if args.suite:
        start = time.perf_counter()
        result = subprocess.run(SUITE, cwd=REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        summary = [l for l in result.stdout.splitlines() if re.search(r"^\d+ (passed|failed)|^=+ .*\d+ (passed|failed)", l)]
        print(f"test suite            : {elapsed:.1f} s wall ({summary[-1] if summary else 'no summary'}; target <= 45 s)")


if __name__ == "__main__":
    sys.exit(main())
