#!/usr/bin/python3
"""The facts of libvirt network and domain XML, read independently of VirtNet's parser.

Usage: facts.py FILE...   (each FILE is `virsh net-dumpxml` or `virsh dumpxml` output)

Prints one JSON document: {"networks": [...], "domains": [...]}. Each network carries the typed
fields of the host model's Network (src/core/model/libvirt.ts) that come from the XML; each domain
its name, uuid, virtType and, per NIC and host device, the fields of DomainInterface (all but `ips`,
which come from DHCP leases) and DomainHostdev. Every object also lists `unread`: the XML paths
(`network/dns/host/@ip` style) that no field took, so the corpus test can say which facts of the
formats have no field yet.

The rules are libvirt's documented XML formats (formatnetwork, formatdomain), written here from
that documentation rather than from VirtNet's TypeScript, so a mistake in one reader shows as a
difference instead of being repeated. Where the model has a convention of its own it is followed
on purpose: absent means None (never a default guessed on libvirt's behalf, except the defaults
libvirt itself documents and applies), MACs in lower case (libvirt compares them without case),
PCI addresses as 0000:03:10.0, other guest addresses as `type:attr=value,...` in the XML's order.

Standard library only: it runs with Debian's /usr/bin/python3 and nothing installed.
"""

import ipaddress
import json
import sys
import xml.etree.ElementTree as ET

# ElementTree spells a namespaced tag {uri}local; the paths print the prefix libvirt documents.
NAMESPACES = {"http://libvirt.org/schemas/network/dnsmasq/1.0": "dnsmasq"}


def tag_name(el):
    tag = el.tag
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return "%s:%s" % (NAMESPACES.get(uri, uri), local)
    return tag


class Reader:
    """Reads elements and attributes and remembers which ones it read, to list the rest."""

    def __init__(self):
        self.read_elements = set()
        self.read_attributes = set()

    def child(self, el, tag):
        """The first child `tag` of el (or None), marked read: its presence is a fact too."""
        if el is None:
            return None
        found = el.find(tag)
        if found is not None:
            self.read_elements.add(id(found))
        return found

    def children(self, el, tag):
        if el is None:
            return []
        found = el.findall(tag)
        for f in found:
            self.read_elements.add(id(f))
        return found

    def attr(self, el, name):
        """An attribute's text, or None when the element or the attribute is absent."""
        if el is None:
            return None
        self.read_elements.add(id(el))
        if name not in el.attrib:
            return None
        self.read_attributes.add((id(el), name))
        return el.attrib[name]

    def text(self, el):
        if el is None:
            return None
        self.read_elements.add(id(el))
        return (el.text or "").strip()

    def number(self, el, name):
        v = self.attr(el, name)
        return None if v is None else int(v)

    def yes_no(self, el, name):
        """libvirt's yes/no (and on/off) attributes as a boolean; None when not written."""
        v = self.attr(el, name)
        if v is None:
            return None
        return v in ("yes", "on")

    def unread(self, root, roots_of_interest=None):
        """Paths of every element and attribute under root that nothing read, each path once."""
        out = []
        seen = set()

        def add(p):
            if p not in seen:
                seen.add(p)
                out.append(p)

        def walk(el, path):
            if id(el) not in self.read_elements:
                add(path)
            for name in el.attrib:
                if (id(el), name) not in self.read_attributes:
                    add("%s/@%s" % (path, name))
            # <metadata> is the application's own opaque XML: one entry, not its insides.
            if tag_name(el) == "metadata":
                return
            for c in el:
                if isinstance(c.tag, str):
                    walk(c, "%s/%s" % (path, tag_name(c)))

        if roots_of_interest is None:
            walk(root, tag_name(root))
        else:
            # Only the parts the model claims (a domain's NICs and host devices): the rest of a
            # domain (memory, disks, its running id...) is not the host model's business.
            for el, path in roots_of_interest:
                walk(el, path)
        return out


def pci_address(r, el):
    """`<address domain= bus= slot= function=>` as 0000:03:10.0; None without bus/slot/function."""
    if el is None:
        return None
    # type='pci', where written, is what this value's format already says.
    r.attr(el, "type")
    dom, bus, slot, fn = (r.attr(el, a) for a in ("domain", "bus", "slot", "function"))
    if bus is None or slot is None or fn is None:
        return None
    return "%04x:%02x:%02x.%x" % (int(dom or "0", 16), int(bus, 16), int(slot, 16), int(fn, 16))


def guest_address(r, el):
    """Where a device sits in the guest: PCI as 0000:00:03.0, other buses as type:attr=value,..."""
    if el is None:
        return None
    kind = r.attr(el, "type")
    if kind is None:
        return None
    if kind == "pci":
        # Only domain:bus:slot.function: multifunction (and zpci's insides) stay unread.
        return pci_address(r, el)
    parts = []
    for name in el.attrib:
        if name != "type":
            parts.append("%s=%s" % (name, r.attr(el, name)))
    return "%s:%s" % (kind, ",".join(parts))


