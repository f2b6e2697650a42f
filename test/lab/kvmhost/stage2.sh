#!/bin/bash
# Stage 2 of the nested KVM host: PID 1 after switch_root, on this machine's / (read-only, 9p)
# under a tmpfs overlay. Makes the guest a host of its own (state, name, identity), loads the
# drivers, starts udev, sshd and libvirtd, then reaps orphans forever (PID 1 must never exit).
# $1 is the boot's conf directory (written by vm.sh up, read here through 9p).
set -u
conf=$1
# shellcheck source=/dev/null
. "$conf/env"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
say() { echo "kvmhost: [$(cut -d' ' -f1 /proc/uptime)] $*" >/dev/console; }
say "stage 2 on $(uname -r)"

# The boot's files (this conf, the modules, sshd's key) live in a checkout that may sit under a
# directory made fresh below (/tmp, /root...): read them through a bind of the root as it is now.
mkdir -p /.outer && mount --bind / /.outer && mount --make-private /.outer
conf=/.outer$conf
KVMHOST_MODULES=/.outer$KVMHOST_MODULES

# Fresh state where this machine's own would otherwise show through the overlay: its pid files
# and sockets, libvirt's domains, networks, leases and caches, its logs, root's home.
mount -t tmpfs -o mode=0755 run /run
mkdir -p /run/lock /run/sshd /run/libvirt
mount -t tmpfs -o mode=1777 tmp /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || true
# root's home too: this machine's ~/.bashrc (bash runs it for every SSH command) is not this host's.
mount -t tmpfs -o mode=0700 root-home /root
mount -t tmpfs -o mode=0755 log /var/log
mkdir -p /var/log/libvirt/qemu
mount -t tmpfs -o mode=0755 libvirt-lib /var/lib/libvirt
mkdir -p /var/lib/libvirt/{boot,images,dnsmasq,qemu,network}
mount -t tmpfs -o mode=0755 libvirt-cache /var/cache/libvirt
mount -t tmpfs -o mode=0700 libvirt-etc-qemu /etc/libvirt/qemu
mkdir -p /etc/libvirt/qemu/networks/autostart /etc/libvirt/qemu/autostart
# The outer machine runs another kernel; this one's modules come from the cache.
mkdir -p /usr/lib/modules
mount --bind "$KVMHOST_MODULES" /usr/lib/modules

# Identity: own name, machine id and resolver (no DNS server is reachable: answer at once).
hostname "$KVMHOST_HOSTNAME"
echo "$KVMHOST_HOSTNAME" >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$KVMHOST_HOSTNAME" >/etc/hosts
rm -f /etc/resolv.conf && echo 'nameserver 127.0.0.1' >/etc/resolv.conf
tr -d '-' </proc/sys/kernel/random/uuid >/etc/machine-id
ip link set lo up

# Drivers a KVM host with SR-IOV needs; kvm_amd because TCG's -cpu max is an AMD-V CPU.
for m in virtio_net igb igbvf vfio-pci tun bridge vhost_net kvm_amd; do
  modprobe "$m" || say "modprobe $m failed"
done
for m in $KVMHOST_EXTRA_MODULES; do modprobe "$m" || say "modprobe $m failed"; done

# udev names the NICs as on a real host (enp0s2, enp1s0). A full trigger costs ~20 s under TCG.
/usr/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add --subsystem-match=pci --subsystem-match=net
udevadm settle --timeout=60 || say "udev did not settle"

netdev_of() { local n; for n in /sys/bus/pci/devices/$1/net/* /sys/bus/pci/devices/$1/virtio*/net/*; do [ -e "$n" ] && { basename "$n"; return; }; done; }
mgmt=$(netdev_of "$KVMHOST_MGMT_PCI")
pf=$(netdev_of "$KVMHOST_PF_PCI")
say "management NIC ${mgmt:-missing}, PF ${pf:-missing}"
if [ -n "$mgmt" ]; then
  # QEMU user networking's fixed plan: the guest is 10.0.2.15, the outer machine 10.0.2.2.
  ip addr add 10.0.2.15/24 dev "$mgmt"
  ip link set "$mgmt" up
  ip route add default via 10.0.2.2 dev "$mgmt"
fi
[ -n "$pf" ] && ip link set "$pf" up

# libvirt's network driver backend, chosen by whoever booted this host.
if [ -n "$KVMHOST_FIREWALL" ]; then
  printf '\n# kvmhost\nfirewall_backend = "%s"\n' "$KVMHOST_FIREWALL" >>/etc/libvirt/network.conf
fi
# Its key and authorized keys through the same bind.
sed -e 's#^\(HostKey\|AuthorizedKeysFile\) #\1 /.outer#' "$conf/sshd_config" >/run/sshd_config
env -i PATH="$PATH" LANG=C.UTF-8 /usr/sbin/sshd -f /run/sshd_config -E /var/log/sshd.log ||
  say "sshd failed: $(tail -n 3 /var/log/sshd.log)"
env -i PATH="$PATH" LANG=C.UTF-8 virtlogd -d
env -i PATH="$PATH" LANG=C.UTF-8 libvirtd -d
say "ready: sshd and libvirtd started"

while :; do
  sleep 3600 &
  wait $!
done
