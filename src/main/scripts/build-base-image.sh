#!/usr/bin/env bash
# Builds a Hearth base image from Debian's packages. The image is an ext4 root filesystem
# with openssh-server and sftp-server, Debian's kernel with an initrd that loads the virtio
# and ext4 modules, and a manifest.json that lists the files, their sizes and the kernel
# arguments. The output is cached: a second run with the same inputs does nothing.
#
# Usage: build-base-image.sh [--name NAME] [--output DIR] [--suite SUITE] [--mirror URL]
#                            [--size SIZE] [--force]
set -euo pipefail

name=debian-bookworm
output=${HEARTH_IMAGES_DIR:-/var/lib/hearth/images}
suite=bookworm
mirror=${HEARTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
size=2G
force=0

# Arguments for Debian's kernel. Hearth appends ip=<guest>::<gateway>:<netmask>::eth0:off
# for each VM. reboot=k makes a guest reboot end the VMM process, as Firecracker expects.
boot_args="console=ttyS0 reboot=k panic=1 root=/dev/vda rw net.ifnames=0"

# Modules that must load before the root filesystem mounts: Firecracker attaches disks and
# network cards over virtio-mmio, QEMU's pc and q35 machines over virtio-pci.
initrd_modules="virtio_mmio virtio_pci virtio_blk virtio_net ext4"

usage() {
  sed -n '2,8s/^# \{0,1\}//p' "$0"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-base-image: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done

if [[ ! "$name" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]]; then
  echo "build-base-image: invalid image name '$name': use 1 to 63 lowercase letters, digits, '.', '_' or '-'" >&2
  exit 2
fi
if [[ $EUID -ne 0 ]]; then
  echo "build-base-image: must run as root (debootstrap and chroot need it)" >&2
  exit 1
fi

log() { printf '%s build-base-image: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

install_missing_packages() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
  command -v jq >/dev/null || missing+=(jq)
  [[ -r /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

image_dir="$output/$name"
manifest="$image_dir/manifest.json"

# The cache key covers everything that changes the output: this script and its arguments.
build_hash=$( { cat "$0"; printf '%s\n' "$name" "$suite" "$mirror" "$size"; } | sha256sum | cut -c1-16)

if [[ $force -eq 0 && -f "$manifest" ]] && command -v jq >/dev/null \
   && [[ "$(jq -r .buildHash "$manifest" 2>/dev/null)" == "$build_hash" ]] \
   && [[ -f "$image_dir/rootfs.ext4" && -f "$image_dir/vmlinuz" && -f "$image_dir/initrd.img" ]]; then
  log "image '$name' is up to date in $image_dir"
  exit 0
fi

install_missing_packages
started=$(date +%s)
mkdir -p "$output"
work=$(mktemp -d "$output/.build-$name.XXXXXX")
root="$work/root"

cleanup() {
  local status=$?
  for mount in "$root/proc" "$root/sys" "$root/dev/pts" "$root/dev"; do
    mountpoint -q "$mount" 2>/dev/null && umount -l "$mount"
  done
  rm -rf "$work"
  [[ $status -eq 0 ]] || log "failed with status $status; nothing was written to $image_dir"
}
trap cleanup EXIT

log "debootstrap $suite from $mirror into $root"
debootstrap --variant=minbase \
  --include=systemd-sysv,udev,kmod,openssh-server,openssh-sftp-server,iproute2,procps \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 20 "$work/debootstrap.log" >&2
    exit 1
  }

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

log "installing Debian's kernel and an initrd with: $initrd_modules"
# Files of our own beside the package's configuration, so that dpkg never prompts about them.
mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\n' >"$root/etc/initramfs-tools/conf.d/hearth.conf"
printf '%s\n' $initrd_modules >"$root/usr/share/initramfs-tools/modules.d/hearth"
in_root apt-get install -y -qq --no-install-recommends linux-image-amd64 initramfs-tools \
  >"$work/kernel.log" 2>&1 || { tail -n 20 "$work/kernel.log" >&2; exit 1; }

kernel_version=$(basename "$(ls -d "$root"/lib/modules/* | head -n 1)")
cp "$root/boot/vmlinuz-$kernel_version" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kernel_version" "$work/initrd.img"
initrd_files=$(in_root lsinitramfs "/boot/initrd.img-$kernel_version")
for module in $initrd_modules; do
  if ! grep -q "/$module\.ko" <<<"$initrd_files"; then
    # Built into the kernel is fine too: then the initrd has nothing to load.
    grep -qw "kernel/.*/$module.ko" "$root/lib/modules/$kernel_version/modules.builtin" \
      || { log "module $module is neither in the initrd nor built into $kernel_version"; exit 1; }
  fi
done

# The kernel and its modules leave the root filesystem: everything the guest needs before
# and after the root mounts is in the initrd, and this saves about 400 MB per VM copy.
in_root apt-get purge -y -qq linux-image-amd64 "linux-image-$kernel_version" >>"$work/kernel.log" 2>&1
in_root apt-get clean

log "configuring the guest"

# Debian's kernel lacks CONFIG_IP_PNP, so a boot-time unit applies ip= from the kernel arguments.
install -m 0755 /dev/stdin "$root/usr/local/sbin/hearth-kernel-ip" <<'SCRIPT'
#!/bin/sh
# Applies ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf> from the
# kernel command line when the kernel did not (it has no CONFIG_IP_PNP).
set -eu
spec=""
for word in $(cat /proc/cmdline); do
  case "$word" in ip=*) spec=${word#ip=} ;; esac
done
[ -n "$spec" ] || { echo "hearth-kernel-ip: no ip= argument"; exit 0; }

IFS=: read -r client server gateway netmask hostname device autoconf _ <<EOF
$spec
EOF
device=${device:-eth0}
case "${autoconf:-off}" in off|none) ;; *) echo "hearth-kernel-ip: autoconf '$autoconf' is not supported"; exit 1 ;; esac
[ -n "$client" ] || { echo "hearth-kernel-ip: ip= has no client address"; exit 1; }

prefix=0
for octet in $(echo "${netmask:-255.255.255.255}" | tr . ' '); do
  while [ "$octet" -gt 0 ]; do
    prefix=$((prefix + (octet & 1)))
    octet=$((octet >> 1))
  done
done

waited=0
while [ ! -e "/sys/class/net/$device" ]; do
  [ "$waited" -lt 300 ] || { echo "hearth-kernel-ip: no device $device after 30 s"; exit 1; }
  sleep 0.1
  waited=$((waited + 1))
done

if ip -4 -o addr show dev "$device" | grep -q " $client/"; then
  echo "hearth-kernel-ip: $device already has $client"
else
  ip addr add "$client/$prefix" dev "$device"
fi
ip link set "$device" up
ip link set lo up
[ -z "$gateway" ] || ip route replace default via "$gateway" dev "$device"
[ -z "$hostname" ] || hostname "$hostname"
echo "hearth-kernel-ip: $device $client/$prefix gateway ${gateway:-none}"
SCRIPT

cat >"$root/etc/systemd/system/hearth-kernel-ip.service" <<'UNIT'
[Unit]
Description=Apply the ip= kernel argument
DefaultDependencies=no
After=systemd-udevd.service
Wants=network-pre.target
Before=network-pre.target network.target ssh.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/hearth-kernel-ip

[Install]
WantedBy=multi-user.target
UNIT
in_root systemctl enable -q hearth-kernel-ip.service

# sshd: keys only, root allowed, host keys are whatever /etc/ssh contains at boot.
cat >"$root/etc/ssh/sshd_config.d/hearth.conf" <<'CONF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
UseDNS no
CONF
rm -f "$root"/etc/ssh/ssh_host_*
install -d -m 0700 "$root/root/.ssh"
rm -f "$root/root/.ssh/authorized_keys"

# Ctrl-Alt-Del reboots, and with reboot=k the VMM process exits.
ln -sf /lib/systemd/system/reboot.target "$root/etc/systemd/system/ctrl-alt-del.target"

# Nothing that waits for the network or runs maintenance in a short-lived sandbox.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
            fstrim.timer systemd-networkd-wait-online.service getty@tty1.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

printf 'hearth\n' >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf '# The kernel mounts the root filesystem read-write from root= and rw.\n' >"$root/etc/fstab"
: >"$root/etc/resolv.conf"
# An empty machine-id makes each VM generate its own on first boot.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log

for mount in "$root/dev/pts" "$root/dev" "$root/sys" "$root/proc"; do
  umount "$mount"
done

log "writing the ext4 image ($size, sparse)"
truncate -s "$size" "$work/rootfs.ext4"
mkfs.ext4 -q -F -L rootfs -d "$root" "$work/rootfs.ext4" >"$work/mkfs.log" 2>&1 \
  || { cat "$work/mkfs.log" >&2; exit 1; }

file_entry() {
  jq -n --arg path "$image_dir/$1" --argjson size "$(stat -c %s "$work/$1")" \
    --argjson allocated "$(( $(stat -c %b "$work/$1") * $(stat -c %B "$work/$1") ))" \
    '{path: $path, sizeBytes: $size, allocatedBytes: $allocated}'
}
jq -n --arg name "$name" --arg suite "$suite" --arg kernelVersion "$kernel_version" \
  --arg bootArgs "$boot_args" --arg buildHash "$build_hash" \
  --arg builtAt "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --argjson rootfs "$(file_entry rootfs.ext4)" --argjson kernel "$(file_entry vmlinuz)" \
  --argjson initrd "$(file_entry initrd.img)" \
  '{name: $name, suite: $suite, kernelVersion: $kernelVersion, kernelFormat: "bzImage",
    rootfs: $rootfs, kernel: $kernel, initrd: $initrd, bootArgs: $bootArgs,
    buildHash: $buildHash, builtAt: $builtAt}' >"$work/manifest.json"

# Replace the old image only now that the new one is complete.
rm -rf "$image_dir"
mkdir -p "$image_dir"
mv "$work/rootfs.ext4" "$work/vmlinuz" "$work/initrd.img" "$work/manifest.json" "$image_dir/"
chmod 0444 "$image_dir/rootfs.ext4"
log "built '$name' in $(( $(date +%s) - started )) s: $image_dir"
