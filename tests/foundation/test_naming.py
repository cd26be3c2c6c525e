"""Physical names follow company-service-suffix-purpose and respect AWS limits."""

import pytest

from shared.naming import Namer, NameKind, NamingError, check_name

NAMER = Namer("acme", "payments", "prod")


def test_names_follow_the_convention():
    assert NAMER.name("audit", NameKind.S3_BUCKET) == "acme-payments-prod-audit"


@pytest.mark.parametrize(
    "name, kind, message",
    [
        ("ab", NameKind.S3_BUCKET, "AWS allows 3-63"),
        ("a" * 64, NameKind.S3_BUCKET, "is 64 characters"),
        ("Acme-audit", NameKind.S3_BUCKET, "lowercase letters"),
        ("r" * 65, NameKind.IAM_ROLE, "AWS allows 1-64"),
        ("f" * 65, NameKind.LAMBDA_FUNCTION, "AWS allows 1-64"),
        ("1cluster", NameKind.RDS_IDENTIFIER, "starting with a letter"),
        ("my--cluster", NameKind.RDS_IDENTIFIER, "single hyphens"),
        ("c" * 64, NameKind.RDS_IDENTIFIER, "AWS allows 1-63"),
        ("q" * 81, NameKind.SQS_QUEUE, "AWS allows 1-80"),
        ("payments-key", NameKind.KMS_ALIAS, "'alias/'"),
    ],
)
def test_names_beyond_aws_limits_are_refused(name, kind, message):
    with pytest.raises(NamingError, match=message):
        check_name(name, kind)


def test_a_long_suffix_fails_with_the_config_that_built_the_name():
    namer = Namer("acme", "payments", "dev-feature-x123")
    with pytest.raises(NamingError) as caught:
        namer.name("process-payment-execution-role-with-extra-words", NameKind.IAM_ROLE)
    assert "payments:environmentSuffix" in str(caught.value)
    assert "AWS allows 1-64" in str(caught.value)


@pytest.mark.parametrize("name", ["acme-payments-prod-cluster", "a1", "abc-1"])
def test_valid_rds_identifiers(name):
    assert check_name(name, NameKind.RDS_IDENTIFIER) == name