def vlan_of(r, el):
    v = r.child(el, "vlan")
    if v is None:
        return None
    return {
        "trunk": r.attr(v, "trunk") == "yes",
        "tags": [{"id": r.number(t, "id"), "nativeMode": r.attr(t, "nativeMode")} for t in r.children(v, "tag")],
    }


def limit_of(r, el):
    if el is None:
        return None
    return {k: r.number(el, k) for k in ("average", "peak", "burst", "floor")}


def bandwidth_of(r, el):
    b = r.child(el, "bandwidth")
    if b is None:
        return None
    return {"inbound": limit_of(r, r.child(b, "inbound")), "outbound": limit_of(r, r.child(b, "outbound"))}


def virtualport_of(r, el):
    vp = r.child(el, "virtualport")
    if vp is None:
        return None
    p = r.child(vp, "parameters")
    return {
        "type": r.attr(vp, "type"),
        "interfaceId": r.attr(p, "interfaceid"),
        "profileId": r.attr(p, "profileid"),
        "managerId": r.attr(p, "managerid"),
        "typeId": r.attr(p, "typeid"),
        "typeIdVersion": r.attr(p, "typeidversion"),
        "instanceId": r.attr(p, "instanceid"),
    }


def mac_of(value):
    return None if value is None else value.lower()


# --- networks (formatnetwork) ---


def classful_prefix(address):
    """libvirt's prefix for an IPv4 address given without prefix or netmask: its class."""
    first = int(address.split(".")[0])
    if first < 128:
        return 8  # class A
    if first < 192:
        return 16  # class B
    if first < 224:
        return 24  # class C
    return None  # D and E: libvirt refuses them


def netmask_prefix(mask):
    return ipaddress.IPv4Network("0.0.0.0/%s" % mask).prefixlen


def lease_of(r, el):
    lease = r.child(el, "lease")
    if lease is None:
        return None
    # formatnetwork: the unit defaults to minutes; expiry 0 is a lease that never expires.
    return {"expiry": r.number(lease, "expiry"), "unit": r.attr(lease, "unit") or "minutes"}


def network_ip(r, ip):
    family = r.attr(ip, "family") or "ipv4"  # formatnetwork: family defaults to ipv4
    address = r.attr(ip, "address")
    prefix = r.number(ip, "prefix")
    netmask = r.attr(ip, "netmask")
    if prefix is None:
        if netmask is not None:
            prefix = netmask_prefix(netmask)
        elif family == "ipv6":
            prefix = 64  # formatnetwork: IPv6 prefix defaults to 64
        else:
            prefix = classful_prefix(address)
    tftp = r.child(ip, "tftp")
    dhcp = r.child(ip, "dhcp")
    bootp = r.child(dhcp, "bootp")
    return {
        "address": address,
        "prefix": prefix,
        "family": family,
        "localPtr": r.yes_no(ip, "localPtr"),
        "tftpRoot": r.attr(tftp, "root"),
        "bootp": None if bootp is None else {"file": r.attr(bootp, "file"), "server": r.attr(bootp, "server")},
        "dhcpRanges": [{"start": r.attr(x, "start"), "end": r.attr(x, "end"), "lease": lease_of(r, x)} for x in r.children(dhcp, "range")],
        "dhcpHosts": [
            {
                "mac": mac_of(r.attr(h, "mac")),
                "id": r.attr(h, "id"),
                "name": r.attr(h, "name"),
                "ip": r.attr(h, "ip"),
                "lease": lease_of(r, h),
            }
            for h in r.children(dhcp, "host")
        ],
    }


def network_route(r, rt):
    family = r.attr(rt, "family") or "ipv4"
    prefix = r.number(rt, "prefix")
    netmask = r.attr(rt, "netmask")
    if prefix is None:
        # A route is not an interface address: libvirt gives it no classful or /64 default. Its
        # prefix is 0 unless written, which is why only 0.0.0.0 and :: may leave it out (libvirt
        # refuses any other address as "not a network address").
        prefix = netmask_prefix(netmask) if netmask is not None else 0
    return {
        "family": family,
        "address": r.attr(rt, "address"),
        "prefix": prefix,
        "gateway": r.attr(rt, "gateway"),
        "metric": r.number(rt, "metric"),
    }


