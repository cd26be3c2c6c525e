"""The platform's mandatory rules, each naming the requirement it enforces.

A resource rule looks at one `ResourceView` and yields messages; a stack rule looks at all the
resources of one stack (joins such as "every bucket has a public access block") and yields
`(urn, message)`. Both also receive the `StackContext` (environment suffix, declared NAT mode),
read from data (provider default tags, the network layer's natMode), never from `if env == ...`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from dataclasses import dataclass
from typing import Any, Literal

from payments.contract import MIGRATE

from platform_tools.guardrails import iam
from platform_tools.guardrails.view import UNKNOWN, ResourceView, is_unknown
from shared.components.data.audit_bucket import ACCESS_LOG_BUCKET_PURPOSE
from shared.tagging import REQUIRED_TAGS


@dataclass(frozen=True)
class StackContext:
    """What the rules need to know about the stack beyond its resources."""

    suffix: str | None  # the physical-name suffix (EnvironmentSuffix default tag)
    environment: str | None  # the environment profile (Environment default tag)
    nat_mode: str | None  # the network layer's declared natMode, None when the stack has no network


@dataclass(frozen=True)
class Violation:
    rule: str
    urn: str
    message: str


ResourceCheck = Callable[[ResourceView, StackContext], Iterable[str]]
StackCheck = Callable[[Sequence[ResourceView], StackContext], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    requirement: str  # the requirement it enforces, as the issue and seed state it
    scope: Literal["resource", "stack"]
    check: Any  # ResourceCheck | StackCheck


# --- resource types -------------------------------------------------------------------------------

CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
# pulumi-aws v7 has both the `vpc` module's rule and the older `ec2` one; same inputs.
SG_INGRESS = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/vpcSecurityGroupIngressRule:VpcSecurityGroupIngressRule",
)
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
POLICY_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
FUNCTION = "aws:lambda/function:Function"
API_ROUTE = "aws:apigatewayv2/route:Route"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
VPC = "aws:ec2/vpc:Vpc"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
# The platform runs no EC2 compute other than the NAT instance, so any of these is NAT machinery.
NAT_INSTANCE_TYPES = (
    "aws:ec2/instance:Instance",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:autoscaling/group:Group",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    "aws:ec2/spotFleetRequest:SpotFleetRequest",
)

# The input that holds the physical name, per type (`{company}-{service}-{suffix}-{purpose}`).
PHYSICAL_NAME_KEYS: Mapping[str, str] = {
    BUCKET: "bucket",
    CLUSTER: "clusterIdentifier",
    CLUSTER_INSTANCE: "identifier",
    CLUSTER_PARAMETER_GROUP: "name",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    TABLE: "name",
    FUNCTION: "name",
    ROLE: "name",
    POLICY: "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    QUEUE: "name",
    TOPIC: "name",
    LOG_GROUP: "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "alarmName",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:kms/alias:Alias": "name",
    SECURITY_GROUP: "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:autoscaling/group:Group": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:apigatewayv2/api:Api": "name",
    "aws:apigatewayv2/authorizer:Authorizer": "name",
    "aws:cognito/userPool:UserPool": "name",
    "aws:cognito/userPoolClient:UserPoolClient": "name",
    "aws:cognito/userPoolDomain:UserPoolDomain": "domain",
    LAMBDA_PERMISSION: "statementId",
}

PUBLIC_CIDRS = ("0.0.0.0/0",)
PUBLIC_IPV6_CIDRS = ("::/0",)


def _missing(value: Any) -> bool:
    """Absent or empty; an UNKNOWN (preview) value is never missing."""
    return value is None or value == "" or value == [] or value == {}


def _is_aws_managed_key(key: Any) -> bool:
    return isinstance(key, str) and (key.startswith("alias/aws/") or ":alias/aws/" in key)


def _cmk_problem(key: Any, what: str) -> list[str]:
    if _missing(key):
        return [f"{what} is not set: encryption at rest must use the environment's customer-managed KMS key"]
    if _is_aws_managed_key(key):
        return [f"{what} is the AWS-managed key {key!r}; use the environment's customer-managed KMS key"]
    return []


# --- resource rules ---------------------------------------------------------------------------------


def required_tags(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.tags is None:
        return
    missing = [t for t in REQUIRED_TAGS if not r.tags.get(t)]
    if missing:
        yield f"missing required tags {missing} (has {sorted(r.tags)})"


def _carries(name: str, suffix: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(suffix)}(?![A-Za-z0-9])", name) is not None


def environment_suffix_in_names(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if not ctx.suffix or not r.type.startswith("aws:"):
        return
    key = PHYSICAL_NAME_KEYS.get(r.type)
    if key:
        physical = r.props.get(key)
        if isinstance(physical, str) and not _carries(physical, ctx.suffix):
            yield f"{key} {physical!r} does not carry the environment suffix {ctx.suffix!r}"
        elif physical is None and not _carries(r.name, ctx.suffix):
            # Auto-named: the physical name is the logical name plus a random suffix.
            yield f"auto-named from {r.name!r}, which does not carry the environment suffix {ctx.suffix!r}"
    name_tag = (r.tags or {}).get("Name")
    if name_tag and not _carries(name_tag, ctx.suffix):
        yield f"Name tag {name_tag!r} does not carry the environment suffix {ctx.suffix!r}"


def encryption_at_rest_cmk(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.type == CLUSTER:
        if r.props.get("storageEncrypted") is not True and not is_unknown(r.props.get("storageEncrypted")):
            yield "storageEncrypted is not true"
        yield from _cmk_problem(r.props.get("kmsKeyId"), "kmsKeyId")
    elif r.type == TABLE:
        sse = r.get("serverSideEncryption", default={})
        if not is_unknown(sse):
            if r.get("serverSideEncryption", "enabled") is not True:
                yield "serverSideEncryption.enabled is not true (the default uses an AWS-owned key)"
            yield from _cmk_problem(r.get("serverSideEncryption", "kmsKeyArn"), "serverSideEncryption.kmsKeyArn")
    elif r.type == QUEUE:
        yield from _cmk_problem(r.props.get("kmsMasterKeyId"), "kmsMasterKeyId")
    elif r.type == TOPIC:
        yield from _cmk_problem(r.props.get("kmsMasterKeyId"), "kmsMasterKeyId")
    elif r.type == LOG_GROUP:
        yield from _cmk_problem(r.props.get("kmsKeyId"), "kmsKeyId")
    elif r.type == BUCKET_SSE:
        rules = r.props.get("rules")
        if is_unknown(rules):
            return
        if _is_access_log_target(r.props.get("bucket"), rules):
            return
        if _missing(rules):
            yield "no encryption rule"
        for i, rule in enumerate(rules or []):
            default = (rule or {}).get("applyServerSideEncryptionByDefault") or {}
            if is_unknown(default):
                continue
            if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse", UNKNOWN):
                yield f"rules[{i}].sseAlgorithm is {default.get('sseAlgorithm')!r}, not aws:kms"
            yield from _cmk_problem(default.get("kmsMasterKeyId"), f"rules[{i}].kmsMasterKeyId")


def _is_access_log_target(bucket: Any, rules: Any) -> bool:
    """S3 server access log targets accept SSE-S3 only (AWS: enable-server-access-logging): the
    audit bucket's access-log bucket (named `...-audit-access-logs`) may use AES256 and nothing else."""
    return (
        isinstance(bucket, str)
        and bucket.endswith(f"-{ACCESS_LOG_BUCKET_PURPOSE}")
        and all(((rule or {}).get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") == "AES256" for rule in rules or [])
        and bool(rules)
    )


def no_public_ingress(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    def open_(v4: Any, v6: Any) -> list[str]:
        return [c for c in iam.as_list(v4) if c in PUBLIC_CIDRS] + [c for c in iam.as_list(v6) if c in PUBLIC_IPV6_CIDRS]

    if r.type in SG_INGRESS:
        for cidr in open_(r.props.get("cidrIpv4"), r.props.get("cidrIpv6")):
            yield f"ingress from {cidr}"
    elif r.type == SG_RULE and r.props.get("type") == "ingress":
        for cidr in open_(r.props.get("cidrBlocks"), r.props.get("ipv6CidrBlocks")):
            yield f"ingress from {cidr}"
    elif r.type in (SECURITY_GROUP, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        for rule in iam.as_list(r.props.get("ingress")):
            if isinstance(rule, Mapping):
                for cidr in open_(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks")):
                    yield f"inline ingress from {cidr} (ports {rule.get('fromPort')}-{rule.get('toPort')})"


def _policy_documents(r: ResourceView) -> list[tuple[str, Any]]:
    if r.type == ROLE:
        return [(f"inlinePolicies[{p.get('name')}]", p.get("policy")) for p in iam.as_list(r.props.get("inlinePolicies")) if isinstance(p, Mapping)]
    if r.type in (ROLE_POLICY, POLICY, USER_POLICY, GROUP_POLICY):
        return [("policy", r.props.get("policy"))]
    return []


def iam_no_wildcard_action(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    for where, document in _policy_documents(r):
        for i, statement in enumerate(iam.statements(document)):
            found = iam.wildcard_actions(statement)
            if found:
                yield f"{where} statement {statement.get('Sid', i)!r} allows wildcard actions {found}"
    if r.type in POLICY_ATTACHMENTS and iam.is_broad_managed_policy(r.props.get("policyArn")):
        yield f"attaches {r.props.get('policyArn')}, which grants wildcard actions"


def iam_no_wildcard_resource(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    for where, document in _policy_documents(r):
        for i, statement in enumerate(iam.statements(document)):
            found = iam.wildcard_resource_actions(statement)
            if found:
                yield (
                    f"{where} statement {statement.get('Sid', i)!r} grants {found} on Resource '*'; "
                    f"only {sorted(iam.WILDCARD_RESOURCE_EXCEPTIONS)} may"
                )


def lambda_in_vpc_with_tracing(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.type != FUNCTION:
        return
    vpc = r.props.get("vpcConfig")
    if not is_unknown(vpc):
        if _missing(r.get("vpcConfig", "subnetIds")):
            yield "vpcConfig.subnetIds is empty: the function is not in the VPC"
        if _missing(r.get("vpcConfig", "securityGroupIds")):
            yield "vpcConfig.securityGroupIds is empty"
    mode = r.get("tracingConfig", "mode")
    if mode != "Active" and not is_unknown(mode):
        yield f"tracingConfig.mode is {mode!r}, not 'Active'"


def log_group_retention(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.type != LOG_GROUP:
        return
    days = r.props.get("retentionInDays")
    if not is_unknown(days) and not (isinstance(days, (int, float)) and days > 0):
        yield f"retentionInDays is {days!r}: log groups must expire (0 or unset keeps logs forever)"


def aurora_backups(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.type != CLUSTER:
        return
    days = r.props.get("backupRetentionPeriod")
    if not is_unknown(days) and not (isinstance(days, (int, float)) and days >= 1):
        yield f"backupRetentionPeriod is {days!r}; automated backups need an explicit retention of at least 1 day"


def destroyable(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.protect:
        yield "protect is set"
    if r.retain_on_delete:
        yield "retainOnDelete is set"
    if r.type == CLUSTER and r.props.get("deletionProtection") is True:
        yield "deletionProtection is true"
    if r.type == TABLE and r.props.get("deletionProtectionEnabled") is True:
        yield "deletionProtectionEnabled is true"
    if r.type in ("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate") and r.props.get("disableApiTermination") is True:
        yield "disableApiTermination is true"
    if r.type == BUCKET_OBJECT_LOCK and r.get("rule", "defaultRetention", "mode") == "COMPLIANCE":
        yield "Object Lock in COMPLIANCE mode makes the bucket undeletable until retention expires"


AUTHENTICATED_ROUTE_TYPES = ("JWT", "AWS_IAM", "CUSTOM")


def api_routes_authenticated(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.type != API_ROUTE:
        return
    kind = r.props.get("authorizationType")
    if is_unknown(kind):
        return
    if kind not in AUTHENTICATED_ROUTE_TYPES:
        yield f"route {r.props.get('routeKey')!r} has authorizationType {kind or 'NONE'!r}: anyone can call it; use JWT, AWS_IAM or CUSTOM"
        return
    if kind in ("JWT", "CUSTOM") and _missing(r.props.get("authorizerId")):
        yield f"route {r.props.get('routeKey')!r}: authorizationType {kind} without an authorizerId"
    if kind == "JWT" and _missing(r.props.get("authorizationScopes")):
        yield f"route {r.props.get('routeKey')!r}: a JWT route without authorizationScopes accepts any token of the issuer (ID tokens too)"


def execute_api_scope_problem(source_arn: str) -> str | None:
    """Why an API Gateway `lambda.Permission` source ARN is not scoped to one API and route, or None.

    `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>`: the API id must be
    named, and the method or the path too; `<api>/*`, `<api>/*/*` and `<api>/*/*/*` admit every
    route of the API (and any route added later).
    """
    parts = source_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "execute-api":
        return f"sourceArn {source_arn!r} is not an execute-api ARN"
    api_id, *rest = parts[5].split("/")
    if api_id in ("", "*"):
        return f"sourceArn {source_arn!r} admits every API of the account"
    method = rest[1] if len(rest) > 1 else ""
    path = "/".join(rest[2:])
    if method in ("", "*") and path in ("", "*"):
        return f"sourceArn {source_arn!r} ends in a bare wildcard: every route of the API may invoke the function"
    return None


def lambda_permission_scoped(r: ResourceView, ctx: StackContext) -> Iterable[str]:
    if r.type != LAMBDA_PERMISSION:
        return
    principal, source_arn = r.props.get("principal"), r.props.get("sourceArn")
    if is_unknown(principal) or is_unknown(source_arn):
        return
    if isinstance(principal, str) and principal.endswith(".amazonaws.com") and _missing(source_arn):
        yield f"no sourceArn: any {principal} resource, in any account, may invoke the function"
    elif principal == "apigateway.amazonaws.com" and isinstance(source_arn, str):
        problem = execute_api_scope_problem(source_arn)
        if problem:
            yield problem


# --- stack rules ------------------------------------------------------------------------------------


def _references(sub: ResourceView, target: ResourceView, key: str, target_keys: Sequence[str]) -> bool:
    """Does `sub.props[key]` name `target` (by physical name, id or ARN)? Only while that value is
    unknown (a preview) does depending on `target` count: a known value naming another bucket does
    not (the access-log bucket's policy depends on the audit bucket's ARN but belongs to its own)."""
    value = sub.props.get(key)
    names = {target.props.get(k) for k in target_keys} - {None, UNKNOWN}
    if value is not None and not is_unknown(value):
        return value in names
    return target.urn in sub.depends_on


def _by_type(resources: Sequence[ResourceView], type_: str) -> list[ResourceView]:
    return [r for r in resources if r.type == type_]


BUCKET_KEYS = ("bucket", "id", "arn")


def s3_bucket_controls(resources: Sequence[ResourceView], ctx: StackContext) -> Iterable[tuple[str, str]]:
    """Each bucket has SSE (CMK), a full public access block, a TLS-only policy and versioning."""
    for bucket in _by_type(resources, BUCKET):
        def attached(type_: str) -> list[ResourceView]:
            return [s for s in _by_type(resources, type_) if _references(s, bucket, "bucket", BUCKET_KEYS)]

        if not attached(BUCKET_SSE):
            yield bucket.urn, "no BucketServerSideEncryptionConfiguration (SSE-KMS with the CMK) references this bucket"
        blocks = attached(BUCKET_PAB)
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if not blocks:
            yield bucket.urn, "no BucketPublicAccessBlock references this bucket"
        for block in blocks:
            off = [f for f in flags if block.props.get(f) is not True and not is_unknown(block.props.get(f))]
            if off:
                yield block.urn, f"public access block flags not true: {off}"
        policies = attached(BUCKET_POLICY)
        if not any(iam.denies_insecure_transport(p.props.get("policy")) or is_unknown(p.props.get("policy")) for p in policies):
            yield bucket.urn, "no bucket policy denies requests with aws:SecureTransport = false (TLS-only)"
        versionings = attached(BUCKET_VERSIONING)
        if not any(v.get("versioningConfiguration", "status") in ("Enabled", UNKNOWN) for v in versionings):
            yield bucket.urn, "versioning is not Enabled by a BucketVersioning resource"


def aurora_tls_forced(resources: Sequence[ResourceView], ctx: StackContext) -> Iterable[tuple[str, str]]:
    groups = _by_type(resources, CLUSTER_PARAMETER_GROUP)
    for cluster in _by_type(resources, CLUSTER):
        name = cluster.props.get("dbClusterParameterGroupName")
        if is_unknown(name):
            continue
        if _missing(name):
            yield cluster.urn, "no dbClusterParameterGroupName: the default parameter group does not force TLS"
            continue
        used = [g for g in groups if name in (g.props.get("name"), g.props.get("id")) or g.urn in cluster.depends_on]
        if not used:
            yield cluster.urn, f"parameter group {name!r} is not declared in this stack, so rds.force_ssl cannot be verified"
        for group in used:
            parameters = group.props.get("parameters")
            if is_unknown(parameters):
                continue
            values = {p.get("name"): str(p.get("value")) for p in iam.as_list(parameters) if isinstance(p, Mapping)}
            if values.get("rds.force_ssl") != "1":
                yield group.urn, f"rds.force_ssl is {values.get('rds.force_ssl')!r}, not '1': TLS is not forced"


def nat_instances_where_declared(resources: Sequence[ResourceView], ctx: StackContext) -> Iterable[tuple[str, str]]:
    nat_instances = [r for r in resources if r.type in NAT_INSTANCE_TYPES]
    gateways = _by_type(resources, NAT_GATEWAY)
    vpcs = _by_type(resources, VPC)
    if not (nat_instances or gateways or vpcs):
        return
    anchor = (vpcs or nat_instances or gateways)[0].urn
    if ctx.nat_mode is None:
        yield anchor, "the network layer declares no natMode, so NAT resources cannot be checked"
        return
    if ctx.nat_mode != "instance":
        for r in nat_instances:
            yield r.urn, f"NAT instance machinery ({r.type}) but the environment declares natMode {ctx.nat_mode!r}"
    if ctx.nat_mode != "gateway":
        for r in gateways:
            yield r.urn, f"NAT gateway but the environment declares natMode {ctx.nat_mode!r}"
    if vpcs and ctx.nat_mode == "instance" and not nat_instances:
        yield anchor, "natMode 'instance' but no NAT instance is declared"
    if vpcs and ctx.nat_mode == "gateway" and not gateways:
        yield anchor, "natMode 'gateway' but no NAT gateway is declared"


# RDS names the master-user secret it manages `rds!cluster-<uuid>` (`rds!db-...` for instances).
_MASTER_SECRET = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:rds!")
SECRET_READ_ACTION = "secretsmanager:GetSecretValue"


def _reads_master_secret(statement: Mapping[str, Any]) -> list[str]:
    """The resources through which an Allow statement lets its holder read an RDS master secret."""
    if not iam.is_allow(statement):
        return []
    actions = [a for a in iam.as_list(statement.get("Action")) if isinstance(a, str)]
    if not any(fnmatchcase(SECRET_READ_ACTION.lower(), a.lower()) for a in actions):
        return []
    return [r for r in iam.as_list(statement.get("Resource")) if isinstance(r, str) and _could_name_master_secret(r)]


def _could_name_master_secret(resource: str) -> bool:
    """The ARN of an RDS-managed secret, or a pattern (`*`, `...:secret:*`) one would match."""
    if _MASTER_SECRET.match(resource):
        return True
    if "*" not in resource and "?" not in resource:
        return False
    parts = resource.split(":")

    def literal(index: int, default: str) -> str:
        value = parts[index] if len(parts) > index else ""
        return value if value and "*" not in value and "?" not in value else default

    sample = f"arn:aws:secretsmanager:{literal(3, 'us-east-1')}:{literal(4, '123456789012')}:secret:rds!cluster-0-AbCdEf"
    return fnmatchcase(sample, resource)


def _migration_role_names(resources: Sequence[ResourceView]) -> set[str]:
    """Names of the roles the migration function runs as (from its `role` ARN)."""
    names = set()
    for fn in _by_type(resources, FUNCTION):
        role = fn.props.get("role")
        if fn.props.get("handler") == MIGRATE.handler and isinstance(role, str):
            names.add(role.rsplit("/", 1)[-1])
    return names


def master_secret_migration_only(resources: Sequence[ResourceView], ctx: StackContext) -> Iterable[tuple[str, str]]:
    """Only the migration function's role may read the RDS master secret (issue 15)."""
    allowed = _migration_role_names(resources)
    for r in resources:
        if r.type == ROLE:
            holder = r.props.get("name")
        elif r.type == ROLE_POLICY:
            holder = r.props.get("role")
        elif r.type in (POLICY, USER_POLICY, GROUP_POLICY):
            holder = None  # not a function's role whatever it is attached to
        else:
            continue
        if is_unknown(holder):
            continue
        for where, document in _policy_documents(r):
            for i, statement in enumerate(iam.statements(document)):
                found = _reads_master_secret(statement)
                if found and holder not in allowed:
                    who = f"role {holder!r}" if holder else f"{r.type.rsplit(':', 1)[-1]} {r.name!r}"
                    yield r.urn, (
                        f"{where} statement {statement.get('Sid', i)!r} lets {who} read the RDS master secret {found}; "
                        f"only the migration function's role ({MIGRATE.handler}) may"
                    )


RULES: tuple[Rule, ...] = (
    Rule("required-tags", "All resources must be tagged with Environment, Team and CostCenter (seed constraint)", "resource", required_tags),
    Rule("environment-suffix-in-names", "Resource names must include the environmentSuffix (seed: company-service-environment-purpose)", "resource", environment_suffix_in_names),
    Rule("encryption-at-rest-cmk", "Aurora, DynamoDB, S3, SQS, SNS and log groups encrypted at rest with a customer-managed KMS key (PCI DSS 3.5.1)", "resource", encryption_at_rest_cmk),
    Rule("s3-bucket-controls", "S3: SSE-KMS, a public access block with all four flags, a TLS-only bucket policy and versioning (FSBP S3.5, S3.8, S3.14)", "stack", s3_bucket_controls),
    Rule("no-public-ingress", "No security-group ingress from 0.0.0.0/0 or ::/0 (FSBP EC2.18/EC2.19, PCI DSS 1.3.1)", "resource", no_public_ingress),
    Rule("iam-no-wildcard-action", "No IAM statement allows a wildcard action (FSBP IAM.1, IAM.21)", "resource", iam_no_wildcard_action),
    Rule("iam-no-wildcard-resource", "No IAM statement grants Resource '*' outside the named exceptions (least privilege, PCI DSS 7.2)", "resource", iam_no_wildcard_resource),
    Rule("master-secret-migration-only", "Only the migration function's role may read the RDS master secret; functions log in as their own database user (issue 15, PCI DSS 7.2, 8.6)", "stack", master_secret_migration_only),
    Rule("lambda-vpc-tracing", "Lambda functions run in the VPC with X-Ray tracing Active (FSBP Lambda.3, PCI DSS 1.3)", "resource", lambda_in_vpc_with_tracing),
    Rule("log-group-retention", "Log groups have a retention period (PCI DSS 10.5.1)", "resource", log_group_retention),
    Rule("aurora-backups", "RDS instances must have automated backups with a retention period (seed constraint)", "resource", aurora_backups),
    Rule("aurora-tls-forced", "Aurora forces TLS: the cluster parameter group sets rds.force_ssl=1 (PCI DSS 4.2.1)", "stack", aurora_tls_forced),
    Rule("destroyable", "All resources must be destroyable: no protect, retainOnDelete or deletion protection (seed constraint)", "resource", destroyable),
    Rule("api-routes-authenticated", "Every API Gateway route authenticates its caller (JWT with scopes, IAM or a custom authorizer), failing closed (issue 18; PCI DSS 8.2)", "resource", api_routes_authenticated),
    Rule("lambda-permission-scoped", "A lambda.Permission for a service names its source; for API Gateway, one API and route, not a wildcard (confused deputy, issue 18)", "resource", lambda_permission_scoped),
    Rule("nat-instances-where-declared", "NAT gateways for production/staging, NAT instances for development, as the network layer declares (seed)", "stack", nat_instances_where_declared),
)
RULES_BY_ID: Mapping[str, Rule] = {r.id: r for r in RULES}


def evaluate(resources: Sequence[ResourceView], ctx: StackContext, rules: Sequence[Rule] = RULES) -> list[Violation]:
    """Every violation of `rules` in one stack's resources."""
    found: list[Violation] = []
    for rule in rules:
        if rule.scope == "resource":
            # Components and providers too: `protect` on a component is inherited by its children.
            found += [Violation(rule.id, r.urn, m) for r in resources for m in rule.check(r, ctx)]
        else:
            found += [Violation(rule.id, urn, m) for urn, m in rule.check(resources, ctx)]
    return found
