#!/usr/bin/env bash
# The master: kubeadm init, Calico, the vagrant user's kubeconfig, the workers' join command.
# Run by Vagrant as root after common.sh (provisioner "master"); safe to re-run.
#
# Environment (from the Vagrantfile): MASTER_IP, KUBERNETES_VERSION, POD_CIDR,
# CALICO_VERSION (e.g. v3.29.3), JOIN_FILE (in the synced folder, read by the workers).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lab_require_root
lab_require_env MASTER_IP KUBERNETES_VERSION POD_CIDR CALICO_VERSION JOIN_FILE
export KUBECONFIG=/etc/kubernetes/admin.conf
CACHE_DIR=/var/cache/istiotui-lab
lab_steps 6

lab_step "Initialising the control plane (kubeadm init, Kubernetes ${KUBERNETES_VERSION})"
if [[ -f /etc/kubernetes/admin.conf ]]; then
    lab_info "already initialised: keeping the existing control plane"
else
    kubeadm init \
        --kubernetes-version "v${KUBERNETES_VERSION}" \
        --apiserver-advertise-address "$MASTER_IP" \
        --apiserver-cert-extra-sans "$MASTER_IP" \
        --pod-network-cidr "$POD_CIDR" \
        --node-name "$(hostname -s)"
fi
lab_wait 300 "the API server" kubectl get --raw /readyz

lab_step "Giving the vagrant user a kubeconfig"
install -d -o vagrant -g vagrant -m 0700 /home/vagrant/.kube
install -o vagrant -g vagrant -m 0600 /etc/kubernetes/admin.conf /home/vagrant/.kube/config

lab_step "Installing Calico ${CALICO_VERSION} with pod network ${POD_CIDR}"
mkdir -p "$CACHE_DIR"
calico_upstream="${CACHE_DIR}/calico-${CALICO_VERSION}.yaml"
if [[ ! -s "$calico_upstream" ]]; then
    curl -fsSL -o "${calico_upstream}.part" \
        "https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/calico.yaml"
    mv "${calico_upstream}.part" "$calico_upstream"
fi
calico_manifest="${CACHE_DIR}/calico-lab.yaml"
# Two edits: the IP pool must be kubeadm's pod CIDR, and calico-node must pick the host-only
# interface (the NAT one has the same address on every VM) - the one that reaches the master.
sed -e 's|# - name: CALICO_IPV4POOL_CIDR|- name: CALICO_IPV4POOL_CIDR|' \
    -e "s|#   value: \"192.168.0.0/16\"|  value: \"${POD_CIDR}\"|" \
    -e "/value: \"autodetect\"/a\\            - name: IP_AUTODETECTION_METHOD\\n              value: \"can-reach=${MASTER_IP}\"" \
    "$calico_upstream" >"$calico_manifest"
grep -q "value: \"${POD_CIDR}\"" "$calico_manifest" || lab_die "could not set CALICO_IPV4POOL_CIDR in $calico_upstream"
[[ "$(grep -c "can-reach=${MASTER_IP}" "$calico_manifest")" -eq 1 ]] || lab_die "could not set IP_AUTODETECTION_METHOD in $calico_upstream"
# Server-side apply: idempotent, and no size limit from the last-applied annotation on the CRDs.
kubectl apply --server-side --force-conflicts -f "$calico_manifest" >/dev/null
kubectl -n kube-system rollout status daemonset/calico-node --timeout=600s

lab_step "Waiting for the master node to be Ready"
kubectl wait --for=condition=Ready "node/$(hostname -s)" --timeout=600s

lab_step "Writing the join command for the workers"
# A fresh token on every run: kubeadm's tokens expire after 24 hours.
mkdir -p "$(dirname "$JOIN_FILE")"
join_command="$(kubeadm token create --print-join-command)"
printf '#!/usr/bin/env bash\n%s\n' "$join_command" >"${JOIN_FILE}.part"
mv "${JOIN_FILE}.part" "$JOIN_FILE"

lab_step "Shell conveniences for vagrant: kubectl completion and the alias k"
bashrc=/home/vagrant/.bashrc
lab_line_in_file "$bashrc" "source <(kubectl completion bash) ${LAB_MARK}"
lab_line_in_file "$bashrc" "alias k=kubectl ${LAB_MARK}"
lab_line_in_file "$bashrc" "complete -o default -F __start_kubectl k ${LAB_MARK}"
chown vagrant:vagrant "$bashrc"
