//! `struct xdp_md`: the context of XDP programs. Six 32-bit fields; `data`, `data_end` and
//! `data_meta` load as full pointers into the packet (the kernel rewrites them into loads of
//! the `xdp_buff` pointers), the others from the receive queue. Every access is a 4-byte
//! aligned load (xdp_is_valid_access: no narrow loads, no stores, and `egress_ifindex` only
//! for devmap programs, which BPF_PROG_TEST_RUN refuses).

use super::packet::Packet;
use crate::vm::{CtxAccess, CtxFault};
use std::any::Any;

/// `sizeof(struct xdp_md)`.
pub const XDP_CTX_SIZE: usize = 24;

/// Offsets of the fields of `struct xdp_md`.
pub mod off {
    pub const DATA: u32 = 0;
    pub const DATA_END: u32 = 4;
    pub const DATA_META: u32 = 8;
    pub const INGRESS_IFINDEX: u32 = 12;
    pub const RX_QUEUE_INDEX: u32 = 16;
    pub const EGRESS_IFINDEX: u32 = 20;
}

/// Whether an XDP program (not a devmap one) may access `size` bytes at `off` of its
/// `struct xdp_md`.
pub fn access_ok(off: u32, size: u32, write: bool) -> bool {
    !write
        && size == 4
        && off.is_multiple_of(4)
        && off < XDP_CTX_SIZE as u32
        && off != off::EGRESS_IFINDEX
}

/// The `xdp_buff` behind a `struct xdp_md`: the packet and its receive queue.
#[derive(Debug)]
pub struct XdpContext {
    packet: Packet,
    /// Bytes past the linear part (the fragments of a multi-buffer packet), reported after
    /// it in `data_out`; programs reach them only through helpers.
    pub frags: Vec<u8>,
    /// `rxq->dev->ifindex`.
    pub ingress_ifindex: u32,
    /// `rxq->queue_index`.
    pub rx_queue_index: u32,
}

impl XdpContext {
    pub fn new(packet: Packet, ingress_ifindex: u32, rx_queue_index: u32) -> XdpContext {
        XdpContext {
            packet,
            frags: Vec::new(),
            ingress_ifindex,
            rx_queue_index,
        }
    }

    pub fn packet(&self) -> &Packet {
        &self.packet
    }

    /// The packet, for helpers (`bpf_xdp_adjust_head`, ...). After changing its bounds,
    /// update the packet region with `MemoryMap::reshape`.
    pub fn packet_mut(&mut self) -> &mut Packet {
        &mut self.packet
    }
}

impl CtxAccess for XdpContext {
    fn load(&mut self, off: u64, size: u64) -> Result<u64, CtxFault> {
        let fault = CtxFault {
            off,
            size,
            write: false,
        };
        let (Ok(o), Ok(s)) = (u32::try_from(off), u32::try_from(size)) else {
            return Err(fault);
        };
        if !access_ok(o, s, false) {
            return Err(fault);
        }
        Ok(match o {
            off::DATA => self.packet.data_ptr(),
            off::DATA_END => self.packet.data_end_ptr(),
            off::DATA_META => self.packet.data_meta_ptr(),
            off::INGRESS_IFINDEX => self.ingress_ifindex as u64,
            _ => self.rx_queue_index as u64,
        })
    }

    fn store(&mut self, off: u64, size: u64, _value: u64) -> Result<(), CtxFault> {
        Err(CtxFault {
            off,
            size,
            write: true,
        })
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_and_queue_fields() {
        let mut c = XdpContext::new(Packet::xdp(&[0u8; 64], 8), 1, 0);
        let data = c.load(0, 4).unwrap();
        let end = c.load(4, 4).unwrap();
        let meta = c.load(8, 4).unwrap();
        assert_eq!((end - data, data - meta), (56, 8));
        assert_eq!(c.load(12, 4), Ok(1));
        assert_eq!(c.load(16, 4), Ok(0));
    }

    #[test]
    fn refusals() {
        let mut c = XdpContext::new(Packet::xdp(&[0u8; 64], 0), 1, 0);
        assert!(c.load(20, 4).is_err());
        assert!(c.load(12, 2).is_err());
        assert!(c.load(2, 4).is_err());
        assert!(c.load(24, 4).is_err());
        assert_eq!(
            c.store(12, 4, 0).unwrap_err().to_string(),
            "invalid bpf_context access off=12 size=4 (write)"
        );
    }
}
