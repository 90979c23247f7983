#!/usr/bin/env bash
# istiotui on the master: a virtualenv built from the synced project folder, on PATH, so that
# `istiotui` works right after `vagrant ssh master`.
# Run by Vagrant as root (provisioner "istiotui"); safe to re-run: it reinstalls from /vagrant,
# which is also how to pick up changes made on the host.
#
# It runs on the master before the workers exist, and its downloads are the largest of the
# lab's: a failure here is reported with the command to retry it, and `vagrant up` goes on, so
# the cluster gets its workers either way.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lab_nonfatal "vagrant provision master --provision-with istiotui"

lab_require_root
PROJECT_DIR="${PROJECT_DIR:-/vagrant}"
VENV_DIR=/opt/istiotui/venv
lab_steps 3

[[ -f "${PROJECT_DIR}/pyproject.toml" ]] || lab_die "no pyproject.toml in ${PROJECT_DIR}: is the synced folder mounted?"

lab_step "Installing Python's venv support"
apt-get update -q
lab_apt_install python3 python3-venv python3-pip

lab_step "Installing istiotui from ${PROJECT_DIR} into ${VENV_DIR}"
if [[ ! -x "${VENV_DIR}/bin/python" ]]; then
    python3 -m venv "$VENV_DIR"
fi
"${VENV_DIR}/bin/python" -m pip install -q --upgrade pip
"${VENV_DIR}/bin/python" -m pip install -q --upgrade "$PROJECT_DIR"

lab_step "Putting istiotui on PATH"
ln -sfn "${VENV_DIR}/bin/istiotui" /usr/local/bin/istiotui
istiotui --help >/dev/null || lab_die "istiotui was installed but does not start"
lab_info "ready: run 'istiotui' after 'vagrant ssh master'"
