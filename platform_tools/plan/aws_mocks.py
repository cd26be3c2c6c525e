"""Mock answers for AWS resources and calls, shaped like what a real deploy in us-east-1 returns.

Ids carry the real prefixes (`vpc-`, `subnet-`, `sg-`, `eipalloc-` ...), ARNs follow each
service's format for account 123456789012, RDS endpoints and Lambda ARNs look like AWS's. Values
are derived from a hash of the stack, project and logical name, so the same program always
renders the same plan. Physical names the program sets are kept; a missing one is auto-named the
way Pulumi does (`<logical name>-<7 hex>`).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

from platform_tools.plan import aws_data_sources

ACCOUNT_ID = aws_data_sources.ACCOUNT_ID
REGION = aws_data_sources.REGION
PARTITION = aws_data_sources.PARTITION

State = dict[str, Any]


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Identity:
    """Deterministic identifiers for one resource."""

    def __init__(self, seed: str):
        self.seed = seed

    def hex(self, length: int, salt: str = "") -> str:
        return digest(self.seed, salt)[:length]

    def alnum(self, length: int, salt: str = "", upper: bool = False) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        value = int(digest(self.seed, salt), 16)
        out = []
        for _ in range(length):
            value, r = divmod(value, len(alphabet))
            out.append(alphabet[r])
        text = "".join(out)
        return text.upper() if upper else text

    def uuid(self, salt: str = "") -> str:
        return str(uuid.UUID(digest(self.seed, salt)[:32]))

    def ec2_id(self, prefix: str) -> str:
        return f"{prefix}-0{self.hex(16, prefix)}"

    def public_ip(self, salt: str = "") -> str:
        # Inside an AWS us-east-1 public range (3.208.0.0/12), like a real Elastic IP.
        offset = int(digest(self.seed, "ip", salt), 16) % (2**20 - 2) + 1
        return str(ipaddress.ip_address("3.208.0.0") + offset)

    def private_ip(self, cidr: str | None) -> str:
        network = ipaddress.ip_network(cidr or "10.0.0.0/24", strict=False)
        offset = int(digest(self.seed, "pip"), 16) % max(network.num_addresses - 5, 1) + 4
        return str(network.network_address + offset)


def arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def physical_name(inputs: State, key: str, logical: str, ident: Identity) -> str:
    value = inputs.get(key)
    if isinstance(value, str) and value:
        return value
    prefix = inputs.get(f"{key}Prefix")
    if isinstance(prefix, str) and prefix:
        return prefix + ident.hex(26)
    return f"{logical}-{ident.hex(7)}"


# --- per-type handlers: (inputs, logical name, identity) -> (id, computed outputs) ---------------

Handler = Callable[[State, str, Identity], tuple[str, State]]
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _ec2(prefix: str, arn_kind: str) -> Handler:
    def handler(inputs: State, logical: str, ident: Identity) -> tuple[str, State]:
        rid = ident.ec2_id(prefix)
        return rid, {"arn": arn("ec2", f"{arn_kind}/{rid}"), "ownerId": ACCOUNT_ID}

    return handler


for _type, _prefix, _kind in (
    ("aws:ec2/internetGateway:InternetGateway", "igw", "internet-gateway"),
    ("aws:ec2/routeTable:RouteTable", "rtb", "route-table"),
    ("aws:ec2/securityGroup:SecurityGroup", "sg", "security-group"),
    ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "sg", "security-group"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "sgr", "security-group-rule"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "sgr", "security-group-rule"),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "vpce", "vpc-endpoint"),
    ("aws:ec2/flowLog:FlowLog", "fl", "vpc-flow-log"),
):
    HANDLERS[_type] = _ec2(_prefix, _kind)


@handles("aws:ec2/vpc:Vpc")
def _vpc(inputs: State, logical: str, ident: Identity):
    rid = ident.ec2_id("vpc")
    return rid, {
        "arn": arn("ec2", f"vpc/{rid}"),
        "ownerId": ACCOUNT_ID,
        "defaultSecurityGroupId": ident.ec2_id("sg"),
        "defaultRouteTableId": ident.ec2_id("rtb"),
        "mainRouteTableId": ident.ec2_id("rtb"),
        "defaultNetworkAclId": ident.ec2_id("acl"),
        "instanceTenancy": inputs.get("instanceTenancy", "default"),
    }


@handles("aws:ec2/subnet:Subnet")
def _subnet(inputs: State, logical: str, ident: Identity):
    rid = ident.ec2_id("subnet")
    return rid, {"arn": arn("ec2", f"subnet/{rid}"), "ownerId": ACCOUNT_ID, "availabilityZoneId": "use1-az" + str(int(ident.hex(2), 16) % 6 + 1)}


@handles("aws:ec2/route:Route")
def _route(inputs: State, logical: str, ident: Identity):
    return f"r-{inputs.get('routeTableId', 'rtb')}{digest(str(inputs.get('destinationCidrBlock')))[:10]}", {"state": "active", "origin": "CreateRoute"}


@handles("aws:ec2/routeTableAssociation:RouteTableAssociation")
def _rtb_assoc(inputs: State, logical: str, ident: Identity):
    return ident.ec2_id("rtbassoc"), {}


@handles("aws:ec2/eip:Eip")
def _eip(inputs: State, logical: str, ident: Identity):
    rid = ident.ec2_id("eipalloc")
    ip = ident.public_ip()
    return rid, {
        "arn": arn("ec2", f"elastic-ip/{rid}"),
        "allocationId": rid,
        "publicIp": ip,
        "publicDns": f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com",
        "domain": inputs.get("domain", "vpc"),
    }


@handles("aws:ec2/natGateway:NatGateway")
def _nat(inputs: State, logical: str, ident: Identity):
    rid = ident.ec2_id("nat")
    return rid, {
        "arn": arn("ec2", f"natgateway/{rid}"),
        "networkInterfaceId": ident.ec2_id("eni"),
        "privateIp": ident.private_ip(None),
        "publicIp": ident.public_ip("nat"),
        "connectivityType": inputs.get("connectivityType", "public"),
    }


@handles("aws:ec2/networkInterface:NetworkInterface")
def _eni(inputs: State, logical: str, ident: Identity):
    rid = ident.ec2_id("eni")
    return rid, {
        "arn": arn("ec2", f"network-interface/{rid}"),
        "privateIp": ident.private_ip(None),
        "macAddress": ":".join(ident.hex(12)[i : i + 2] for i in range(0, 12, 2)),
        "ownerId": ACCOUNT_ID,
    }


class ResourceRefused(Exception):
    """AWS refused to create the resource as declared: the deploy (and so the plan) fails."""


SSM_IMAGE_PREFIX = "resolve:ssm:"
# Public SSM parameters EC2 resolves `resolve:ssm:` image ids against, with the AMI each names
# today. A new Amazon Linux release changes these values, never the launch template.
PUBLIC_IMAGE_PARAMETERS: dict[str, str] = {
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64": "ami-0a1b2c3d4e5f60718",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "ami-0b2c3d4e5f6071829",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-arm64": "ami-0c3d4e5f607182930",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64": "ami-0d4e5f60718293041",
}


def resolve_image(image_id: str) -> str:
    """The AMI a launch would use; a parameter EC2 does not know is refused, as EC2 refuses it."""
    if not image_id.startswith(SSM_IMAGE_PREFIX):
        return image_id
    parameter = image_id.removeprefix(SSM_IMAGE_PREFIX)
    if parameter not in PUBLIC_IMAGE_PARAMETERS:
        raise ResourceRefused(f"InvalidParameterValue: the SSM parameter {parameter} does not exist or is not an aws:ec2:image parameter")
    return PUBLIC_IMAGE_PARAMETERS[parameter]


@handles("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(inputs: State, logical: str, ident: Identity):
    # An unknown parameter fails the deploy (when EC2 validates the template, at the latest when the
    # group first launches from it): the plan refuses it at the template.
    resolve_image(str(inputs.get("imageId") or ""))
    rid = ident.ec2_id("lt")
    return rid, {"arn": arn("ec2", f"launch-template/{rid}"), "latestVersion": 1, "defaultVersion": 1, "name": physical_name(inputs, "name", logical, ident)}


@handles("aws:autoscaling/group:Group")
def _asg(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    return name, {"name": name, "arn": arn("autoscaling", f"autoScalingGroup:{ident.uuid()}:autoScalingGroupName/{name}")}


@handles("aws:iam/role:Role")
def _role(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    path = inputs.get("path") or "/"
    return name, {"name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role{path}{name}", "uniqueId": "AROA" + ident.alnum(17, upper=True), "createDate": "2026-11-26T00:00:00Z"}


@handles("aws:iam/rolePolicy:RolePolicy")
def _role_policy(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    return f"{inputs.get('role')}:{name}", {"name": name}


@handles("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _rpa(inputs: State, logical: str, ident: Identity):
    return f"{inputs.get('role')}-{ident.hex(20)}", {}


@handles("aws:iam/instanceProfile:InstanceProfile")
def _instance_profile(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    return name, {"name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{name}", "uniqueId": "AIPA" + ident.alnum(17, upper=True)}


@handles("aws:kms/key:Key")
def _kms_key(inputs: State, logical: str, ident: Identity):
    key_id = ident.uuid()
    return key_id, {"keyId": key_id, "arn": arn("kms", f"key/{key_id}")}


@handles("aws:kms/alias:Alias")
def _kms_alias(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    target = str(inputs.get("targetKeyId", ""))
    return name, {"name": name, "arn": arn("kms", name), "targetKeyArn": target if target.startswith("arn:") else arn("kms", f"key/{target}")}


@handles("aws:cloudwatch/logGroup:LogGroup")
def _log_group(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    return name, {"name": name, "arn": arn("logs", f"log-group:{name}")}


@handles("aws:rds/cluster:Cluster")
def _rds_cluster(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "clusterIdentifier", logical, ident)
    host_id = ident.alnum(12, "host")
    secret = []
    if inputs.get("manageMasterUserPassword"):
        secret = [
            {
                "secretArn": arn("secretsmanager", f"secret:rds!cluster-{ident.uuid('secret')}-{ident.alnum(6, 'sfx', upper=False)}"),
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId") or arn("kms", f"key/{ident.uuid('kms')}"),
                "secretStatus": "active",
            }
        ]
    return name, {
        "clusterIdentifier": name,
        "arn": arn("rds", f"cluster:{name}"),
        "clusterResourceId": "cluster-" + ident.alnum(26, "res", upper=True),
        "endpoint": f"{name}.cluster-{host_id}.{REGION}.rds.amazonaws.com",
        "readerEndpoint": f"{name}.cluster-ro-{host_id}.{REGION}.rds.amazonaws.com",
        "port": inputs.get("port") or 5432,
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "masterUserSecrets": secret,
        "engineVersionActual": inputs.get("engineVersion"),
    }


@handles("aws:rds/clusterInstance:ClusterInstance")
def _rds_instance(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "identifier", logical, ident)
    return name, {
        "identifier": name,
        "arn": arn("rds", f"db:{name}"),
        "dbiResourceId": "db-" + ident.alnum(26, "res", upper=True),
        "endpoint": f"{name}.{ident.alnum(12, 'host')}.{REGION}.rds.amazonaws.com",
        "port": 5432,
        "writer": False,
    }


def _rds_named(kind: str, key: str = "name") -> Handler:
    def handler(inputs: State, logical: str, ident: Identity):
        name = physical_name(inputs, key, logical, ident)
        return name, {key: name, "arn": arn("rds", f"{kind}:{name}")}

    return handler


HANDLERS["aws:rds/subnetGroup:SubnetGroup"] = _rds_named("subgrp")
HANDLERS["aws:rds/clusterParameterGroup:ClusterParameterGroup"] = _rds_named("cluster-pg")


@handles("aws:dynamodb/table:Table")
def _table(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    table_arn = arn("dynamodb", f"table/{name}")
    out: State = {"name": name, "arn": table_arn}
    if inputs.get("streamEnabled"):
        out["streamArn"] = f"{table_arn}/stream/2026-11-26T00:00:00.000"
        out["streamLabel"] = "2026-11-26T00:00:00.000"
    return name, out


@handles("aws:appautoscaling/target:Target")
def _scaling_target(inputs: State, logical: str, ident: Identity):
    return str(inputs.get("resourceId")), {"arn": arn("application-autoscaling", f"scalable-target/{ident.alnum(34)}")}


@handles("aws:appautoscaling/policy:Policy")
def _scaling_policy(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    return name, {
        "name": name,
        "arn": arn("autoscaling", f"scalingPolicy:{ident.uuid()}:resource/{inputs.get('serviceNamespace')}/{inputs.get('resourceId')}:policyName/{name}"),
        "alarmArns": [],
    }


@handles("aws:s3/bucket:Bucket")
def _bucket(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "bucket", logical, ident)
    return name, {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "bucketRegion": REGION,
        "region": REGION,
    }


def _by_bucket(inputs: State, logical: str, ident: Identity):
    return str(inputs.get("bucket")), {}


for _t in (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLogging:BucketLogging",
):
    HANDLERS[_t] = _by_bucket


@handles("aws:lambda/function:Function")
def _function(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    fn_arn = arn("lambda", f"function:{name}")
    return name, {
        "name": name,
        "arn": fn_arn,
        "qualifiedArn": f"{fn_arn}:$LATEST",
        "invokeArn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn}/invocations",
        "version": "$LATEST",
        "lastModified": "2026-11-26T00:00:00.000+0000",
        "sourceCodeSize": 0,
    }


@handles("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
def _event_invoke(inputs: State, logical: str, ident: Identity):
    return str(inputs.get("functionName")), {}


@handles("aws:sqs/queue:Queue")
def _queue(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
    return url, {"name": name, "arn": arn("sqs", name), "url": url}


@handles("aws:sns/topic:Topic")
def _topic(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    topic_arn = arn("sns", name)
    return topic_arn, {"name": name, "arn": topic_arn, "owner": ACCOUNT_ID}


@handles("aws:sns/topicSubscription:TopicSubscription")
def _subscription(inputs: State, logical: str, ident: Identity):
    sub_arn = f"{inputs.get('topic')}:{ident.uuid()}"
    return sub_arn, {"arn": sub_arn, "ownerId": ACCOUNT_ID, "pendingConfirmation": inputs.get("protocol") == "email"}


@handles("aws:sns/topicPolicy:TopicPolicy")
def _topic_policy(inputs: State, logical: str, ident: Identity):
    return str(inputs.get("arn")), {"owner": ACCOUNT_ID}


@handles("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "name", logical, ident)
    return name, {"name": name, "arn": arn("cloudwatch", f"alarm:{name}")}


@handles("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(inputs: State, logical: str, ident: Identity):
    name = physical_name(inputs, "dashboardName", logical, ident)
    return name, {"dashboardName": name, "dashboardArn": f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{name}"}


# Bytes a RandomId draws. A real deploy draws new ones each time the resource is created (after a
# destroy); tests change this salt to model that second creation.
RANDOM_SALT = ""


@handles("random:index/randomId:RandomId")
def _random_id(inputs: State, logical: str, ident: Identity):
    raw = bytes.fromhex(ident.hex(2 * int(inputs.get("byteLength") or 8), "random" + RANDOM_SALT))
    b64url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return b64url, {"hex": raw.hex(), "b64Url": b64url, "b64Std": base64.b64encode(raw).decode(), "dec": str(int.from_bytes(raw, "big"))}


@handles("pulumi:providers:aws")
def _provider(inputs: State, logical: str, ident: Identity):
    return ident.uuid(), {}


def default_handler(type_: str) -> Handler:
    """Types without a handler still get an id and, when the service is known, an ARN."""

    def handler(inputs: State, logical: str, ident: Identity):
        service = type_.split(":")[1].split("/")[0] if ":" in type_ else "unknown"
        name = physical_name(inputs, "name", logical, ident)
        return name, {"arn": arn(service, f"{type_.rsplit(':', 1)[-1].lower()}/{name}")}

    return handler


def resource_state(type_: str, logical: str, inputs: State, seed: str) -> tuple[str, State]:
    ident = Identity(seed)
    rid, computed = HANDLERS.get(type_, default_handler(type_))(inputs, logical, ident)
    state = {**inputs, **computed}
    state.setdefault("id", rid)
    if "tags" in inputs:
        state.setdefault("tagsAll", inputs.get("tags"))
    return rid, state


# --- function calls (data sources): answered with the provider's semantics ----------------------------

call_result = aws_data_sources.call_result
DataSourceError = aws_data_sources.DataSourceError
