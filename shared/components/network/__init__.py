"""Components of the network layer: VPC and subnets, NAT egress, security tiers, endpoints, flow logs."""
