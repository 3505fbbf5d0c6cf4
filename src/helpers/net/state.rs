//! The simulated host's network, as the networking helpers see it: its devices, its FIB
//! (routes with their next hops and neighbours' MAC addresses), its sockets, the flow hash
//! key, the cookie counters, and what the last redirect asked for. All of it is part of
//! [`World`](crate::helpers::World), set by the test before a run.
//!
//! Defaults match a BPF_PROG_TEST_RUN in a fresh network namespace: only the loopback device
//! (ifindex 1, forwarding off), no routes, no sockets.

use std::net::IpAddr;

/// A network device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetDev {
    pub ifindex: u32,
    pub name: String,
    /// `dev->dev_addr`: the source MAC `bpf_fib_lookup` reports for routes through it.
    pub mac: [u8; 6],
    pub mtu: u32,
    /// `net.ipv4.conf.DEV.forwarding` / `net.ipv6.conf.DEV.forwarding`: `bpf_fib_lookup`
    /// answers `BPF_FIB_LKUP_RET_FWD_DISABLED` for a device where it is off.
    pub forwarding_v4: bool,
    pub forwarding_v6: bool,
}

impl NetDev {
    /// The loopback device: ifindex 1, MTU 65536, forwarding off.
    pub fn loopback() -> NetDev {
        NetDev {
            ifindex: 1,
            name: "lo".into(),
            mac: [0; 6],
            mtu: 65536,
            forwarding_v4: false,
            forwarding_v6: false,
        }
    }

    /// An Ethernet device with forwarding on.
    pub fn ethernet(ifindex: u32, name: &str, mac: [u8; 6], mtu: u32) -> NetDev {
        NetDev {
            ifindex,
            name: name.into(),
            mac,
            mtu,
            forwarding_v4: true,
            forwarding_v6: true,
        }
    }
}

/// What a route does with a packet (the `RTN_*` type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RouteKind {
    /// Forwarded (`RTN_UNICAST`).
    #[default]
    Unicast,
    /// `RTN_BLACKHOLE`: `BPF_FIB_LKUP_RET_BLACKHOLE`.
    Blackhole,
    /// `RTN_UNREACHABLE`: `BPF_FIB_LKUP_RET_UNREACHABLE`.
    Unreachable,
    /// `RTN_PROHIBIT`: `BPF_FIB_LKUP_RET_PROHIBIT`.
    Prohibit,
    /// Delivered locally (`RTN_LOCAL`), or any other type: `BPF_FIB_LKUP_RET_NOT_FWDED`.
    Local,
}

/// One route of the simulated FIB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FibRoute {
    /// The destination prefix (its family is the route's family).
    pub prefix: IpAddr,
    pub prefix_len: u8,
    pub kind: RouteKind,
    /// The next hop; `None` for a directly connected destination (the neighbour is then the
    /// destination itself).
    pub gateway: Option<IpAddr>,
    /// The output device.
    pub ifindex: u32,
    /// `fib_priority` / `fib6_metric`: what `rt_metric` reports. Among routes of equal prefix
    /// length the lowest metric wins.
    pub metric: u32,
    /// The preferred source (`BPF_FIB_LOOKUP_SRC`); `None` gives
    /// `BPF_FIB_LKUP_RET_NO_SRC_ADDR` for IPv6 and 0.0.0.0 for IPv4.
    pub source: Option<IpAddr>,
    /// The route's MTU; 0 means the output device's.
    pub mtu: u32,
    /// The routing table (`RT_TABLE_MAIN` 254 unless said; `BPF_FIB_LOOKUP_TBID` picks one).
    pub table: u32,
    /// The neighbour's MAC (`dmac`); `None` is an unresolved neighbour:
    /// `BPF_FIB_LKUP_RET_NO_NEIGH`.
    pub dmac: Option<[u8; 6]>,
    /// The source MAC reported (`smac`); `None` takes the output device's address.
    pub smac: Option<[u8; 6]>,
}

impl FibRoute {
    /// A unicast route in the main table through `ifindex`, metric 0.
    pub fn unicast(prefix: IpAddr, prefix_len: u8, ifindex: u32) -> FibRoute {
        FibRoute {
            prefix,
            prefix_len,
            kind: RouteKind::Unicast,
            gateway: None,
            ifindex,
            metric: 0,
            source: None,
            mtu: 0,
            table: RT_TABLE_MAIN,
            dmac: None,
            smac: None,
        }
    }

    /// Whether `addr` falls in the route's prefix.
    pub fn matches(&self, addr: IpAddr) -> bool {
        let (p, a, bits) = match (self.prefix, addr) {
            (IpAddr::V4(p), IpAddr::V4(a)) => (p.octets().to_vec(), a.octets().to_vec(), 32),
            (IpAddr::V6(p), IpAddr::V6(a)) => (p.octets().to_vec(), a.octets().to_vec(), 128),
            _ => return false,
        };
        let len = usize::from(self.prefix_len).min(bits);
        (0..len).all(|i| (p[i / 8] ^ a[i / 8]) & (0x80 >> (i % 8)) == 0)
    }
}

