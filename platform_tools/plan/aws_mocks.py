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
import re
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


# --- EventBridge Scheduler (issue 16; dbinfra's block) ----------------------------------------------
# Schedule ARNs carry the group: arn:aws:scheduler:<region>:<acct>:schedule/<group>/<name>; a group's is
# ...:schedule-group/<name>. Refused as the Scheduler API refuses them (ValidationException).
_SCHEDULER_NAME = re.compile(r"^[0-9a-zA-Z_.-]{1,64}$")
_SCHEDULE_EXPRESSION = re.compile(r"^(rate\(1 (minute|hour|day)\)|rate\(([2-9]|[1-9][0-9]+) (minutes|hours|days)\)|cron\(\S+( \S+){5}\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$")


class SchedulerValidationError(ValueError):
    """What EventBridge Scheduler answers a request it refuses (ValidationException)."""


def _scheduler_name(inputs: State, logical: str, ident: Identity) -> str:
    name = physical_name(inputs, "name", logical, ident)
    if not _SCHEDULER_NAME.match(name):
        raise SchedulerValidationError(f"ValidationException: name {name!r} must be 1-64 of [0-9a-zA-Z-_.]")
    return name


@handles("aws:scheduler/scheduleGroup:ScheduleGroup")
def _schedule_group(inputs: State, logical: str, ident: Identity):
    name = _scheduler_name(inputs, logical, ident)
    return name, {
        "name": name,
        "arn": arn("scheduler", f"schedule-group/{name}"),
        "state": "ACTIVE",
        "creationDate": "2026-11-26T00:00:00Z",
        "lastModificationDate": "2026-11-26T00:00:00Z",
    }


@handles("aws:scheduler/schedule:Schedule")
def _schedule(inputs: State, logical: str, ident: Identity):
    name = _scheduler_name(inputs, logical, ident)
    group = inputs.get("groupName") or "default"
    expression = str(inputs.get("scheduleExpression") or "")
    if not _SCHEDULE_EXPRESSION.match(expression):
        raise SchedulerValidationError(f"ValidationException: Invalid Schedule Expression {expression}.")
    window = inputs.get("flexibleTimeWindow") or {}
    mode, minutes = window.get("mode"), window.get("maximumWindowInMinutes")
    if mode not in ("OFF", "FLEXIBLE") or (mode == "OFF" and minutes) or (mode == "FLEXIBLE" and not 1 <= (minutes or 0) <= 1440):
        raise SchedulerValidationError(f"ValidationException: flexibleTimeWindow {window} (OFF without a window, or FLEXIBLE with 1-1440 minutes)")
    target = inputs.get("target") or {}
    for key in ("arn", "roleArn"):
        if not str(target.get(key) or "").startswith("arn:"):
            raise SchedulerValidationError(f"ValidationException: target.{key} must be an ARN, got {target.get(key)!r}")
    retry = target.get("retryPolicy") or {}
    if not 0 <= retry.get("maximumRetryAttempts", 185) <= 185 or not 60 <= retry.get("maximumEventAgeInSeconds", 86400) <= 86400:
        raise SchedulerValidationError(f"ValidationException: retryPolicy {retry} (0-185 attempts, 60-86400 s)")
    dlq = (target.get("deadLetterConfig") or {}).get("arn")
    if dlq is not None and (not str(dlq).startswith("arn:aws:sqs:") or str(dlq).endswith(".fifo")):
        raise SchedulerValidationError(f"ValidationException: deadLetterConfig.arn {dlq!r} must be a standard SQS queue")
    return f"{group}/{name}", {
        "name": name,
        "groupName": group,
        "arn": arn("scheduler", f"schedule/{group}/{name}"),
        "state": inputs.get("state") or "ENABLED",
        "scheduleExpressionTimezone": inputs.get("scheduleExpressionTimezone") or "UTC",
        "actionAfterCompletion": inputs.get("actionAfterCompletion") or "NONE",
    }


