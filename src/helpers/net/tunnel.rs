//! Tunnel metadata: `bpf_skb_set_tunnel_key`, `bpf_skb_get_tunnel_key`,
//! `bpf_skb_set_tunnel_opt` and `bpf_skb_get_tunnel_opt`. A test run's skb has no tunnel
//! metadata until the program sets some; it then lives in `SkbContext::tunnel`. As in the
//! kernel, the key a program sets is for transmission (its remote address is the tunnel's
//! destination) while the key it reads is that of a received packet (the remote address is
//! the source), so reading back what was set swaps the two addresses.

use super::{NetResult, neg, skb_ctx};
use crate::helpers::{CallEnv, errno};
use crate::progtype::skb::TunnelInfo;

const F_TUNINFO_IPV6: u64 = 1 << 0;
const F_ZERO_CSUM_TX: u64 = 1 << 1;
const F_DONT_FRAGMENT: u64 = 1 << 2;
const F_SEQ_NUMBER: u64 = 1 << 3;
const F_NO_TUNNEL_KEY: u64 = 1 << 4;
const F_TUNINFO_FLAGS: u64 = 1 << 4;

const TUNNEL_CSUM: u16 = 0x01;
const TUNNEL_KEY: u16 = 0x04;
const TUNNEL_SEQ: u16 = 0x08;
const TUNNEL_DONT_FRAGMENT: u16 = 0x0100;
const TUNNEL_NOCACHE: u16 = 0x2000;
/// GENEVE, VXLAN, ERSPAN and GTP option bits (`ip_tunnel_set_options_present`).
const TUNNEL_OPTIONS_PRESENT: u16 = 0x0800 | 0x1000 | 0x4000 | 0x8000;

/// `IP_TUNNEL_OPTS_MAX`.
const OPTS_MAX: usize = 255;
/// `sizeof(struct bpf_tunnel_key)`.
const KEY_SIZE: usize = 44;
/// Older layouts of `struct bpf_tunnel_key` the kernel still accepts.
const COMPAT_SIZES: [usize; 4] = [28, 24, 22, 8];
const EPROTO: i32 = -71;
const ENOENT: i32 = -2;
const ENOMEM: i32 = -12;

fn get32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// `bpf_skb_set_tunnel_key(skb, key, size, flags)`.
pub(super) fn set_tunnel_key(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, size, flags) = (a[1], a[2] as u32 as usize, a[3]);
    let raw = c.read(ptr, size)?;
    let skb = skb_ctx(c, "bpf_skb_set_tunnel_key")?;
    if flags & !(F_TUNINFO_IPV6 | F_ZERO_CSUM_TX | F_DONT_FRAGMENT | F_SEQ_NUMBER | F_NO_TUNNEL_KEY)
        != 0
    {
        return Ok(errno::EINVAL);
    }
    if size != KEY_SIZE && !COMPAT_SIZES.contains(&size) {
        return Ok(errno::EINVAL);
    }
    let mut k = raw;
    k.resize(KEY_SIZE, 0);
    let ipv6 = flags & F_TUNINFO_IPV6 != 0;
    let label = get32(&k, 24);
    let ext = u16::from_le_bytes([k[22], k[23]]);
    if (!ipv6 && label != 0) || ext != 0 {
        return Ok(errno::EINVAL);
    }
    let mut t = TunnelInfo {
        ipv6,
        id: get32(&k, 0) as u64,
        tos: k[20],
        ttl: k[21],
        flags: TUNNEL_NOCACHE,
        ..TunnelInfo::default()
    };
    if flags & F_DONT_FRAGMENT != 0 {
        t.flags |= TUNNEL_DONT_FRAGMENT;
    }
    if flags & F_ZERO_CSUM_TX == 0 {
        t.flags |= TUNNEL_CSUM;
    }
    if flags & F_SEQ_NUMBER != 0 {
        t.flags |= TUNNEL_SEQ;
    }
    if flags & F_NO_TUNNEL_KEY == 0 {
        t.flags |= TUNNEL_KEY;
    }
    if ipv6 {
        t.dst.copy_from_slice(&k[4..20]);
        t.src.copy_from_slice(&k[28..44]);
        t.label = label & 0x000f_ffff;
    } else {
        // The program gives IPv4 addresses in host order.
        t.dst[..4].copy_from_slice(&get32(&k, 4).to_be_bytes());
        t.src[..4].copy_from_slice(&get32(&k, 28).to_be_bytes());
    }
    skb.tunnel = Some(Box::new(t));
    Ok(0)
}

