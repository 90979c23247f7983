# shellcheck shell=bash
# The cluster-specific edits and checks of the provisioning scripts, as functions that read
# and print text: the containerd config, Calico's manifest, containerd's version, the join
# file. Sourced after lib.sh, never run. tests/vms run each function on sample input, so that
# what decides a first `vagrant up` is checked without booting a VM.

# The pause image kubeadm 1.31 expects (`kubeadm config images list`).
LAB_PAUSE_IMAGE="registry.k8s.io/pause:3.10"

# lab_version_at_least HAVE NEED: true when dotted version HAVE >= NEED (numeric, part by part).
lab_version_at_least() {
    local -a have need
    local i
    IFS=. read -r -a have <<<"$1"
    IFS=. read -r -a need <<<"$2"
    for i in 0 1 2; do
        if ((${have[i]:-0} != ${need[i]:-0})); then
            ((${have[i]:-0} > ${need[i]:-0}))
            return
        fi
    done
    return 0
}

# lab_containerd_version TEXT: the x.y.z in `containerd --version`'s output (empty if none).
lab_containerd_version() {
    local words
    # "containerd github.com/containerd/containerd 1.7.24" or ".../containerd/v2 v2.0.4 <commit>"
    read -r -a words <<<"$1"
    local word
    for word in "${words[@]:2}"; do
        if [[ "$word" =~ ^v?([0-9]+\.[0-9]+\.[0-9]+) ]]; then
            printf '%s\n' "${BASH_REMATCH[1]}"
            return 0
        fi
    done
    return 1
}

# lab_containerd_supported VERSION: what Kubernetes 1.31 needs from containerd (containerd's
# release notes): 1.7.20 or newer in the 1.7 line, or 2.x. 1.6.34+ works too but is not what an
# Ubuntu 24.04 box gets, so the lab does not accept it.
lab_containerd_supported() {
    local version="$1"
    if [[ "${version%%.*}" -ge 2 ]]; then
        return 0
    fi
    [[ "$version" == 1.7.* ]] && lab_version_at_least "$version" 1.7.20
}

# lab_containerd_config < default > config: `containerd config default` with the systemd cgroup
# driver and kubeadm's pause image, in the schema of the containerd that printed it: version 2
# (containerd 1.x, "io.containerd.grpc.v1.cri") or version 3 (2.x, "io.containerd.cri.v1.*",
# which may leave SystemdCgroup out of the defaults it prints). Fails naming what it could not set.
lab_containerd_config() {
    local config schema runc_options sandbox_key
    config="$(cat)"
    schema="$(sed -nE 's/^version[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' <<<"$config" | head -n 1)"
    case "$schema" in
        2)
            runc_options="[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]"
            sandbox_key="sandbox_image"
            ;;
        3)
            runc_options="[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]"
            sandbox_key="sandbox"
            ;;
        *)
            lab_die "containerd's default config has schema version '${schema:-none}': the lab knows 2 (containerd 1.7) and 3 (containerd 2.x)"
            ;;
    esac
    config="$(sed -E \
        -e 's/^([[:space:]]*)SystemdCgroup[[:space:]]*=[[:space:]]*false/\1SystemdCgroup = true/' \
        -e "s|^([[:space:]]*)${sandbox_key}[[:space:]]*=.*|\\1${sandbox_key} = \"${LAB_PAUSE_IMAGE}\"|" \
        <<<"$config")"
    if ! grep -qE '^[[:space:]]*SystemdCgroup = true' <<<"$config"; then
        # Either quote style may name the table: compare it with both spellings.
        local header_sq header_dq
        header_sq="${runc_options//\"/\'}"
        header_dq="${runc_options//\'/\"}"
        if grep -qxF -e "$header_sq" -e "$header_dq" <<<"$(sed -E 's/^[[:space:]]+//' <<<"$config")"; then
            config="$(awk -v sq="$header_sq" -v dq="$header_dq" '
                { print }
                { line = $0; sub(/^[[:space:]]+/, "", line) }
                line == sq || line == dq { print "  SystemdCgroup = true" }' <<<"$config")"
        else
            config="$(printf '%s\n\n%s\n  SystemdCgroup = true\n' "$config" "$runc_options")"
        fi
    fi
    grep -qE '^[[:space:]]*SystemdCgroup = true' <<<"$config" ||
        lab_die "could not set SystemdCgroup = true in containerd's config"
    grep -qE "^[[:space:]]*${sandbox_key} = \"${LAB_PAUSE_IMAGE}\"" <<<"$config" ||
        lab_die "containerd's default config (schema ${schema}) has no ${sandbox_key} setting to point at ${LAB_PAUSE_IMAGE}"
    printf '%s\n' "$config"
}

