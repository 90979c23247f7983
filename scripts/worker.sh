#!/usr/bin/env bash
# A worker: join the cluster with the command the master left in the synced folder.
# Run by Vagrant as root after common.sh (provisioner "worker"); safe to re-run.
#
# Before joining it checks the join command against the master that answers (its CA and its
# live tokens, from the public cluster-info), so that a command left by an earlier master fails
# here with what to run, not inside kubeadm with a token or CA-hash error.
#
# Environment (from the Vagrantfile): MASTER_IP, JOIN_FILE.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-cluster.sh"

lab_require_root
lab_require_env MASTER_IP JOIN_FILE
lab_steps 2

lab_step "Waiting for the master's API server at ${MASTER_IP}:6443"
lab_wait 600 "the join command in $JOIN_FILE (provision the master first: vagrant provision master)" \
    test -s "$JOIN_FILE"
lab_wait 300 "the API server at ${MASTER_IP}:6443" curl -ksf "https://${MASTER_IP}:6443/readyz"

lab_step "Joining the cluster"
if [[ -f /etc/kubernetes/kubelet.conf ]]; then
    lab_info "already joined: nothing to do"
else
    cluster_info="$(curl -ksf "https://${MASTER_IP}:6443/api/v1/namespaces/kube-public/configmaps/cluster-info")" ||
        lab_die "the master at ${MASTER_IP} does not give its cluster-info: is it a kubeadm master?"
    if ! problem="$(lab_join_problem "$(cat "$JOIN_FILE")" "$cluster_info")"; then
        lab_die "${JOIN_FILE} cannot join this master: ${problem}. Write a fresh one, then join again: vagrant provision master --provision-with master && vagrant provision $(hostname -s) --provision-with worker"
    fi
    bash "$JOIN_FILE"
fi