/// `bpf_skb_get_tunnel_key(skb, key, size, flags)`: fills `key` (zeroes on error).
pub(super) fn get_tunnel_key(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, size, flags) = (a[1], a[2] as u32 as usize, a[3]);
    let skb = skb_ctx(c, "bpf_skb_get_tunnel_key")?;
    let res = tunnel_key(skb.tunnel.as_deref(), size, flags);
    match res {
        Ok(k) => {
            c.write(ptr, &k[..size])?;
            Ok(0)
        }
        Err(e) => {
            c.zero(ptr, size)?;
            Ok(neg(e))
        }
    }
}

fn tunnel_key(info: Option<&TunnelInfo>, size: usize, flags: u64) -> Result<Vec<u8>, i32> {
    let Some(t) = info else {
        return Err(-22);
    };
    if flags & !(F_TUNINFO_IPV6 | F_TUNINFO_FLAGS) != 0 {
        return Err(-22);
    }
    let want6 = flags & F_TUNINFO_IPV6 != 0;
    if t.ipv6 != want6 {
        return Err(EPROTO);
    }
    if size != KEY_SIZE {
        match size {
            28 | 24 | 22 => {}
            8 if !t.ipv6 => {}
            _ => return Err(-22),
        }
    }
    let mut k = vec![0u8; KEY_SIZE];
    k[0..4].copy_from_slice(&(t.id as u32).to_le_bytes());
    k[20] = t.tos;
    k[21] = t.ttl;
    if flags & F_TUNINFO_FLAGS != 0 {
        k[22..24].copy_from_slice(&t.flags.to_be_bytes());
    }
    if t.ipv6 {
        k[4..20].copy_from_slice(&t.src);
        k[28..44].copy_from_slice(&t.dst);
        k[24..28].copy_from_slice(&t.label.to_le_bytes());
    } else {
        let v4 = |b: &[u8; 16]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_le_bytes();
        k[4..8].copy_from_slice(&v4(&t.src));
        k[28..32].copy_from_slice(&v4(&t.dst));
    }
    Ok(k)
}

/// `bpf_skb_set_tunnel_opt(skb, opt, size)`: only after `bpf_skb_set_tunnel_key`.
pub(super) fn set_tunnel_opt(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, size) = (a[1], a[2] as u32 as usize);
    let opts = c.read(ptr, size)?;
    let skb = skb_ctx(c, "bpf_skb_set_tunnel_opt")?;
    let Some(t) = skb.tunnel.as_deref_mut() else {
        return Ok(errno::EINVAL);
    };
    if size & 3 != 0 {
        return Ok(errno::EINVAL);
    }
    if size > OPTS_MAX {
        return Ok(neg(ENOMEM));
    }
    if size > 0 {
        t.flags |= TUNNEL_OPTIONS_PRESENT;
    }
    t.options = opts;
    Ok(0)
}

/// `bpf_skb_get_tunnel_opt(skb, opt, size)`: the options' length, or -ENOENT / -ENOMEM
/// (with `opt` zeroed).
pub(super) fn get_tunnel_opt(c: &mut CallEnv<'_, '_>, a: [u64; 5]) -> NetResult {
    let (ptr, size) = (a[1], a[2] as u32 as usize);
    let skb = skb_ctx(c, "bpf_skb_get_tunnel_opt")?;
    let res = match skb.tunnel.as_deref() {
        Some(t) if t.flags & TUNNEL_OPTIONS_PRESENT != 0 => {
            if size < t.options.len() {
                Err(ENOMEM)
            } else {
                Ok(t.options.clone())
            }
        }
        _ => Err(ENOENT),
    };
    match res {
        Ok(mut o) => {
            let n = o.len();
            o.resize(size, 0);
            c.write(ptr, &o)?;
            Ok(n as u64)
        }
        Err(e) => {
            c.zero(ptr, size)?;
            Ok(neg(e))
        }
    }
}
