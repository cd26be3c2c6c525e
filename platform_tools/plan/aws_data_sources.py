"""Mock answers for the data sources (invokes) the programs call, with the provider's semantics.

A data source in pulumi-aws is the Terraform provider's data source (bridged): it asks AWS, filters
the answer client-side, and fails the preview when nothing matches or when more than one thing
matches and no preference breaks the tie. The answers here do the same, with the provider's own
error messages, so an ambiguous call fails the offline plan exactly where a real `pulumi preview`
would fail. Only the data sources some program calls have a handler (a test holds this); any
other token is refused.

`getOrderableDbInstance` follows `internal/service/rds/orderable_instance_data_source.go` of
hashicorp/terraform-provider-aws (the AWS SDK v2 version pulumi-aws v7 bridges): the server-side
filters of DescribeOrderableDBInstanceOptions (engine, engine version, instance class, license
model, VPC, availability-zone group), then the exact client-side filters (storage type and the
`supports*`/`readReplicaCapable` flags, which only filter when true), the engine-mode and
network-type lists, the preferred engine versions and instance classes, `engineLatestVersion`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"

State = dict[str, Any]
CallHandler = Callable[[State], State]
CALL_HANDLERS: dict[str, CallHandler] = {}


class DataSourceError(Exception):
    """The provider refused the call: the preview (and so the plan) fails with this message."""

    def __init__(self, token: str, message: str):
        self.token = token
        self.provider_message = message
        super().__init__(f"invoking {token}: {message}")


def answers(token: str) -> Callable[[CallHandler], CallHandler]:
    def register(fn: CallHandler) -> CallHandler:
        CALL_HANDLERS[token] = fn
        return fn

    return register


def call_result(token: str, args: State) -> State:
    handler = CALL_HANDLERS.get(token)
    if handler is None:
        raise NotImplementedError(
            f"the offline plan has no mock for the data source {token}; add one with the provider's semantics "
            "to platform_tools/plan/aws_data_sources.py"
        )
    return handler(args)


# --- account, partition, region -------------------------------------------------------------------


@answers("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(args: State) -> State:
    return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/pulumi-deployer", "userId": "AIDAEXAMPLEEXAMPLE01", "id": ACCOUNT_ID}


@answers("aws:index/getPartition:getPartition")
def _partition(args: State) -> State:
    return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION, "reverseDnsPrefix": "com.amazonaws"}


@answers("aws:index/getRegion:getRegion")
def _region(args: State) -> State:
    # The mock account lives in one region: a program asking for another is refused rather than
    # answered with a made-up endpoint.
    wanted = args.get("region") or args.get("name") or REGION
    if wanted != REGION:
        raise DataSourceError("aws:index/getRegion:getRegion", f"no mock for region {wanted!r}; the plan covers {REGION} only")
    return {"name": REGION, "region": REGION, "id": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com", "description": "US East (N. Virginia)"}


# --- RDS orderable DB instance options --------------------------------------------------------------


@dataclass(frozen=True)
class OrderableOption:
    """One entry of DescribeOrderableDBInstanceOptions, in the provider's output names."""

    engine: str
    engineVersion: str  # noqa: N815 - the engine's wire names
    instanceClass: str  # noqa: N815
    storageType: str  # noqa: N815
    licenseModel: str = "postgresql-license"  # noqa: N815
    availabilityZones: tuple[str, ...] = tuple(f"{REGION}{z}" for z in "abcdef")  # noqa: N815
    availabilityZoneGroup: str = ""  # noqa: N815
    multiAzCapable: bool = True  # noqa: N815
    outpostCapable: bool = False  # noqa: N815
    readReplicaCapable: bool = False  # noqa: N815
    supportedEngineModes: tuple[str, ...] = ("provisioned",)  # noqa: N815
    supportedNetworkTypes: tuple[str, ...] = ("IPV4", "DUAL")  # noqa: N815
    supportsClusters: bool = True  # noqa: N815
    supportsEnhancedMonitoring: bool = True  # noqa: N815
    supportsGlobalDatabases: bool = True  # noqa: N815
    supportsIamDatabaseAuthentication: bool = True  # noqa: N815
    supportsIops: bool = False  # noqa: N815
    supportsKerberosAuthentication: bool = True  # noqa: N815
    supportsPerformanceInsights: bool = True  # noqa: N815
    supportsStorageAutoscaling: bool = False  # noqa: N815
    supportsStorageEncryption: bool = True  # noqa: N815
    vpc: bool = True

    @property
    def supportsMultiAz(self) -> bool:  # noqa: N802 - the provider's filter name
        return self.multiAzCapable

    def answer(self) -> State:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {**out, "supportsMultiAz": self.multiAzCapable, "id": self.instanceClass}


# Aurora PostgreSQL in us-east-1 as the mock's RDS knows it: every engine version on every class,
# once per cluster storage type (Aurora Standard `aurora`, I/O-Optimized `aurora-iopt1`), which is
# why a lookup by engine, version and class alone matches two options.
AURORA_POSTGRESQL_VERSIONS: list[str] = ["16.6", "16.8", "17.4", "17.5", "17.9"]
AURORA_INSTANCE_CLASSES: list[str] = ["db.t3.medium", "db.t4g.medium", "db.r5.large", "db.r5.xlarge", "db.r6g.large", "db.r6g.xlarge", "db.r7g.large"]
AURORA_STORAGE_TYPES: tuple[str, ...] = ("aurora", "aurora-iopt1")


