#!/usr/bin/env bash
# Lab helper, on the master as the vagrant user: undo the lab's steps and keep Istio.
#   bash /vagrant/scripts/reset-lab.sh
# Removes the bookinfo namespace; in the default namespace, the lab's workloads (httpbin,
# httpbin-v1/v2, curl, fortio), its Gateways, VirtualServices, DestinationRules and ServiceEntry,
# and the istio-injection label; the addons (Kiali, Prometheus, Grafana, ...) when installed.
# Istio itself (istio-system, istiod, the gateways) stays. Safe to re-run: absent things are skipped.
#
# Environment: ISTIO_VERSION (default 1.24.0): where to find samples/addons.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ISTIO_VERSION="${ISTIO_VERSION:-1.24.0}"
ADDONS_DIR="${HOME}/istio-${ISTIO_VERSION}/samples/addons"
lab_steps 4

command -v kubectl >/dev/null || lab_die "kubectl is not installed: run this on the master"
kubectl get --raw /readyz >/dev/null || lab_die "the cluster does not answer: check 'kubectl get nodes'"

lab_step "Deleting the bookinfo namespace"
kubectl delete namespace bookinfo --ignore-not-found --timeout=300s

lab_step "Deleting the lab's Istio objects in the default namespace"
istio_kinds="$(kubectl api-resources --api-group=networking.istio.io -o name)"
if [[ "$istio_kinds" == *virtualservices.networking.istio.io* ]]; then
    kubectl -n default delete --ignore-not-found \
        gateways.networking.istio.io/httpbin-gateway \
        gateways.networking.istio.io/istio-egressgateway \
        virtualservices.networking.istio.io/httpbin \
        virtualservices.networking.istio.io/direct-cnn-through-egress-gateway \
        destinationrules.networking.istio.io/httpbin \
        destinationrules.networking.istio.io/egressgateway-for-cnn \
        serviceentries.networking.istio.io/cnn
else
    lab_info "Istio's resource types are not installed: nothing to delete"
fi

lab_step "Deleting the lab's workloads in the default namespace"
kubectl -n default delete --ignore-not-found \
    deployment/httpbin deployment/httpbin-v1 deployment/httpbin-v2 deployment/curl deployment/fortio-deploy \
    service/httpbin service/curl service/fortio \
    serviceaccount/httpbin serviceaccount/curl
lab_pods='app in (httpbin, curl, fortio)'
if [[ -n "$(kubectl -n default get pods -l "$lab_pods" -o name)" ]]; then
    kubectl -n default wait --for=delete pod -l "$lab_pods" --timeout=180s
fi
default_labels="$(kubectl get namespace default -o jsonpath='{.metadata.labels}')"
if [[ "$default_labels" == *'"istio-injection"'* ]]; then
    kubectl label namespace default istio-injection-
fi

lab_step "Deleting the addons (Kiali, Prometheus, Grafana, ...) if present"
if [[ -d "$ADDONS_DIR" ]]; then
    kubectl delete --ignore-not-found -f "$ADDONS_DIR"
else
    lab_info "no ${ADDONS_DIR}: skipping"
fi
lab_info "done: Istio is still installed ('kubectl get pods -n istio-system')"