def network_dns(r, dns):
    if dns is None:
        return None
    return {
        "enabled": r.yes_no(dns, "enable"),
        "forwardPlainNames": r.yes_no(dns, "forwardPlainNames"),
        "forwarders": [{"addr": r.attr(f, "addr"), "domain": r.attr(f, "domain")} for f in r.children(dns, "forwarder")],
        "hosts": [{"ip": r.attr(h, "ip"), "hostnames": [r.text(n) for n in r.children(h, "hostname")]} for h in r.children(dns, "host")],
        "txt": [{"name": r.attr(t, "name"), "value": r.attr(t, "value")} for t in r.children(dns, "txt")],
        "srv": [
            {
                "service": r.attr(s, "service"),
                "protocol": r.attr(s, "protocol"),
                "domain": r.attr(s, "domain"),
                "target": r.attr(s, "target"),
                "port": r.number(s, "port"),
                "priority": r.number(s, "priority"),
                "weight": r.number(s, "weight"),
            }
            for s in r.children(dns, "srv")
        ],
    }


def network_facts(root):
    r = Reader()
    r.read_elements.add(id(root))
    fwd = r.child(root, "forward")
    nat = r.child(fwd, "nat")
    bridge = r.child(root, "bridge")
    stp = r.attr(bridge, "stp")
    domain = r.child(root, "domain")
    port = r.child(root, "port")
    if fwd is None:
        mode = "isolated"  # formatnetwork: no <forward> at all is an isolated network
    else:
        mode = r.attr(fwd, "mode") or "nat"  # and <forward> without a mode is NAT
    facts = {
        "name": r.text(r.child(root, "name")),
        "uuid": r.text(r.child(root, "uuid")),
        "forwardMode": mode,
        "forwardDev": r.attr(fwd, "dev"),
        "forwardManaged": r.yes_no(fwd, "managed"),
        "forwardDriver": r.attr(r.child(fwd, "driver"), "name"),
        "forwardInterfaces": [r.attr(i, "dev") for i in r.children(fwd, "interface")],
        "forwardAddresses": [pci_address(r, a) for a in r.children(fwd, "address") if r.attr(a, "type") == "pci"],
        "forwardPf": r.attr(r.child(fwd, "pf"), "dev"),
        "nat": None,
        "bridge": r.attr(bridge, "name"),
        # formatnetwork: STP is on unless stp='off'; not written stays None.
        "stp": None if stp is None else stp != "off",
        "stpDelay": r.number(bridge, "delay"),
        "macTableManager": r.attr(bridge, "macTableManager"),
        "zone": r.attr(bridge, "zone"),
        "bridgeMac": mac_of(r.attr(r.child(root, "mac"), "address")),
        "mtu": r.number(r.child(root, "mtu"), "size"),
        "domainName": r.attr(domain, "name"),
        "domainLocalOnly": r.yes_no(domain, "localOnly"),
        "dns": network_dns(r, r.child(root, "dns")),
        "ips": [network_ip(r, ip) for ip in r.children(root, "ip")],
        "routes": [network_route(r, rt) for rt in r.children(root, "route")],
        "portgroups": [
            {
                "name": r.attr(pg, "name"),
                "default": r.attr(pg, "default") == "yes",
                "vlan": vlan_of(r, pg),
                "bandwidth": bandwidth_of(r, pg),
                "virtualport": virtualport_of(r, pg),
                "trustGuestRxFilters": r.yes_no(pg, "trustGuestRxFilters"),
            }
            for pg in r.children(root, "portgroup")
        ],
        "vlan": vlan_of(r, root),
        "virtualport": virtualport_of(r, root),
        "portIsolated": r.yes_no(port, "isolated"),
        "trustGuestRxFilters": r.yes_no(root, "trustGuestRxFilters"),
        "bandwidth": bandwidth_of(r, root),
        "ipv6": r.yes_no(root, "ipv6"),
    }
    if nat is not None:
        address = r.child(nat, "address")
        nport = r.child(nat, "port")
        facts["nat"] = {
            "addressStart": r.attr(address, "start"),
            "addressEnd": r.attr(address, "end"),
            "portStart": r.number(nport, "start"),
            "portEnd": r.number(nport, "end"),
            "ipv6": r.yes_no(nat, "ipv6"),
        }
    facts["unread"] = r.unread(root)
    return facts


# --- domains (formatdomain) ---

SOCKET_TYPES = ("udp", "mcast", "server", "client")


def interface_source(r, kind, source):
    """What the NIC is attached to, per formatdomain's <source> of each interface type."""
    if kind == "network":
        return r.attr(source, "network")
    if kind == "bridge":
        return r.attr(source, "bridge")
    if kind in ("direct", "vdpa"):
        return r.attr(source, "dev")  # the macvtap's lower device; the vDPA character device
    if kind == "hostdev":
        return pci_address(r, r.child(source, "address"))
    if kind == "vhostuser":
        return r.attr(source, "path")
    if kind in SOCKET_TYPES:
        return r.attr(source, "address")
    # user, ethernet, null: no attachment; internal and vds (other hypervisors') are not read.
    return None