def aurora_postgresql_options(versions: list[str] | None = None) -> list[OrderableOption]:
    return [
        OrderableOption(
            engine="aurora-postgresql",
            engineVersion=version,
            instanceClass=cls,
            storageType=storage,
            # Burstable classes cannot join a global database.
            supportsGlobalDatabases=not cls.startswith("db.t"),
        )
        for version in (versions or AURORA_POSTGRESQL_VERSIONS)
        for cls in AURORA_INSTANCE_CLASSES
        for storage in AURORA_STORAGE_TYPES
    ]


@dataclass
class RdsCatalog:
    """What DescribeOrderableDBInstanceOptions returns; tests swap it to model a new engine minor."""

    options: list[OrderableOption] = field(default_factory=aurora_postgresql_options)


RDS = RdsCatalog()

# Server-side request parameters of DescribeOrderableDBInstanceOptions: (argument, option field).
_SERVER_FILTERS = (
    ("engine", "engine"),
    ("engineVersion", "engineVersion"),
    ("instanceClass", "instanceClass"),
    ("licenseModel", "licenseModel"),
    ("availabilityZoneGroup", "availabilityZoneGroup"),
    ("vpc", "vpc"),
)
# Client-side exact filters; `d.GetOk` skips zero values, so `false` and "" filter nothing.
_CLIENT_FILTERS = (
    "readReplicaCapable",
    "storageType",
    "supportsClusters",
    "supportsEnhancedMonitoring",
    "supportsGlobalDatabases",
    "supportsIamDatabaseAuthentication",
    "supportsIops",
    "supportsKerberosAuthentication",
    "supportsMultiAz",
    "supportsPerformanceInsights",
    "supportsStorageAutoscaling",
    "supportsStorageEncryption",
)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def _go_list(values: Any) -> str:
    return "[" + " ".join(str(v) for v in (values or [])) + "]"


def _request(args: State) -> str:
    """The DescribeOrderableDBInstanceOptions input as the provider's `%+v` prints it (MaxRecords 1000)."""
    fields = [f"{name}:{args[arg]}" for arg, name in (("availabilityZoneGroup", "AvailabilityZoneGroup"), ("instanceClass", "DBInstanceClass"), ("engine", "Engine"), ("engineVersion", "EngineVersion"), ("licenseModel", "LicenseModel"), ("vpc", "Vpc")) if args.get(arg) not in (None, "")]
    return "{" + " ".join([*fields, "MaxRecords:1000"]) + "}"


def select_orderable(args: State, options: list[OrderableOption]) -> OrderableOption:
    """The provider's selection, step by step; raises `DataSourceError` with its messages."""
    token = "aws:rds/getOrderableDbInstance:getOrderableDbInstance"
    results = [
        o
        for o in options
        if all(args.get(arg) in (None, "") or getattr(o, name) == args[arg] for arg, name in _SERVER_FILTERS)
        and all(not args.get(name) or getattr(o, name) == args[name] for name in _CLIENT_FILTERS)
    ]
    if not results:
        raise DataSourceError(token, "no RDS Orderable DB Instance Options found matching criteria; try different search")

    for arg, attribute, label in (("supportedEngineModes", "supportedEngineModes", "supported_engine_modes"), ("supportedNetworkTypes", "supportedNetworkTypes", "supported_network_types")):
        search = list(args.get(arg) or [])
        if search:
            results = [o for o in results if any(s in getattr(o, attribute) for s in search)]
            if not results:
                raise DataSourceError(token, f"no RDS Orderable DB Instance Options found matching {label}: {json.dumps(search)}")

    preferred_search = False
    versions = list(args.get("preferredEngineVersions") or [])
    if versions:
        matches = [o for v in versions for o in results if o.engineVersion == v]
        if not matches:
            raise DataSourceError(token, f"no RDS Orderable DB Instance Options found matching preferred_engine_versions: {json.dumps(versions)}")
        preferred_search, results = True, matches

    latest = bool(args.get("engineLatestVersion"))
    classes = list(args.get("preferredInstanceClasses") or [])
    if classes:
        matches: list[OrderableOption] = []
        for wanted in classes:
            for option in results:
                if option.instanceClass == wanted:
                    matches.append(option)
                if not latest and matches:
                    break  # the first option of the first listed class that matches
            if matches:
                break
        if not matches:
            raise DataSourceError(token, f"no RDS Orderable DB Instance Options found matching preferred_instance_classes: {json.dumps(classes)}")
        preferred_search, results = True, matches

    if latest and preferred_search:
        return sorted(results, key=lambda o: _version_key(o.engineVersion))[-1]
    if preferred_search or len(results) == 1:
        return results[0]
    preferences = f"Preferred instance classes: {_go_list(classes)}\nPreferred engine versions: {_go_list(versions)}"
    if len(results) > 4:
        raise DataSourceError(
            token, f"multiple ({len(results)}) RDS DB Instance Classes match the criteria; try a different search: {_request(args)}\n{preferences}"
        )
    listed = _go_list(f"{{{o.instanceClass} {o.engineVersion} {o.storageType}}}" for o in results)
    raise DataSourceError(
        token, f"multiple ({len(results)}) RDS DB Instance Classes ({listed}) match the criteria; try a different search: {_request(args)}\n{preferences}"
    )


@answers("aws:rds/getOrderableDbInstance:getOrderableDbInstance")
def _orderable_db_instance(args: State) -> State:
    return select_orderable(args, RDS.options).answer()