# --- payment API: API Gateway v2 (HTTP API) and Cognito (issue 18; one block, kept together) -------
# Ids and formats as AWS returns them: API/route/integration/authorizer ids are lowercase
# alphanumerics (10/7/7/6), a user pool id is `<region>_<9 alphanumerics>`, an app client id 26
# lowercase alphanumerics. Inputs AWS or the provider would refuse raise `ResourceRefused`.

_HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_RESERVED_COGNITO_WORDS = ("aws", "amazon", "cognito")
_STANDARD_OAUTH_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")


def _refuse(type_: str, logical: str, message: str) -> ResourceRefused:
    return ResourceRefused(f"{type_} {logical!r}: {message}")


def _mixed_alnum(ident: Identity, length: int, salt: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    value = int(digest(ident.seed, salt), 16)
    out = []
    for _ in range(length):
        value, r = divmod(value, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


@handles("aws:apigatewayv2/api:Api")
def _http_api(inputs: State, logical: str, ident: Identity):
    if inputs.get("protocolType") not in ("HTTP", "WEBSOCKET"):
        raise _refuse("Api", logical, f"protocolType {inputs.get('protocolType')!r} is not HTTP or WEBSOCKET")
    api_id = ident.alnum(10, "api")
    scheme = "https" if inputs["protocolType"] == "HTTP" else "wss"
    return api_id, {
        "name": physical_name(inputs, "name", logical, ident),
        "arn": f"arn:{PARTITION}:apigateway:{REGION}::/apis/{api_id}",
        "apiEndpoint": f"{scheme}://{api_id}.execute-api.{REGION}.amazonaws.com",
        "executionArn": arn("execute-api", api_id),
        "apiKeySelectionExpression": inputs.get("apiKeySelectionExpression") or "$request.header.x-api-key",
        "routeSelectionExpression": inputs.get("routeSelectionExpression") or "$request.method $request.path",
        "disableExecuteApiEndpoint": bool(inputs.get("disableExecuteApiEndpoint")),
        "ipAddressType": inputs.get("ipAddressType") or "ipv4",
    }


@handles("aws:apigatewayv2/authorizer:Authorizer")
def _http_api_authorizer(inputs: State, logical: str, ident: Identity):
    kind = inputs.get("authorizerType")
    if kind not in ("JWT", "REQUEST"):
        raise _refuse("Authorizer", logical, f"authorizerType {kind!r} is not JWT or REQUEST")
    if kind == "JWT":
        jwt = inputs.get("jwtConfiguration") or {}
        if not str(jwt.get("issuer", "")).startswith("https://"):
            raise _refuse("Authorizer", logical, "a JWT authorizer needs jwtConfiguration.issuer, an https:// URL")
        if not jwt.get("audiences"):
            raise _refuse("Authorizer", logical, "a JWT authorizer needs at least one jwtConfiguration.audiences entry")
        if not inputs.get("identitySources"):
            raise _refuse("Authorizer", logical, "a JWT authorizer needs identitySources (e.g. $request.header.Authorization)")
    return ident.alnum(6, "authorizer"), {}


@handles("aws:apigatewayv2/integration:Integration")
def _http_api_integration(inputs: State, logical: str, ident: Identity):
    kind = inputs.get("integrationType")
    if kind == "AWS_PROXY":
        uri = str(inputs.get("integrationUri") or "")
        if not (uri.startswith(f"arn:{PARTITION}:lambda:") or (uri.startswith(f"arn:{PARTITION}:apigateway:") and uri.endswith("/invocations"))):
            raise _refuse("Integration", logical, f"integrationUri {uri!r} is not a Lambda function ARN or invoke ARN")
        if inputs.get("payloadFormatVersion", "1.0") not in ("1.0", "2.0"):
            raise _refuse("Integration", logical, "payloadFormatVersion must be 1.0 or 2.0")
    if kind != "MOCK" and not inputs.get("integrationMethod"):
        raise _refuse("Integration", logical, "integrationMethod is required unless integrationType is MOCK")
    timeout = inputs.get("timeoutMilliseconds")
    if timeout is not None and not 50 <= timeout <= 30_000:
        raise _refuse("Integration", logical, f"timeoutMilliseconds {timeout} is outside 50-30000 (HTTP APIs)")
    return ident.alnum(7, "integration"), {
        "connectionType": inputs.get("connectionType") or "INTERNET",
        "payloadFormatVersion": inputs.get("payloadFormatVersion") or "1.0",
        "timeoutMilliseconds": timeout or 30_000,
    }


@handles("aws:apigatewayv2/route:Route")
def _http_api_route(inputs: State, logical: str, ident: Identity):
    key = str(inputs.get("routeKey") or "")
    method, _, path = key.partition(" ")
    if key != "$default" and not (method in _HTTP_METHODS and path.startswith("/")):
        raise _refuse("Route", logical, f"routeKey {key!r} is not '$default' or '<METHOD> /<path>'")
    kind = inputs.get("authorizationType") or "NONE"
    if kind in ("JWT", "CUSTOM") and not inputs.get("authorizerId"):
        raise _refuse("Route", logical, f"authorizationType {kind} needs an authorizerId")
    if inputs.get("authorizationScopes") and kind != "JWT":
        raise _refuse("Route", logical, "authorizationScopes are supported only with authorizationType JWT")
    target = inputs.get("target")
    if target is not None and not str(target).startswith("integrations/"):
        raise _refuse("Route", logical, f"target {target!r} is not 'integrations/<integration id>'")
    return ident.alnum(7, "route"), {"authorizationType": kind, "apiKeyRequired": bool(inputs.get("apiKeyRequired"))}


@handles("aws:apigatewayv2/stage:Stage")
def _http_api_stage(inputs: State, logical: str, ident: Identity):
    name = str(inputs.get("name") or "")
    if not (name == "$default" or (1 <= len(name) <= 128 and all(c.isalnum() or c in "-_" for c in name))):
        raise _refuse("Stage", logical, f"stage name {name!r} is not '$default' or 1-128 letters, digits, '-' and '_'")
    logs = inputs.get("accessLogSettings")
    if logs is not None:
        destination = str(logs.get("destinationArn") or "")
        if not destination.startswith(f"arn:{PARTITION}:logs:") or not logs.get("format"):
            raise _refuse("Stage", logical, "accessLogSettings needs a CloudWatch Logs destinationArn and a format")
    api_id = str(inputs.get("apiId"))
    path = "" if name == "$default" else name
    return name, {
        "arn": f"arn:{PARTITION}:apigateway:{REGION}::/apis/{api_id}/stages/{name}",
        "executionArn": arn("execute-api", f"{api_id}/{name}"),
        "invokeUrl": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{path}",
        "deploymentId": ident.alnum(6, "deployment") if inputs.get("autoDeploy") else inputs.get("deploymentId"),
    }


@handles("aws:cognito/userPool:UserPool")
def _user_pool(inputs: State, logical: str, ident: Identity):
    pool_id = f"{REGION}_{_mixed_alnum(ident, 9, 'pool')}"
    return pool_id, {
        "name": physical_name(inputs, "name", logical, ident),
        "arn": arn("cognito-idp", f"userpool/{pool_id}"),
        "endpoint": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        "creationDate": "2026-11-26T00:00:00Z",
        "lastModifiedDate": "2026-11-26T00:00:00Z",
        "estimatedNumberOfUsers": 0,
        "domain": "",
        "customDomain": "",
        "userPoolTier": inputs.get("userPoolTier") or "ESSENTIALS",
    }


@handles("aws:cognito/resourceServer:ResourceServer")
def _resource_server(inputs: State, logical: str, ident: Identity):
    identifier = str(inputs.get("identifier") or "")
    names = [s.get("scopeName") for s in inputs.get("scopes") or []]
    if not identifier or len(set(names)) != len(names) or not all(n and " " not in n for n in names):
        raise _refuse("ResourceServer", logical, "needs an identifier and distinct scope names without spaces")
    return f"{inputs.get('userPoolId')}|{identifier}", {"scopeIdentifiers": [f"{identifier}/{n}" for n in names]}


@handles("aws:cognito/userPoolDomain:UserPoolDomain")
def _user_pool_domain(inputs: State, logical: str, ident: Identity):
    domain = str(inputs.get("domain") or "")
    if not inputs.get("certificateArn"):  # a prefix domain: <prefix>.auth.<region>.amazoncognito.com
        if not (1 <= len(domain) <= 63 and domain == domain.lower() and domain.replace("-", "").isalnum() and domain[0] != "-" and domain[-1] != "-"):
            raise _refuse("UserPoolDomain", logical, f"domain prefix {domain!r}: lowercase letters, digits and inner hyphens only")
        reserved = [w for w in _RESERVED_COGNITO_WORDS if w in domain]
        if reserved:
            raise _refuse("UserPoolDomain", logical, f"domain prefix {domain!r} contains the reserved word(s) {reserved}")
    distribution = f"d{ident.alnum(13, 'cf')}.cloudfront.net"
    return domain, {
        "awsAccountId": ACCOUNT_ID,
        "cloudfrontDistribution": distribution,
        "cloudfrontDistributionArn": distribution,
        "cloudfrontDistributionZoneId": "Z2FDTNDATAQYW2",
        "s3Bucket": "aws-cognito-prod-iad-assets",
        "version": "20261126000000",
    }


@handles("aws:cognito/userPoolClient:UserPoolClient")
def _user_pool_client(inputs: State, logical: str, ident: Identity):
    flows = list(inputs.get("allowedOauthFlows") or [])
    scopes = list(inputs.get("allowedOauthScopes") or [])
    if flows and inputs.get("allowedOauthFlowsUserPoolClient") is not True:
        raise _refuse("UserPoolClient", logical, "allowedOauthFlows need allowedOauthFlowsUserPoolClient = true")
    if "client_credentials" in flows:
        if inputs.get("generateSecret") is not True:
            raise _refuse("UserPoolClient", logical, "client_credentials flow can not be selected if client does not have a client secret")
        if len(flows) > 1:
            raise _refuse("UserPoolClient", logical, "client_credentials flow can not be selected along with code flow or implicit flow")
        standard = [s for s in scopes if s in _STANDARD_OAUTH_SCOPES]
        if not scopes or standard:
            raise _refuse("UserPoolClient", logical, f"client_credentials needs custom resource-server scopes only (got {scopes})")
    out: State = {"name": physical_name(inputs, "name", logical, ident)}
    if inputs.get("generateSecret"):
        out["clientSecret"] = ident.alnum(51, "secret")
    return ident.alnum(26, "client"), out


@handles("aws:lambda/permission:Permission")
def _permission(inputs: State, logical: str, ident: Identity):
    if inputs.get("principal") == "apigateway.amazonaws.com" and inputs.get("sourceArn") is not None:
        if not str(inputs["sourceArn"]).startswith(f"arn:{PARTITION}:execute-api:"):
            raise _refuse("Permission", logical, f"sourceArn {inputs['sourceArn']!r} is not an execute-api ARN")
    return physical_name(inputs, "statementId", logical, ident), {}


@handles("aws:cloudwatch/logMetricFilter:LogMetricFilter")
def _log_metric_filter(inputs: State, logical: str, ident: Identity):
    transformation = inputs.get("metricTransformation") or {}
    if not (transformation.get("name") and transformation.get("namespace") and transformation.get("value")):
        raise _refuse("LogMetricFilter", logical, "metricTransformation needs name, namespace and value")
    if not str(inputs.get("pattern") or "").strip():
        raise _refuse("LogMetricFilter", logical, "an empty pattern matches every event; name what to count")
    return physical_name(inputs, "name", logical, ident), {}


# --- end of the payment API block ---------------------------------------------------------------------


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