def domain_interface(r, nic):
    kind = r.attr(nic, "type")
    source = r.child(nic, "source")
    driver = r.child(nic, "driver")
    local = r.child(source, "local") if kind == "udp" else None
    facts = {
        "type": kind,
        "source": interface_source(r, kind, source),
        "model": r.attr(r.child(nic, "model"), "type"),
        "mac": mac_of(r.attr(r.child(nic, "mac"), "address")),
        "target": r.attr(r.child(nic, "target"), "dev"),
        # formatdomain: a macvtap NIC without a mode is in VEPA mode.
        "sourceMode": (r.attr(source, "mode") or "vepa") if kind == "direct" else None,
        "linkState": r.attr(r.child(nic, "link"), "state"),
        "driverName": r.attr(driver, "name"),
        "queues": r.number(driver, "queues"),
        "mtu": r.number(r.child(nic, "mtu"), "size"),
        "vlan": vlan_of(r, nic),
        "virtualport": virtualport_of(r, nic),
        "portgroup": r.attr(source, "portgroup"),
        "bootOrder": r.number(r.child(nic, "boot"), "order"),
        "socket": None,
        "vhostUser": None,
        "backend": r.attr(r.child(nic, "backend"), "type"),
        "portForwards": [
            {
                # formatdomain: proto is required; libvirt writes it back as given.
                "proto": r.attr(pf, "proto") or "tcp",
                "address": r.attr(pf, "address"),
                "dev": r.attr(pf, "dev"),
                "ranges": [
                    {"start": r.number(rg, "start") or 0, "end": r.number(rg, "end"), "to": r.number(rg, "to"), "exclude": r.yes_no(rg, "exclude") is True}
                    for rg in r.children(pf, "range")
                ],
            }
            for pf in r.children(nic, "portForward")
        ],
        "guestAddress": guest_address(r, r.child(nic, "address")),
        "managed": r.yes_no(nic, "managed") if kind == "hostdev" else None,
        "trustGuestRxFilters": r.yes_no(nic, "trustGuestRxFilters"),
        "bandwidth": bandwidth_of(r, nic),
    }
    if kind in SOCKET_TYPES:
        facts["socket"] = {
            "address": r.attr(source, "address"),
            "port": r.number(source, "port"),
            "localAddress": r.attr(local, "address"),
            "localPort": r.number(local, "port"),
        }
    if kind == "vhostuser":
        facts["vhostUser"] = {"type": r.attr(source, "type"), "path": r.attr(source, "path"), "mode": r.attr(source, "mode")}
    return facts


def domain_hostdev(r, dev):
    kind = r.attr(dev, "type")
    source = r.child(dev, "source")
    rom = r.child(dev, "rom")
    usb = None
    if kind == "usb":
        address = r.child(source, "address")
        usb = {
            "vendor": r.attr(r.child(source, "vendor"), "id"),
            "product": r.attr(r.child(source, "product"), "id"),
            "bus": r.attr(address, "bus"),
            "device": r.attr(address, "device"),
        }
    return {
        "type": kind,
        "mode": r.attr(dev, "mode"),
        "address": pci_address(r, r.child(source, "address")) if kind == "pci" else None,
        "usb": usb,
        # formatdomain: managed defaults to no; the model keeps a plain boolean.
        "managed": r.attr(dev, "managed") == "yes",
        "guestAddress": guest_address(r, r.child(dev, "address")),
        "romBar": r.attr(rom, "bar"),
        "romFile": r.attr(rom, "file"),
    }


def domain_facts(root):
    r = Reader()
    r.read_elements.add(id(root))
    devices = r.child(root, "devices")
    nics = r.children(devices, "interface")
    hostdevs = r.children(devices, "hostdev")
    facts = {
        "name": r.text(r.child(root, "name")),
        "uuid": r.text(r.child(root, "uuid")),
        "virtType": r.attr(root, "type"),
        "interfaces": [domain_interface(r, n) for n in nics],
        "hostdevs": [domain_hostdev(r, h) for h in hostdevs],
    }
    interest = [(n, "domain/devices/interface") for n in nics] + [(h, "domain/devices/hostdev") for h in hostdevs]
    facts["unread"] = r.unread(root, interest)
    return facts


def main(paths):
    out = {"networks": [], "domains": []}
    for path in paths:
        root = ET.parse(path).getroot()
        if root.tag == "network":
            out["networks"].append(network_facts(root))
        elif root.tag == "domain":
            out["domains"].append(domain_facts(root))
        else:
            raise SystemExit("%s: neither a network nor a domain (<%s>)" % (path, root.tag))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
