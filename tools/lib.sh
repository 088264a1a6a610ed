# shellcheck shell=bash
# Shared set-up steps for tools/audit-local.sh and tools/test-all.sh.
# Everything the project needs is installed from here, idempotently, on a fresh
# Debian 12 machine with root: Debian packages, the venv, the collection, the
# podman configuration and the locally built container image.

set -euo pipefail

FC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FC_CACHE="$FC_ROOT/.cache"
FC_VENV="$FC_ROOT/.venv"
FC_COLLECTIONS="$FC_CACHE/collections"
FC_IMAGE="localhost/fleetcheck-debian:bookworm"
export ANSIBLE_COLLECTIONS_PATH="$FC_COLLECTIONS"
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-1}"
# Project-local podman settings: runc (crun refuses the hybrid cgroup layout of
# some hosts) and ulimits within the hard limits (no CAP_SYS_RESOURCE needed).
export CONTAINERS_CONF="$FC_ROOT/tools/containers.conf"
mkdir -p "$FC_CACHE"

fc_log() { printf '\n==> %s\n' "$*" >&2; }

# fc_apt PACKAGE...: install the Debian packages that are missing.
fc_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  fc_log "installing Debian packages: ${missing[*]}"
  if [ ! -f "$FC_CACHE/.apt-updated" ] || [ -n "$(find "$FC_CACHE/.apt-updated" -mmin +720)" ]; then
    apt-get update -qq && touch "$FC_CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# fc_python: the real interpreter binary for the venv (never a pyenv shim).
fc_python() {
  local python
  python=$(command -v python3)
  "$python" -c 'import sys; print(sys.executable)'
}

# fc_venv REQUIREMENTS: the project venv with these pinned requirements.
fc_venv() {
  local requirements="$FC_ROOT/$1" stamp
  stamp=$(cat "$requirements" "$FC_ROOT/tests/constraints.txt" | sha256sum | cut -c1-16)
  if [ -x "$FC_VENV/bin/python" ] && grep -qx "$stamp" "$FC_VENV/.fleetcheck-$(basename "$requirements")" 2>/dev/null; then
    return 0
  fi
  if [ ! -x "$FC_VENV/bin/python" ]; then
    fc_log "creating the venv at $FC_VENV"
    "$(fc_python)" -m venv "$FC_VENV" 2>/dev/null || { fc_apt python3-venv; /usr/bin/python3 -m venv "$FC_VENV"; }
  fi
  fc_log "installing $1 into the venv"
  "$FC_VENV/bin/python" -m pip install --disable-pip-version-check \
    -r "$requirements" -c "$FC_ROOT/tests/constraints.txt" >"$FC_CACHE/pip.log" 2>&1 \
    || { grep -v "^WARNING: Location" "$FC_CACHE/pip.log" | tail -30 >&2; return 1; }
  echo "$stamp" > "$FC_VENV/.fleetcheck-$(basename "$requirements")"
}

# fc_collection: build the collection tarball and install it, as a user would.
fc_collection() {
  fc_log "building and installing fleetcheck.kvm"
  # molecule copies the collection under test here; a stale copy would shadow this build for ansible-lint
  rm -rf "$HOME/.ansible/collections/ansible_collections/fleetcheck/kvm"
  rm -rf "$FC_CACHE/dist" && mkdir -p "$FC_CACHE/dist" "$FC_COLLECTIONS"
  (cd "$FC_ROOT" && "$FC_VENV/bin/ansible-galaxy" collection build --force --output-path "$FC_CACHE/dist" >/dev/null)
  "$FC_VENV/bin/ansible-galaxy" collection install --force -p "$FC_COLLECTIONS" \
    "$FC_CACHE"/dist/fleetcheck-kvm-*.tar.gz >/dev/null
}

# fc_image: the Debian image for the molecule scenarios and the fleet tests,
# built locally (no registry is reachable): debootstrap, then podman import.
fc_image() {
  fc_apt podman runc debootstrap uidmap slirp4netns fuse-overlayfs catatonit
  if podman image exists "$FC_IMAGE"; then
    return 0
  fi
  fc_log "building $FC_IMAGE with debootstrap"
  local rootfs="$FC_CACHE/rootfs"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=python3,sudo,acl bookworm "$rootfs" >"$FC_CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$FC_CACHE/debootstrap.log" >&2; return 1; }
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/sleep", "infinity"]' - "$FC_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# fc_ansible_test_setup: what ansible-test needs offline: a pip wheel and the get-pip stand-in
# for each pip version that the installed ansible-test bootstraps.
fc_ansible_test_setup() {
  local wheels="$HOME/.ansible/test/cache/pip-wheels" version
  mkdir -p "$wheels"
  for version in $("$FC_VENV/bin/python" - <<'PY'
import re, ansible_test, os
path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
print(" ".join(sorted(set(re.findall(r"pip='([0-9.]+)'", open(path).read())))))
PY
  ); do
    ls "$wheels"/pip-"$version"-*.whl >/dev/null 2>&1 \
      || "$FC_VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps -d "$wheels" "pip==$version" 2>/dev/null
    cp "$FC_ROOT/tools/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
  done
}

# fc_collection_tree DIR: the working tree's files (tracked and new, not ignored) under
# DIR/ansible_collections/fleetcheck/kvm, where ansible-test wants a collection.
fc_collection_tree() {
  local tree="$1/ansible_collections/fleetcheck/kvm"
  rm -rf "$1" && mkdir -p "$tree"
  (cd "$FC_ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tree")
  echo "$tree"
}

# fc_core_venvs: one venv per line of tests/requirements-cores.txt, under .cache/cores/NAME,
# with its pinned ansible-core on a real CPython of the given version.
fc_core_venvs() {
  local name python spec interpreter
  while read -r name python spec; do
    case "$name" in ""|\#*) continue ;; esac
    [ -x "$FC_CACHE/cores/$name/bin/ansible" ] && grep -qx "$spec" "$FC_CACHE/cores/$name/.spec" 2>/dev/null && continue
    interpreter=$(ls -d "$HOME"/.pyenv/versions/"$python".*/bin/python"$python" /usr/bin/python"$python" 2>/dev/null | head -1 || true)
    if [ -z "$interpreter" ]; then
      fc_log "no CPython $python for the '$name' ansible-core check"; continue
    fi
    fc_log "installing $spec on Python $python ($name)"
    rm -rf "$FC_CACHE/cores/$name"
    "$interpreter" -m venv "$FC_CACHE/cores/$name" </dev/null
    "$FC_CACHE/cores/$name/bin/python" -m pip install -q --disable-pip-version-check "$spec" </dev/null >"$FC_CACHE/pip-$name.log" 2>&1 \
      || { grep -v "^WARNING: Location" "$FC_CACHE/pip-$name.log" | tail -20 >&2; return 1; }
    echo "$spec" > "$FC_CACHE/cores/$name/.spec"
  done < "$FC_ROOT/tests/requirements-cores.txt"
}