/// `RT_TABLE_MAIN`.
pub const RT_TABLE_MAIN: u32 = 254;

/// A socket of the simulated host, for `bpf_sk_lookup_*` / `bpf_skc_lookup_tcp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socket {
    /// `IPPROTO_TCP` (6) or `IPPROTO_UDP` (17).
    pub protocol: u8,
    /// The local address and port; an unspecified address (0.0.0.0, ::) matches any.
    pub local: std::net::SocketAddr,
    /// The peer of a connected socket; `None` for a listening TCP or an unconnected UDP
    /// socket.
    pub remote: Option<std::net::SocketAddr>,
    /// `sk_cookie` (what `bpf_get_socket_cookie` would give for it).
    pub cookie: u64,
    pub mark: u32,
    pub priority: u32,
}

/// What kind of redirect a program asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `bpf_redirect` (tc or XDP).
    Device,
    /// `bpf_redirect_neigh`, with the next hop the program gave (family, address bytes).
    Neigh { nexthop: Option<(u32, [u8; 16])> },
    /// `bpf_redirect_peer`.
    Peer,
    /// `bpf_redirect_map`: the map's index in the object's map set.
    Map { map: usize },
}

/// The last redirect a program asked for (the kernel's `bpf_redirect_info`): where the
/// packet would go after the program returns `TC_ACT_REDIRECT` / `XDP_REDIRECT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    /// The ifindex, or the map key.
    pub target: u64,
    pub flags: u64,
}

/// A copy of the packet `bpf_clone_redirect` sent out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClonedPacket {
    pub ifindex: u32,
    /// `BPF_F_INGRESS`: delivered to the device's receive path rather than sent.
    pub ingress: bool,
    pub data: Vec<u8>,
}

/// The simulated network (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    pub devices: Vec<NetDev>,
    pub routes: Vec<FibRoute>,
    pub sockets: Vec<Socket>,
    /// The key of the flow hash `bpf_get_hash_recalc` computes (the kernel's `hashrnd`,
    /// random at each boot).
    pub hash_key: [u8; 16],
    /// The cookie the next socket without one gets (the kernel's global counter).
    pub next_socket_cookie: u64,
    /// `net->net_cookie` of the namespace programs run in.
    pub netns_cookie: u64,
    /// The last redirect asked for in this run (cleared when a run starts is up to the
    /// test; each redirect helper overwrites it).
    pub redirect: Option<Redirect>,
    /// Packets `bpf_clone_redirect` sent.
    pub clones: Vec<ClonedPacket>,
    /// The `struct bpf_sock` images socket lookups handed out, by socket index (kept so
    /// that pointers stay valid for the run).
    pub sock_images: Vec<Option<Box<[u8]>>>,
}

impl Default for Net {
    fn default() -> Self {
        Net {
            devices: vec![NetDev::loopback()],
            routes: Vec::new(),
            sockets: Vec::new(),
            hash_key: *b"bpfsim-flowhash!",
            next_socket_cookie: 4097,
            netns_cookie: 1,
            redirect: None,
            clones: Vec::new(),
            sock_images: Vec::new(),
        }
    }
}

impl Net {
    /// The device with this ifindex.
    pub fn device(&self, ifindex: u32) -> Option<&NetDev> {
        self.devices.iter().find(|d| d.ifindex == ifindex)
    }

    /// The route for `dst` in `table`: the longest matching prefix, then the lowest metric.
    pub fn route(&self, dst: IpAddr, table: Option<u32>) -> Option<&FibRoute> {
        self.routes
            .iter()
            .filter(|r| table.is_none_or(|t| r.table == t) && r.matches(dst))
            .min_by_key(|r| (std::cmp::Reverse(r.prefix_len), r.metric))
    }

    /// Whether `table` has any route (the kernel's `fib_get_table` succeeds for the main
    /// and local tables always, for others once a route was added).
    pub fn has_table(&self, table: u32) -> bool {
        table == RT_TABLE_MAIN || table == 255 || self.routes.iter().any(|r| r.table == table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_then_lowest_metric() {
        let mut net = Net::default();
        let a: IpAddr = "10.0.0.0".parse().unwrap();
        let b: IpAddr = "10.1.0.0".parse().unwrap();
        net.routes.push(FibRoute::unicast(a, 8, 2));
        net.routes.push(FibRoute {
            metric: 5,
            ..FibRoute::unicast(b, 16, 3)
        });
        net.routes.push(FibRoute {
            metric: 1,
            ..FibRoute::unicast(b, 16, 4)
        });
        let dst: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(net.route(dst, None).map(|r| r.ifindex), Some(4));
        let other: IpAddr = "10.9.2.3".parse().unwrap();
        assert_eq!(net.route(other, None).map(|r| r.ifindex), Some(2));
        assert!(net.route("11.0.0.1".parse().unwrap(), None).is_none());
        assert!(net.route("::1".parse().unwrap(), None).is_none());
        assert!(net.device(1).is_some() && net.device(2).is_none());
    }
}
