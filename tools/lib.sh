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

# fc_prometheus_tools: promtool and node_exporter under $FC_CACHE/prometheus/usr/bin, taken out of Debian's
# prometheus and prometheus-node-exporter packages without installing them (installing would start their
# services on this machine). The tests lint the metrics with promtool and read them back through node_exporter.
fc_prometheus_tools() {
  local bin="$FC_CACHE/prometheus/usr/bin" work
  [ -x "$bin/promtool" ] && [ -x "$bin/prometheus-node-exporter" ] && return 0
  fc_log "unpacking promtool and node_exporter from Debian's packages"
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq prometheus prometheus-node-exporter 2>/dev/null) \
    || { apt-get update -qq && (cd "$work" && apt-get download -qq prometheus prometheus-node-exporter 2>/dev/null); }
  rm -rf "$FC_CACHE/prometheus"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$FC_CACHE/prometheus"; done
  rm -rf "$work"
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
  (cd "$FC_ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tree") || return 1
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

# fc_ee: the execution environment image localhost/fleetcheck-kvm-ee:latest, built with
# ansible-builder from tools/ee/execution-environment.yml on a locally built base image
# (localhost/fleetcheck-ee-base:bookworm, from fc_image's debootstrapped Debian). Both images are
# kept: a rebuild happens only when the collection or the EE files change (their hash is a label).
FC_EE_BASE="localhost/fleetcheck-ee-base:bookworm"
FC_EE_IMAGE="localhost/fleetcheck-kvm-ee:latest"
fc_ee() {
  fc_image
  local work="$FC_CACHE/ee" stamp
  mkdir -p "$work"
  if ! podman image exists "$FC_EE_BASE"; then
    fc_log "building $FC_EE_BASE"
    cp "$FC_ROOT/tools/ee/base.Containerfile" "$FC_ROOT/tools/ee/fc-apt" "$work/"
    cp /etc/ssl/certs/ca-certificates.crt "$work/host-ca.crt"
    podman build -q --build-arg FC_IMAGE="$FC_IMAGE" -f "$work/base.Containerfile" -t "$FC_EE_BASE" "$work" >"$work/base.log" 2>&1 \
      || { tail -20 "$work/base.log" >&2; return 1; }
  fi
  cp "$FC_CACHE"/dist/fleetcheck-kvm-*.tar.gz "$work/fleetcheck-kvm.tar.gz"
  stamp=$( (tar -xOzf "$work/fleetcheck-kvm.tar.gz" --exclude=MANIFEST.json --exclude=FILES.json; cat "$FC_ROOT"/tools/ee/*) | sha256sum | cut -c1-16)
  if [ "$(podman image inspect -f '{{ index .Labels "fleetcheck.stamp" }}' "$FC_EE_IMAGE" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  fc_log "building $FC_EE_IMAGE with ansible-builder"
  "$FC_VENV/bin/ansible-builder" build -f "$FC_ROOT/tools/ee/execution-environment.yml" -c "$work/context" \
    --container-runtime podman --build-arg EE_BASE_IMAGE="$FC_EE_BASE" --extra-build-cli-args="--label=fleetcheck.stamp=$stamp" \
    -t "$FC_EE_IMAGE" -v 2 >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; return 1; }
}

# fc_runner: ansible-runner on the controller, in its own venv (.cache/runner), to run jobs in the
# execution environment as AWX does.
fc_runner() {
  local spec="ansible-runner==2.4.3"
  [ -x "$FC_CACHE/runner/bin/ansible-runner" ] && grep -qx "$spec" "$FC_CACHE/runner/.spec" 2>/dev/null && return 0
  fc_log "installing $spec into .cache/runner"
  rm -rf "$FC_CACHE/runner"
  "$(fc_python)" -m venv "$FC_CACHE/runner"
  "$FC_CACHE/runner/bin/python" -m pip install -q --disable-pip-version-check "$spec" >"$FC_CACHE/pip-runner.log" 2>&1 \
    || { tail -20 "$FC_CACHE/pip-runner.log" >&2; return 1; }
  echo "$spec" > "$FC_CACHE/runner/.spec"
}

# fc_sshd_image: the Debian test image with sshd, for fleets reached over SSH (the runner test
# and tools/bench/ssh_fleet.sh). Root logs in with the key given in FC_SSH_KEY at run time.
FC_SSHD_IMAGE="localhost/fleetcheck-sshd:bookworm"
fc_sshd_image() {
  fc_image
  podman image exists "$FC_SSHD_IMAGE" && return 0
  fc_log "building $FC_SSHD_IMAGE"
  podman build -q -t "$FC_SSHD_IMAGE" -f - "$FC_CACHE" >"$FC_CACHE/sshd-image.log" 2>&1 <<EOS || { tail -20 "$FC_CACHE/sshd-image.log" >&2; return 1; }
FROM $FC_IMAGE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server \
 && apt-get clean && rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
CMD ["/bin/sh", "-c", "echo \"\$FC_SSH_KEY\" > /root/.ssh/authorized_keys && exec /usr/sbin/sshd -D -e -o MaxStartups=200 -o MaxSessions=50"]
EOS
}

# The emulated machines of tests/functional/arm64 and tests/functional/x86, cached outside the tree (a warm
# cache survives a fresh checkout) under a key of their build inputs, so that a change rebuilds them.
FC_ARM64_CACHE="${FC_ARM64_CACHE:-$HOME/.cache/fleetcheck/arm64}"
FC_X86_CACHE="${FC_X86_CACHE:-$HOME/.cache/fleetcheck/x86}"

# fc_vm_dir KIND CACHE: the cache directory of tools/KIND's current build inputs (built or not); both machines
# share tools/arm64's init and cpio writer.
fc_vm_dir() {
  local key
  key=$(cat "$FC_ROOT/tools/$1/build-image.sh" "$FC_ROOT/tools/arm64/init.sh" "$FC_ROOT/tools/arm64/cpio_newc.py" \
    | sha256sum | cut -c1-16)
  echo "$2/$key"
}
fc_arm64_vm_dir() { fc_vm_dir arm64 "$FC_ARM64_CACHE"; }
fc_x86_vm_dir() { fc_vm_dir x86 "$FC_X86_CACHE"; }

# fc_vm_build KIND CACHE DIR: build tools/KIND's machine into DIR unless it is there; only the current build is kept.
fc_vm_build() {
  local kind=$1 cache=$2 dir=$3
  [ -f "$dir/ready" ] && return 0
  fc_log "building the emulated $kind machine in $dir"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  bash "$FC_ROOT/tools/$kind/build-image.sh" "$dir.tmp" >"$FC_CACHE/$kind-build.log" 2>&1 \
    || { tail -20 "$FC_CACHE/$kind-build.log" >&2; rm -rf "$dir.tmp"; return 1; }
  touch "$dir.tmp/ready"
  find "$cache" -mindepth 1 -maxdepth 1 ! -name "$(basename "$dir").tmp" -exec rm -rf {} +
  mv "$dir.tmp" "$dir"
}

# fc_arm64_vm: QEMU for aarch64, the cross compiler and the other architectures' KVM headers,
# and the machine itself (Debian's arm64 kernel + an initramfs with Python 3); exports
# FLEETCHECK_ARM64_IMAGE for the tests.
fc_arm64_vm() {
  fc_apt qemu-system-arm mmdebstrap gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    linux-libc-dev-ppc64el-cross linux-libc-dev-riscv64-cross linux-libc-dev-s390x-cross
  export FLEETCHECK_ARM64_IMAGE
  FLEETCHECK_ARM64_IMAGE=$(fc_arm64_vm_dir)
  fc_vm_build arm64 "$FC_ARM64_CACHE" "$FLEETCHECK_ARM64_IMAGE"
}

# fc_qemu_images: a container image per Debian suite with that suite's qemu-system-x86 (tools/qemu/build-image.sh):
# trixie's QEMU 10.0 and forky's 11.1 (this host's bookworm has 7.2), named after a hash of the build script so that
# a change rebuilds them; exports FLEETCHECK_QEMU_IMAGES ("suite=image ...") for the tests.
FC_QEMU_SUITES="${FC_QEMU_SUITES:-trixie forky}"
fc_qemu_images() {
  fc_apt mmdebstrap podman
  local key suite image images=()
  key=$(sha256sum "$FC_ROOT/tools/qemu/build-image.sh" | cut -c1-12)
  for suite in $FC_QEMU_SUITES; do
    image="localhost/fleetcheck-qemu:$suite-$key"
    if ! podman image exists "$image"; then
      fc_log "building $image (QEMU of Debian $suite)"
      bash "$FC_ROOT/tools/qemu/build-image.sh" "$suite" "$image" >"$FC_CACHE/qemu-$suite.log" 2>&1 \
        || { tail -20 "$FC_CACHE/qemu-$suite.log" >&2; return 1; }
      # only the current build of each suite is kept
      podman images --format '{{.Repository}}:{{.Tag}}' | grep "^localhost/fleetcheck-qemu:$suite-" \
        | grep -vx "$image" | xargs -r podman rmi -f >/dev/null 2>&1 || true
    fi
    images+=("$suite=$image")
  done
  export FLEETCHECK_QEMU_IMAGES="${images[*]}"
}

# fc_x86_qemu_roots: the other QEMU releases (10.0, 11.1) as an initramfs archive for the emulated x86 machine's CPU
# matrix (tools/x86/build-qemu-roots.sh), cached by the suite images it is made of; exports FLEETCHECK_X86_QEMU_ROOTS.
fc_x86_qemu_roots() {
  fc_qemu_images
  local key file
  key=$( { cat "$FC_ROOT/tools/x86/build-qemu-roots.sh"; echo "$FLEETCHECK_QEMU_IMAGES"; } | sha256sum | cut -c1-16)
  file="$FC_X86_CACHE-qemu-roots/$key.cpio.gz"
  if [ ! -f "$file" ]; then
    fc_log "building the other QEMU releases for the emulated x86 machine in $file"
    mkdir -p "$(dirname "$file")"
    # shellcheck disable=SC2086  # one suite=image argument each
    bash "$FC_ROOT/tools/x86/build-qemu-roots.sh" "$file.tmp" $FLEETCHECK_QEMU_IMAGES >"$FC_CACHE/x86-qemu-roots.log" 2>&1 \
      || { tail -20 "$FC_CACHE/x86-qemu-roots.log" >&2; rm -f "$file.tmp"; return 1; }
    find "$(dirname "$file")" -name '*.cpio.gz' -delete
    mv "$file.tmp" "$file"
  fi
  export FLEETCHECK_X86_QEMU_ROOTS="$file"
}

# fc_nova: Nova's own configuration options, for the test that checks the nova.conf the reports give: a venv of its
# own (Nova's dependencies stay out of the project venv) with oslo.config and the nova package without its
# dependencies (only nova/conf/libvirt.py and paths.py are read); exports FLEETCHECK_NOVA_PYTHON.
FC_NOVA_VENV="$FC_CACHE/nova-venv"
fc_nova() {
  local stamp="oslo.config==10.7.0 nova==34.0.0"
  if ! grep -qx "$stamp" "$FC_NOVA_VENV/.fleetcheck" 2>/dev/null; then
    fc_log "installing Nova's option definitions into $FC_NOVA_VENV"
    rm -rf "$FC_NOVA_VENV" && "$(fc_python)" -m venv "$FC_NOVA_VENV"
    { "$FC_NOVA_VENV/bin/pip" install -q --disable-pip-version-check oslo.config==10.7.0 \
      && "$FC_NOVA_VENV/bin/pip" install -q --disable-pip-version-check --no-deps nova==34.0.0; } \
      >"$FC_CACHE/nova-pip.log" 2>&1 || { grep -v "^WARNING: Location" "$FC_CACHE/nova-pip.log" | tail -20 >&2; return 1; }
    echo "$stamp" > "$FC_NOVA_VENV/.fleetcheck"
  fi
  export FLEETCHECK_NOVA_PYTHON="$FC_NOVA_VENV/bin/python"
}

# fc_x86_vm: the emulated x86 machine (Debian's amd64 kernel, whose kvm_amd loads under TCG, and an initramfs
# with Python 3, QEMU and the KVM modules); exports FLEETCHECK_X86_IMAGE for the tests.
fc_x86_vm() {
  fc_apt qemu-system-x86 mmdebstrap kmod gcc libc6-dev
  export FLEETCHECK_X86_IMAGE
  FLEETCHECK_X86_IMAGE=$(fc_x86_vm_dir)
  fc_vm_build x86 "$FC_X86_CACHE" "$FLEETCHECK_X86_IMAGE"
}
