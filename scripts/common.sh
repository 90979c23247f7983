#!/usr/bin/env bash
# Every node: the kernel settings, container runtime and Kubernetes packages kubeadm needs.
# Run by Vagrant as root on each VM (Vagrantfile, provisioner "common"); safe to re-run.
#
# Environment (from the Vagrantfile): NODE_IP, MASTER_IP, KUBERNETES_VERSION (e.g. 1.31.12),
# LAB_HOSTS ("192.168.56.10 master,192.168.56.11 worker1,...").
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-cluster.sh"

# What kubeadm's preflight runs or checks for on every node, named rather than left to the
# kubelet package's dependencies: kubelet 1.31.14's .deb stopped depending on conntrack (and
# ethtool, iproute2), yet kubeadm 1.31 still stops without conntrack.
KUBEADM_PACKAGES=(conntrack socat ethtool iproute2 iptables)
KUBEADM_COMMANDS=(conntrack socat ethtool ip iptables mount nsenter crictl)

lab_require_root
lab_require_env NODE_IP MASTER_IP KUBERNETES_VERSION LAB_HOSTS
KUBERNETES_MINOR="${KUBERNETES_VERSION%.*}"
lab_steps 7

lab_step "Naming the lab's nodes in /etc/hosts"
# Drop our previous block, then write the current one (IPs may have changed in settings.yaml).
sed -i "\|${LAB_MARK}\$|d" /etc/hosts
IFS=',' read -r -a host_entries <<<"$LAB_HOSTS"
for entry in "${host_entries[@]}"; do
    printf '%s %s\n' "$entry" "$LAB_MARK" >>/etc/hosts
done

lab_step "Allowing password logins (user and password vagrant, as the lab's MobaXterm sessions use)"
# sshd takes the first value it reads and reads sshd_config.d in name order: 10- comes before the
# image's own files.
sshd_draft="$(mktemp)"
printf 'PasswordAuthentication yes\n' >"$sshd_draft"
if lab_install_file "$sshd_draft" /etc/ssh/sshd_config.d/10-istiotui-lab.conf; then
    sshd -t
    systemctl try-reload-or-restart ssh
fi

lab_step "Turning swap off (the kubelet requires it)"
swapoff -a
# Comment out swap lines so that swap stays off after a reboot (systemd generates its swap
# units from fstab, hence the reload).
sed -i -E 's|^([^#].*[[:space:]]swap[[:space:]].*)$|# \1|' /etc/fstab
systemctl daemon-reload

lab_step "Loading overlay and br_netfilter, enabling IP forwarding"
printf 'overlay\nbr_netfilter\n' >/etc/modules-load.d/istiotui-lab.conf
modprobe overlay
modprobe br_netfilter
cat >/etc/sysctl.d/99-istiotui-lab.conf <<'SYSCTL'
net.bridge.bridge-nf-call-iptables  = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward                 = 1
SYSCTL
sysctl --system >/dev/null

lab_step "Installing containerd with the systemd cgroup driver, and the tools kubeadm checks for"
apt-get update -q
lab_apt_install ca-certificates curl gpg apt-transport-https openssl containerd "${KUBEADM_PACKAGES[@]}"
containerd_version="$(lab_containerd_version "$(containerd --version)")" ||
    lab_die "cannot read containerd's version from: $(containerd --version)"
lab_containerd_supported "$containerd_version" ||
    lab_die "containerd ${containerd_version} is older than Kubernetes ${KUBERNETES_MINOR} needs (1.7.20 or newer, or 2.x): update the box (box.version in settings.yaml) or its packages"
lab_info "containerd ${containerd_version}"
mkdir -p /etc/containerd
config_draft="$(mktemp)"
# kubelet and containerd must agree on systemd cgroups; pause is the image kubeadm 1.31 expects.
# The edits follow the config schema of the containerd just installed (1.7: 2, 2.x: 3).
containerd config default | lab_containerd_config >"$config_draft"
if lab_install_file "$config_draft" /etc/containerd/config.toml; then
    systemctl restart containerd
fi
systemctl enable --now containerd
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n' \
    >/etc/crictl.yaml

lab_step "Installing kubelet, kubeadm and kubectl ${KUBERNETES_VERSION} from pkgs.k8s.io"
install -d -m 0755 /etc/apt/keyrings
curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key" |
    gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
printf 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v%s/deb/ /\n' \
    "$KUBERNETES_MINOR" >/etc/apt/sources.list.d/kubernetes.list
apt-get update -q
lab_apt_install --allow-change-held-packages \
    "kubelet=${KUBERNETES_VERSION}-*" "kubeadm=${KUBERNETES_VERSION}-*" "kubectl=${KUBERNETES_VERSION}-*"
apt-mark hold kubelet kubeadm kubectl >/dev/null
lab_require_commands "${KUBEADM_COMMANDS[@]}"

lab_step "Making the kubelet use the host-only address ${NODE_IP}"
# Without it every node would register VirtualBox's NAT address (10.0.2.15, the same on all).
kubelet_draft="$(mktemp)"
printf 'KUBELET_EXTRA_ARGS=--node-ip=%s\n' "$NODE_IP" >"$kubelet_draft"
if lab_install_file "$kubelet_draft" /etc/default/kubelet; then
    systemctl daemon-reload
    systemctl restart kubelet
fi
systemctl enable kubelet
