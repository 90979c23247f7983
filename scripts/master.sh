#!/usr/bin/env bash
# The master: kubeadm init, Calico, the vagrant user's kubeconfig, the workers' join command.
# Run by Vagrant as root after common.sh (provisioner "master"); safe to re-run.
#
# Environment (from the Vagrantfile): MASTER_IP, KUBERNETES_VERSION, POD_CIDR,
# CALICO_VERSION (e.g. v3.29.3), JOIN_FILE (in the synced folder, read by the workers).
#
# The join command (docs/vms.md, "Joining workers"): the old file goes first, so that no worker
# joins with a command from an earlier or half-provisioned master; the new one carries the lab's
# own bootstrap token, which never expires (a worker re-created days later still joins) and is
# replaced, the previous one deleted, each time this script runs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-cluster.sh"

lab_require_root
lab_require_env MASTER_IP KUBERNETES_VERSION POD_CIDR CALICO_VERSION JOIN_FILE
export KUBECONFIG=/etc/kubernetes/admin.conf
CACHE_DIR=/var/cache/istiotui-lab
# The lab's current join token, kept on the master only (root-readable), to delete it when a
# new one replaces it.
TOKEN_FILE=/var/lib/istiotui-lab/join-token
lab_steps 6

if [[ -e "$JOIN_FILE" ]]; then
    lab_info "removing the previous join command ${JOIN_FILE}: workers wait for this run's"
    rm -f "$JOIN_FILE"
fi

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
# The pod CIDR as IP pool, the host-only interface for calico-node, the images from quay.io.
lab_calico_manifest "$POD_CIDR" "$MASTER_IP" <"$calico_upstream" >"$calico_manifest"
# Server-side apply: idempotent, and no size limit from the last-applied annotation on the CRDs.
kubectl apply --server-side --force-conflicts -f "$calico_manifest" >/dev/null
kubectl -n kube-system rollout status daemonset/calico-node --timeout=600s

lab_step "Waiting for the master node to be Ready"
kubectl wait --for=condition=Ready "node/$(hostname -s)" --timeout=600s

lab_step "Writing the join command for the workers (a bootstrap token that does not expire)"
if [[ -s "$TOKEN_FILE" ]]; then
    # Gone already (a re-created master) is fine: the point is that no old token stays valid.
    kubeadm token delete "$(cat "$TOKEN_FILE")" >/dev/null 2>&1 || true
fi
# --ttl 0: kubeadm's default of 24 h would fail a worker re-created the next day.
join_command="$(kubeadm token create --ttl 0 --print-join-command \
    --description "istiotui lab: workers join with it (scripts/master.sh replaces it)")"
[[ "$join_command" =~ --token[[:space:]]+([a-z0-9]{6}\.[a-z0-9]{16}) ]] ||
    lab_die "kubeadm printed no token in its join command: $join_command"
install -d -m 0700 "$(dirname "$TOKEN_FILE")"
(umask 077 && printf '%s\n' "${BASH_REMATCH[1]}" >"$TOKEN_FILE")
mkdir -p "$(dirname "$JOIN_FILE")"
printf '#!/usr/bin/env bash\n%s\n' "$join_command" >"${JOIN_FILE}.part"
mv "${JOIN_FILE}.part" "$JOIN_FILE"

lab_step "Shell conveniences for vagrant: kubectl completion and the alias k"
bashrc=/home/vagrant/.bashrc
lab_line_in_file "$bashrc" "source <(kubectl completion bash) ${LAB_MARK}"
lab_line_in_file "$bashrc" "alias k=kubectl ${LAB_MARK}"
lab_line_in_file "$bashrc" "complete -o default -F __start_kubectl k ${LAB_MARK}"
chown vagrant:vagrant "$bashrc"
