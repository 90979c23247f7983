#!/usr/bin/env bash
# A worker: join the cluster with the command the master left in the synced folder.
# Run by Vagrant as root after common.sh (provisioner "worker"); safe to re-run.
#
# Environment (from the Vagrantfile): MASTER_IP, JOIN_FILE.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lab_require_root
lab_require_env MASTER_IP JOIN_FILE
lab_steps 2

lab_step "Waiting for the master's API server at ${MASTER_IP}:6443"
lab_wait 600 "the join command in $JOIN_FILE (provision the master first)" test -s "$JOIN_FILE"
lab_wait 300 "the API server at ${MASTER_IP}:6443" curl -ksf "https://${MASTER_IP}:6443/readyz"

lab_step "Joining the cluster"
if [[ -f /etc/kubernetes/kubelet.conf ]]; then
    lab_info "already joined: nothing to do"
else
    bash "$JOIN_FILE"
fi
