#!/usr/bin/env bash
# Lab helper, on the master as the vagrant user: install Istio the way the lab does, in one go.
#   bash /vagrant/scripts/install-istio.sh
# Istio 1.24.0 into ~/istio-1.24.0 and on PATH, `istioctl x precheck`, the minimal profile with
# Envoy access logs, the lab's ingress and egress gateways (istio-manifests/), and the ingress
# gateway's Service switched to ClusterIP. Safe to re-run: each step checks or converges.
#
# Environment: ISTIO_VERSION (default 1.24.0, the lab's), MANIFESTS_DIR (default: the
# istio-manifests folder next to this script's folder).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ISTIO_VERSION="${ISTIO_VERSION:-1.24.0}"
ISTIO_DIR="${HOME}/istio-${ISTIO_VERSION}"
MANIFESTS_DIR="${MANIFESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/istio-manifests}"
lab_steps 7

[[ "$(id -u)" -ne 0 ]] || lab_die "run this as the vagrant user, not root: Istio goes into your home directory"
command -v kubectl >/dev/null || lab_die "kubectl is not installed: run this on the master"
kubectl get --raw /readyz >/dev/null || lab_die "the cluster does not answer: check 'kubectl get nodes'"
for manifest in ingress.yaml egress.yaml; do
    [[ -f "${MANIFESTS_DIR}/${manifest}" ]] || lab_die "missing ${MANIFESTS_DIR}/${manifest}"
done

lab_step "Downloading Istio ${ISTIO_VERSION} into ${ISTIO_DIR}"
if [[ -x "${ISTIO_DIR}/bin/istioctl" ]]; then
    lab_info "already there"
else
    # Istio's download script reads ISTIO_VERSION and unpacks into the current directory.
    (cd "$HOME" && curl -fsSL https://istio.io/downloadIstio | ISTIO_VERSION="$ISTIO_VERSION" sh -)
    [[ -x "${ISTIO_DIR}/bin/istioctl" ]] || lab_die "the download did not produce ${ISTIO_DIR}/bin/istioctl"
fi

lab_step "Putting istioctl on PATH (~/.bashrc)"
lab_line_in_file "${HOME}/.bashrc" "export PATH=\"\$PATH:${ISTIO_DIR}/bin\" ${LAB_MARK}"
export PATH="${PATH}:${ISTIO_DIR}/bin"

lab_step "Checking the cluster (istioctl x precheck)"
# istioctl prunes what a nameless install does not render: re-running the minimal install would
# delete the gateways. So an existing control plane is kept as it is.
istio_present=false
if kubectl -n istio-system get deployment istiod >/dev/null 2>&1; then
    istio_present=true
    lab_info "istiod is already installed: skipping the pre-installation check"
else
    istioctl x precheck
fi

lab_step "Installing Istio's minimal profile with access logs on stdout"
if [[ "$istio_present" == true ]]; then
    lab_info "keeping the installed control plane (to start over: istioctl uninstall --purge -y)"
else
    istioctl install --set profile=minimal -y --set meshConfig.accessLogFile=/dev/stdout
fi

lab_step "Installing the ingress gateway (${MANIFESTS_DIR}/ingress.yaml)"
istioctl install -y -f "${MANIFESTS_DIR}/ingress.yaml"

lab_step "Installing the egress gateway (${MANIFESTS_DIR}/egress.yaml)"
istioctl install -y -f "${MANIFESTS_DIR}/egress.yaml"

lab_step "Switching the ingress gateway's Service from LoadBalancer to ClusterIP"
# The API server drops the node ports itself when the type becomes ClusterIP.
kubectl -n istio-system patch service istio-ingressgateway --type merge -p '{"spec":{"type":"ClusterIP"}}'
kubectl -n istio-system get service istio-ingressgateway istio-egressgateway
lab_info "done: open a new shell (or 'source ~/.bashrc') to have istioctl on PATH"
