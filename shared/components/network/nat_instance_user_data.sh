#!/bin/bash
# Dev NAT instance bootstrap (the fck-nat pattern), rendered by
# shared.components.network.user_data.render_nat_user_data. Runs once per instance (cloud-init);
# the setup it installs runs on every boot, so a reboot or a replacement heals the same way.
set -euo pipefail

dnf install -y iptables-services   # the iptables tools; the iptables service itself stays off

install -d -m 0755 /etc/nat-instance
cat > /etc/nat-instance/nat.conf <<'CONF'
ENI_ID=%%ENI_ID%%
EIP_ALLOCATION_ID=%%EIP_ALLOCATION_ID%%
AWS_REGION=%%REGION%%
CONF

cat > /usr/local/sbin/nat-instance-setup <<'SCRIPT'
#!/bin/bash
set -euo pipefail
. /etc/nat-instance/nat.conf
export AWS_DEFAULT_REGION="$AWS_REGION"

# IMDSv2 only: every metadata read carries a session token.
imds() {
  local token
  token="$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)"
  curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

instance_id="$(imds instance-id)"
primary_mac="$(imds mac)"
primary_eni="$(imds "network/interfaces/macs/$primary_mac/interface-id")"
# Amazon Linux 2023 gives every interface its ENI id as an altname, whatever the kernel calls it.
public_if="$(ip -o link show dev "$primary_eni" | awk -F': ' '{print $2}')"

# 1. Replies to private clients leave through the primary interface with the client as
#    destination, which the source/destination check would drop.
aws ec2 modify-network-interface-attribute --network-interface-id "$primary_eni" --no-source-dest-check

# 2. Attach the persistent interface the private route tables point at. During a replacement
#    (instance refresh or health replacement, both launch-before-terminate) the old instance
#    keeps it, and keeps forwarding, until the group terminates it: wait for it. Until then this
#    instance reaches the EC2 API through its own auto-assigned public address.
if ! ip link show dev "$ENI_ID" >/dev/null 2>&1; then
  until aws ec2 attach-network-interface --instance-id "$instance_id" \
      --network-interface-id "$ENI_ID" --device-index 1; do
    echo "waiting for $ENI_ID to become available"
    sleep 5
  done
  until ip link show dev "$ENI_ID" >/dev/null 2>&1; do sleep 1; done
fi

# 3. The stable egress address: only now move the Elastic IP to this instance's primary
#    interface, so the old instance kept the allowlisted address for as long as it forwarded.
aws ec2 associate-address --allocation-id "$EIP_ALLOCATION_ID" \
  --network-interface-id "$primary_eni" --allow-reassociation
sleep 3

# 4. Forward and masquerade. Traffic from private subnets enters on the persistent interface
#    and leaves on the primary one, so strict reverse-path filtering must be off.
sysctl -q -w net.ipv4.ip_forward=1
for rp_filter in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$rp_filter"; done
iptables -F FORWARD
iptables -t nat -F POSTROUTING
iptables -t nat -A POSTROUTING -o "$public_if" -j MASQUERADE -m comment --comment "nat-instance egress"
echo "nat-instance: forwarding through $public_if, persistent interface $ENI_ID attached"
SCRIPT
chmod 0755 /usr/local/sbin/nat-instance-setup

cat > /etc/systemd/system/nat-instance.service <<'UNIT'
[Unit]
Description=NAT instance: Elastic IP, persistent interface, forwarding and masquerading
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/nat-instance-setup

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now nat-instance.service
