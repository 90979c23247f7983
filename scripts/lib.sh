# shellcheck shell=bash
# Helpers shared by the lab's scripts. Sourced, never run:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Progress contract with istiotui (istiotui/vms/progress.py): each script declares how many
# steps it has with `lab_steps N`, then announces each one with `lab_step "text"`, which
# prints one line "[lab] <script> <i>/<N>: <text>".

LAB_SCRIPT="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"
LAB_STEP=0
LAB_STEPS_TOTAL=0
# shellcheck disable=SC2034  # used by the scripts that source this file
# Files this lab writes carry this marker so that re-runs replace, never duplicate, them.
LAB_MARK="# istiotui-lab"

lab_steps() {
    LAB_STEPS_TOTAL="$1"
    LAB_STEP=0
}

lab_step() {
    LAB_STEP=$((LAB_STEP + 1))
    printf '[lab] %s %d/%d: %s\n' "$LAB_SCRIPT" "$LAB_STEP" "$LAB_STEPS_TOTAL" "$*"
}

lab_info() {
    printf '[lab] %s: %s\n' "$LAB_SCRIPT" "$*"
}

lab_die() {
    printf '[lab] %s: error: %s\n' "$LAB_SCRIPT" "$*" >&2
    exit 1
}

# lab_nonfatal RETRY_COMMAND: from here on, a failure of this script (lab_die, or any command
# under set -e) is reported with RETRY_COMMAND and the script exits 0, so that Vagrant goes on
# with the other provisioners and machines. For steps the cluster does not need, like istiotui.
lab_nonfatal() {
    LAB_RETRY="$1"
    trap 'lab_nonfatal_exit $?' EXIT
}

lab_nonfatal_exit() {
    local status="$1"
    trap - EXIT
    if ((status != 0)); then
        printf '[lab] %s: warning: failed (exit %d); the rest of the lab goes on without it. Retry with: %s\n' \
            "$LAB_SCRIPT" "$status" "$LAB_RETRY" >&2
        exit 0
    fi
}

# lab_require_env NAME...: fail clearly when the Vagrantfile did not pass a variable.
lab_require_env() {
    local name
    for name in "$@"; do
        [[ -n "${!name:-}" ]] || lab_die "environment variable $name is not set (the Vagrantfile passes it)"
    done
}

lab_require_root() {
    [[ "$(id -u)" -eq 0 ]] || lab_die "run as root (Vagrant's provisioners do)"
}

# lab_wait SECONDS DESCRIPTION COMMAND...: retry COMMAND every 2 s until it succeeds or the
# deadline passes.
lab_wait() {
    local seconds="$1" description="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            lab_die "timed out after ${seconds}s waiting for $description"
        fi
        sleep 2
    done
}

lab_apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# lab_install_file SOURCE TARGET: replace TARGET by SOURCE when they differ; returns 0 when it
# changed something, 1 when TARGET was already the same (so callers restart only on change).
lab_install_file() {
    local source="$1" target="$2"
    if [[ -f "$target" ]] && cmp -s "$source" "$target"; then
        rm -f "$source"
        return 1
    fi
    install -m 0644 "$source" "$target"
    rm -f "$source"
    return 0
}

# lab_line_in_file FILE LINE: append LINE to FILE unless it is there already.
lab_line_in_file() {
    local file="$1" line="$2"
    touch "$file"
    grep -qxF -- "$line" "$file" || printf '%s\n' "$line" >>"$file"
}