# lab_calico_manifest POD_CIDR MASTER_IP < upstream > lab: Calico's release manifest with
#  - its IP pool set to kubeadm's pod CIDR;
#  - calico-node picking the host-only interface (the NAT one has the same address on every
#    VM): the one that reaches the master;
#  - its images from quay.io, where Calico publishes the same images as on Docker Hub: a lab
#    `up` pulls them on every node, and Docker Hub limits anonymous pulls per address.
lab_calico_manifest() {
    local pool="$1" reach="$2" manifest
    manifest="$(sed -E \
        -e 's|# - name: CALICO_IPV4POOL_CIDR|- name: CALICO_IPV4POOL_CIDR|' \
        -e "s|#   value: \"192.168.0.0/16\"|  value: \"${pool}\"|" \
        -e "/value: \"autodetect\"/a\\            - name: IP_AUTODETECTION_METHOD\\n              value: \"can-reach=${reach}\"" \
        -e 's#^([[:space:]]*(- )?image:[[:space:]]*"?)(docker\.io/)?calico/#\1quay.io/calico/#')"
    grep -q "value: \"${pool}\"" <<<"$manifest" || lab_die "could not set CALICO_IPV4POOL_CIDR in Calico's manifest"
    [[ "$(grep -c "can-reach=${reach}" <<<"$manifest")" -eq 1 ]] ||
        lab_die "could not set IP_AUTODETECTION_METHOD in Calico's manifest"
    grep -qE '^[[:space:]]*(- )?image:[[:space:]]*"?quay\.io/calico/' <<<"$manifest" ||
        lab_die "Calico's manifest has no calico/ images to take from quay.io"
    if grep -E '^[[:space:]]*(- )?image:' <<<"$manifest" | grep -qvE 'image:[[:space:]]*"?quay\.io/'; then
        lab_die "Calico's manifest still names images outside quay.io: $(grep -E 'image:' <<<"$manifest" | grep -v quay.io | head -n 1)"
    fi
    printf '%s\n' "$manifest"
}

# lab_join_problem JOIN_TEXT CLUSTER_INFO: why a join command would fail against the master
# that answered, or nothing (status 0) when it would not. CLUSTER_INFO is the JSON of the
# kube-public/cluster-info ConfigMap, which the API server gives to anyone: it carries the
# cluster's CA and one signature per live bootstrap token (jws-kubeconfig-<token id>), which is
# exactly what `kubeadm join` checks. Saying it here replaces kubeadm's token/CA-hash errors.
lab_join_problem() {
    local join="$1" info="$2" token_id want ca have
    if [[ "$join" =~ --token[[:space:]]+([a-z0-9]{6})\.[a-z0-9]{16} ]]; then
        token_id="${BASH_REMATCH[1]}"
    else
        echo "it holds no kubeadm token"
        return 1
    fi
    if [[ "$join" =~ --discovery-token-ca-cert-hash[[:space:]]+sha256:([0-9a-f]{64}) ]]; then
        want="${BASH_REMATCH[1]}"
    else
        echo "it holds no CA certificate hash"
        return 1
    fi
    if [[ "$info" =~ certificate-authority-data:[[:space:]]*([A-Za-z0-9+/=]+) ]]; then
        ca="${BASH_REMATCH[1]}"
    else
        echo "the master's cluster-info has no CA certificate"
        return 1
    fi
    # kubeadm's hash: SHA-256 of the CA's public key (its DER SubjectPublicKeyInfo).
    have="$(base64 -d <<<"$ca" | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
        sha256sum | cut -d' ' -f1)"
    if [[ "$have" != "$want" ]]; then
        echo "it was written for another master (its CA hash is not this master's): the master was re-created since"
        return 1
    fi
    if [[ "$info" != *"\"jws-kubeconfig-${token_id}\""* ]]; then
        echo "its token ${token_id}.* is no longer known to the master (deleted or expired)"
        return 1
    fi
    return 0
}

# lab_require_commands NAME...: fail naming every command kubeadm's preflight needs that is missing.
lab_require_commands() {
    local name missing=()
    for name in "$@"; do
        command -v "$name" >/dev/null 2>&1 || missing+=("$name")
    done
    [[ "${#missing[@]}" -eq 0 ]] || lab_die "missing commands kubeadm needs: ${missing[*]}"
}
