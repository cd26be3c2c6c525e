"""`PaymentsDashboard`: the CloudWatch dashboard of the payment path, from the upstream exports."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.observability.dashboard_body import dashboard_body
from shared.components.observability.watched import WatchedResources


@dataclass(frozen=True)
class PaymentsDashboardArgs:
    dashboard_name: str
    region: str
    watched: pulumi.Input[WatchedResources]  # the upstream resources, usually an Output of the exports


class PaymentsDashboard(pulumi.ComponentResource):
    """One dashboard: Lambda, DynamoDB and the dead-letter queue, Aurora per instance, the NAT path.

    The body is JSON built by a pure function inside `.apply`; it reads metrics only.
    """

    dashboard_name: pulumi.Output[str]
    dashboard_arn: pulumi.Output[str]

    def __init__(self, name: str, args: PaymentsDashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:PaymentsDashboard", name, None, opts)
        title = f"Payment path: {args.dashboard_name}"
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=pulumi.Output.from_input(args.watched).apply(lambda w: dashboard_body(w, args.region, title)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_arn = dashboard.dashboard_arn
        self.register_outputs({"dashboardName": self.dashboard_name, "dashboardArn": self.dashboard_arn})
