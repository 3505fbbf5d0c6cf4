//! Classic pcap files (not pcapng): the global header and one record per packet, in either
//! byte order and with microsecond or nanosecond timestamps. Enough to feed a packet
//! program every frame of a capture and to write the frames it passed.

use thiserror::Error;

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Largest packet accepted (the snap length tcpdump uses today).
const MAX_PACKET: u32 = 262_144;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PcapError {
    #[error("not a pcap file (magic {0:#010x}; pcapng is not supported)")]
    Magic(u32),
    #[error("the file ends inside {0}")]
    Truncated(&'static str),
    #[error("packet {index}: captured length {len} is larger than {MAX_PACKET}")]
    TooLong { index: usize, len: u32 },
    #[error("link type {0} is not Ethernet (1)")]
    LinkType(u32),
}

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapPacket {
    pub ts_sec: u32,
    /// Microseconds or nanoseconds, as the file says.
    pub ts_frac: u32,
    /// The length on the wire (may exceed `data.len()` when the capture was cut).
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// A whole capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcap {
    pub nanos: bool,
    pub link_type: u32,
    pub snaplen: u32,
    pub packets: Vec<PcapPacket>,
}

fn take<'a>(
    b: &'a [u8],
    at: &mut usize,
    n: usize,
    what: &'static str,
) -> Result<&'a [u8], PcapError> {
    let s = b
        .get(*at..at.saturating_add(n))
        .ok_or(PcapError::Truncated(what))?;
    *at += n;
    Ok(s)
}

impl Pcap {
    /// An empty Ethernet capture with microsecond timestamps.
    pub fn new() -> Pcap {
        Pcap {
            nanos: false,
            link_type: LINKTYPE_ETHERNET,
            snaplen: MAX_PACKET,
            packets: Vec::new(),
        }
    }

    /// Parses a pcap file; only Ethernet captures are accepted (packet programs see frames).
    pub fn parse(b: &[u8]) -> Result<Pcap, PcapError> {
        let mut at = 0;
        let head = take(b, &mut at, 24, "the file header")?;
        let le_magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let (big, nanos) = match le_magic {
            MAGIC_US => (false, false),
            MAGIC_NS => (false, true),
            m if m.swap_bytes() == MAGIC_US => (true, false),
            m if m.swap_bytes() == MAGIC_NS => (true, true),
            m => return Err(PcapError::Magic(m)),
        };
        let u32_at = |s: &[u8], i: usize| {
            let w = [s[i], s[i + 1], s[i + 2], s[i + 3]];
            if big {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        let snaplen = u32_at(head, 16);
        let link_type = u32_at(head, 20) & 0x0fff_ffff;
        if link_type != LINKTYPE_ETHERNET {
            return Err(PcapError::LinkType(link_type));
        }
        let mut packets = Vec::new();
        while at < b.len() {
            let rec = take(b, &mut at, 16, "a packet header")?;
            let incl = u32_at(rec, 8);
            if incl > MAX_PACKET {
                return Err(PcapError::TooLong {
                    index: packets.len(),
                    len: incl,
                });
            }
            let data = take(b, &mut at, incl as usize, "a packet")?.to_vec();
            packets.push(PcapPacket {
                ts_sec: u32_at(rec, 0),
                ts_frac: u32_at(rec, 4),
                orig_len: u32_at(rec, 12),
                data,
            });
        }
        Ok(Pcap {
            nanos,
            link_type,
            snaplen,
            packets,
        })
    }

    /// Adds a packet with its wire length equal to its captured length.
    pub fn push(&mut self, ts_sec: u32, ts_frac: u32, data: Vec<u8>) {
        self.packets.push(PcapPacket {
            ts_sec,
            ts_frac,
            orig_len: data.len() as u32,
            data,
        });
    }

    /// The file's bytes (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let magic = if self.nanos { MAGIC_NS } else { MAGIC_US };
        for w in [magic, 0x0004_0002, 0, 0, self.snaplen, self.link_type] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        // The second word is version 2.4 as two u16s, then thiszone and sigfigs.
        b[4..8].copy_from_slice(&[2, 0, 4, 0]);
        for p in &self.packets {
            for w in [
                p.ts_sec,
                p.ts_frac,
                p.data.len() as u32,
                p.orig_len.max(p.data.len() as u32),
            ] {
                b.extend_from_slice(&w.to_le_bytes());
            }
            b.extend_from_slice(&p.data);
        }
        b
    }
}

impl Default for Pcap {
    fn default() -> Self {
        Pcap::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut p = Pcap::new();
        p.push(1, 2, vec![1, 2, 3]);
        p.push(3, 4, vec![]);
        let b = p.to_bytes();
        assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(Pcap::parse(&b), Ok(p));
    }

    #[test]
    fn big_endian_and_errors() {
        let mut b = vec![0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 0, 0, 1]);
        b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 9, 8]);
        let p = Pcap::parse(&b).unwrap();
        assert_eq!(p.packets[0].data, vec![9, 8]);
        assert_eq!(
            Pcap::parse(&b[..30]),
            Err(PcapError::Truncated("a packet header"))
        );
        assert!(matches!(Pcap::parse(&[0; 24]), Err(PcapError::Magic(0))));
        let mut bad = b.clone();
        bad[23] = 101;
        assert_eq!(Pcap::parse(&bad), Err(PcapError::LinkType(101)));
    }
}
