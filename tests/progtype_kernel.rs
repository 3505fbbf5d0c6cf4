//! Contexts and test runs compared with Linux. The fixtures (tests/fixtures/contexts/*.c,
//! compiled by build.sh there) run in bpfsim through `TestRun`; each case's result
//! (retval, data_out, ctx_out) was recorded from the running kernel's BPF_PROG_TEST_RUN
//! and is a constant here. The `kernel_*` tests ask the kernel again through the bpf()
//! syscall (as root) and compare; without it they print `skipped`. They also check every
//! context access rule (every offset, size and direction of each context) against the
//! verifier, each input the kernel refuses against `ContextError::errno`, and
//! `bpf_xdp_adjust_*` against `Packet`.
//!
//! Set `BPFSIM_RECORD=1` to print the kernel's answers in the constants' syntax.

mod common;
use bpfsim::helpers::HelperTable;
use bpfsim::progtype::testrun::{BPF_F_TEST_SKB_CHECKSUM_COMPLETE, NetDevice};
use bpfsim::progtype::{
    ContextError, ProgType, TestRun, TestRunInput, TestRunOutput, ctx_access_ok, ctx_size,
};
use bpfsim::vm::Interpreter;
use object::{Object, ObjectSection, SectionKind};
use std::path::Path;

/// The instructions of fixture `name`: its one program section, which must have no
/// relocations (these fixtures use no maps, globals or calls).
fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/contexts")
        .join(format!("{name}.o"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let obj = object::File::parse(&*bytes).expect("an ELF object");
    let mut progs = obj
        .sections()
        .filter(|s| s.kind() == SectionKind::Text && s.size() > 0);
    let sec = progs.next().expect("a program section");
    assert!(progs.next().is_none(), "{name}: one program section");
    assert_eq!(sec.relocations().count(), 0, "{name}: no relocations");
    sec.data().expect("section data").to_vec()
}

/// Runs `prog` in bpfsim as a `t` program over `input`.
fn sim(t: ProgType, prog: &[u8], input: &TestRunInput<'_>) -> Result<TestRunOutput, String> {
    let mut vm = Interpreter::from_bytes(prog, HelperTable::new()).map_err(|e| e.to_string())?;
    let mut run = TestRun::new(t, input).map_err(|e| e.to_string())?;
    let args = run.args();
    let r0 = vm.run(&mut run.env(), args).map_err(|e| e.to_string())?.r0;
    run.finish(r0).map_err(|e| e.to_string())
}

fn record() -> bool {
    std::env::var_os("BPFSIM_RECORD").is_some()
}

/// The bpf() syscall: program loading and BPF_PROG_TEST_RUN.
mod kernel {
    use super::common::sys::{self, TestAttr, bpf};
    use bpfsim::progtype::{ProgType, TestRunInput, TestRunOutput};
    use std::os::fd::OwnedFd;

    /// Loads `insns` as a program of type `t`; on refusal the errno and the verifier log
    /// (asked for again with a log, so that the many accepted loads need none).
    pub fn load(t: ProgType, insns: &[u8]) -> Result<OwnedFd, (i32, String)> {
        let r = sys::prog_load(t.as_u32(), insns, "GPL", 0);
        r.fd.map_err(|_| {
            let r = sys::prog_load_with(
                insns,
                &sys::LoadOptions {
                    prog_type: t.as_u32(),
                    log_level: 1,
                    log_size: 64 * 1024,
                    ..sys::LoadOptions::default()
                },
            );
            (r.errno(), r.log)
        })
    }

    /// Whether the kernel accepts `insns` as a program of type `t` with
    /// `expected_attach_type` `attach`.
    pub fn loads_attached(t: ProgType, attach: Option<u32>, insns: &[u8]) -> bool {
        sys::prog_load_with(
            insns,
            &sys::LoadOptions {
                prog_type: t.as_u32(),
                expected_attach_type: attach.unwrap_or(0),
                ..Default::default()
            },
        )
        .accepted()
    }

    /// Whether the bpf() syscall works here (root, not forbidden by a sandbox).
    pub fn available() -> bool {
        sys::bpf_available()
    }

    /// BPF_PROG_TEST_RUN over `input`; the errno on refusal.
    pub fn test_run(fd: &OwnedFd, input: &TestRunInput<'_>) -> Result<TestRunOutput, i32> {
        use std::os::fd::AsRawFd;
        let mut data_out = vec![0u8; 128 * 1024];
        let mut ctx_out = vec![0u8; 4096];
        let mut attr = TestAttr {
            prog_fd: fd.as_raw_fd() as u32,
            flags: input.flags,
            ..Default::default()
        };
        if !input.data_in.is_empty() {
            attr.data_in = input.data_in.as_ptr() as u64;
            attr.data_size_in = input.data_in.len() as u32;
            attr.data_out = data_out.as_mut_ptr() as u64;
            attr.data_size_out = data_out.len() as u32;
        }
        if let Some(c) = input.ctx_in {
            attr.ctx_in = c.as_ptr() as u64;
            attr.ctx_size_in = c.len() as u32;
        }
        if input.ctx_out {
            attr.ctx_out = ctx_out.as_mut_ptr() as u64;
            attr.ctx_size_out = ctx_out.len() as u32;
        }
        bpf(sys::BPF_PROG_TEST_RUN, &mut attr)?;
        data_out.truncate(if attr.data_out == 0 {
            0
        } else {
            attr.data_size_out as usize
        });
        ctx_out.truncate(attr.ctx_size_out as usize);
        Ok(TestRunOutput {
            retval: attr.retval,
            data_out,
            ctx_out: input.ctx_out.then_some(ctx_out),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Inputs.

const BCAST: [u8; 6] = [0xff; 6];
const ZERO_MAC: [u8; 6] = [0; 6];
const UNICAST: [u8; 6] = [0x02, 0, 0, 0, 0, 0x09];
const SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// An Ethernet frame of `len` bytes: `dst`, `SRC`, `ethertype`, then `payload`, then a
/// counting pattern.
fn frame(dst: [u8; 6], ethertype: u16, payload: &[u8], len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&SRC);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    let mut i = 0u8;
    while f.len() < len {
        f.push(i);
        i = i.wrapping_add(3);
    }
    f.truncate(len);
    f
}

/// An IPv4 header from 192.168.0.1 to 10.0.0.2.
const IPV4: [u8; 20] = [
    0x45, 0, 0, 0x54, 0, 0, 0x40, 0, 0x40, 1, 0xf7, 0xad, 192, 168, 0, 1, 10, 0, 0, 2,
];

fn ipv6_header() -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0, 0, 0x14, 0x11, 0xff];
    h.extend(1..=16u8); // source
    h.extend(0x21..=0x30u8); // destination
    h
}

fn ipv4_frame(dst: [u8; 6], len: usize) -> Vec<u8> {
    frame(dst, 0x0800, &IPV4, len)
}

/// A context blob of `size` bytes with little-endian 32-bit `words` at their offsets.
fn blob(size: usize, words: &[(u32, u32)]) -> Vec<u8> {
    let mut b = vec![0u8; size];
    for &(off, v) in words {
        let o = off as usize;
        b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }
    b
}

fn skb_ctx(words: &[(u32, u32)]) -> Vec<u8> {
    blob(192, words)
}

fn xdp_ctx(words: [u32; 6]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The non-zero 32-bit words of a context, `(offset, value)`.
fn words(b: &[u8]) -> Vec<(u32, u32)> {
    b.chunks(4)
        .enumerate()
        .filter_map(|(i, c)| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            let v = u32::from_le_bytes(w);
            (v != 0).then_some((i as u32 * 4, v))
        })
        .collect()
}

/// `data_out` as recorded: hex, or for long outputs the length and an FNV-1a digest.
fn hex(b: &[u8]) -> String {
    if b.len() > 256 {
        let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
            (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
        });
        return format!("len={} fnv1a={h:016x}", b.len());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Recorded cases.

/// One run and what Linux 6.18 answered.
struct Case {
    name: &'static str,
    prog_type: ProgType,
    fixture: &'static str,
    data_in: Vec<u8>,
    ctx_in: Option<Vec<u8>>,
    ctx_out: bool,
    expect: Expect,
}

struct Expect {
    retval: u32,
    /// data_out in hex.
    data_out: &'static str,
    /// The non-zero 32-bit words of ctx_out (`None`: no ctx_out).
    ctx_out: Option<&'static [(u32, u32)]>,
}

impl Case {
    fn input(&self) -> TestRunInput<'_> {
        TestRunInput {
            data_in: &self.data_in,
            ctx_in: self.ctx_in.as_deref(),
            ctx_out: self.ctx_out,
            ..Default::default()
        }
    }

    fn check(&self, got: &TestRunOutput, who: &str) -> Result<(), String> {
        let ctx = got.ctx_out.as_deref().map(words);
        let want_ctx = self.expect.ctx_out.map(|w| w.to_vec());
        if got.retval != self.expect.retval
            || hex(&got.data_out) != self.expect.data_out
            || ctx != want_ctx
        {
            return Err(format!(
                "{}: {who} answered\n    retval: {},\n    data_out: \"{}\",\n    ctx_out: {},\nexpected retval {}, data_out {}, ctx_out {:?}",
                self.name,
                got.retval,
                hex(&got.data_out),
                match &ctx {
                    Some(w) => format!("Some(&{w:?})"),
                    None => "None".into(),
                },
                self.expect.retval,
                self.expect.data_out,
                want_ctx
            ));
        }
        Ok(())
    }
}

fn cases() -> Vec<Case> {
    use ProgType::*;
    let sk = |words: &[(u32, u32)]| Some(skb_ctx(words));
    let ipv4_134 = ipv4_frame(BCAST, 134);
    let rich_ctx = [
        (8, 5),      // mark
        (32, 6),     // priority
        (36, 9),     // ingress_ifindex
        (48, 11),    // cb[0]
        (64, 15),    // cb[4]
        (152, 123),  // tstamp (low half)
        (164, 3),    // gso_segs
        (176, 1400), // gso_size
        (184, 99),   // hwtstamp (low half)
    ];
    vec![
        Case {
            name: "tc_fields: IPv4 broadcast, no context",
            prog_type: SchedCls,
            fixture: "tc_fields",
            data_in: ipv4_134.clone(),
            ctx_in: None,
            ctx_out: false,
            expect: Expect {
                retval: 7,
                data_out: "ffffffffffffefbe0000000108008600000002000000000000000000000008000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000860000000000000000000000000000000000000045230000efcd0000341200004433221120232629",
                ctx_out: None,
            },
        },
        Case {
            name: "tc_fields: IPv4 broadcast, every accepted ctx_in field",
            prog_type: SchedCls,
            fixture: "tc_fields",
            data_in: ipv4_134.clone(),
            ctx_in: sk(&rich_ctx),
            ctx_out: true,
            expect: Expect {
                retval: 7,
                data_out: "ffffffffffffefbe0000000108008600000002000000050000000000000008000000000000000000000000000000060000000900000001000000000000000000000000000000000000008600000003000000780500007b0000006300000086000000000000000b0000000f0000000000000045230000efcd0000341200004433221120232629",
                ctx_out: Some(&[
                    (8, 4660),
                    (32, 21845),
                    (36, 9),
                    (40, 1),
                    (48, 11),
                    (52, 77),
                    (64, 15),
                    (152, 1432778632),
                    (156, 287454020),
                    (160, 134),
                    (164, 3),
                    (176, 1400),
                    (184, 99),
                ]),
            },
        },
        Case {
            name: "tc_fields as sched_act: frame to loopback's address, zero context",
            prog_type: SchedAct,
            fixture: "tc_fields",
            data_in: ipv4_frame(ZERO_MAC, 134),
            ctx_in: sk(&[]),
            ctx_out: true,
            expect: Expect {
                retval: 7,
                data_out: "000000000000efbe0000000108008600000000000000000000000000000008000000000000000000000000000000000000000000000001000000000000000000000000000000000000008600000000000000000000000000000000000000860000000000000000000000000000000000000045230000efcd0000341200004433221120232629",
                ctx_out: Some(&[
                    (8, 4660),
                    (32, 21845),
                    (40, 1),
                    (52, 77),
                    (152, 1432778632),
                    (156, 287454020),
                    (160, 134),
                ]),
            },
        },
        Case {
            name: "tc_fields: unicast to another host, EtherType 0x88b5, wire_len given",
            prog_type: SchedCls,
            fixture: "tc_fields",
            data_in: frame(UNICAST, 0x88b5, &[], 134),
            ctx_in: sk(&[(160, 1500)]),
            ctx_out: true,
            expect: Expect {
                retval: 7,
                data_out: "020000000009efbe0000000188b58600000003000000000000000000000088b5000000000000000000000000000000000000000000000100000000000000000000000000000000000000dc05000000000000000000000000000000000000860000000000000000000000000000000000000045230000efcd000034120000443322115c5f6265",
                ctx_out: Some(&[
                    (8, 4660),
                    (32, 21845),
                    (40, 1),
                    (52, 77),
                    (152, 1432778632),
                    (156, 287454020),
                    (160, 1500),
                ]),
            },
        },
        Case {
            name: "tc_narrow: narrow loads",
            prog_type: SchedCls,
            fixture: "tc_narrow",
            data_in: ipv4_134.clone(),
            ctx_in: sk(&[
                (48, 0x4433_2211),
                (52, 0x8877_6655),
                (176, 0x1234),
                (36, 0x0030_0a0b),
                (160, 0x201),
            ]),
            ctx_out: true,
            expect: Expect {
                retval: 0,
                data_out: "ffffffffffff020000000001080008000000080000000800000000000000000000000000000002000000020000000200000086000000000000000000000000000000010000000000000000000000112233445566778833440000000000000200000034120000300000000a000000e4e7eaedf0f3f6f9fcff0205080b0e1114171a1d20232629",
                ctx_out: Some(&[
                    (36, 3148299),
                    (40, 1),
                    (48, 1144201745),
                    (52, 2289526357),
                    (160, 513),
                    (176, 4660),
                ]),
            },
        },
        Case {
            name: "socket_len: IPv4, no context",
            prog_type: SocketFilter,
            fixture: "socket_len",
            data_in: ipv4_134.clone(),
            ctx_in: None,
            ctx_out: false,
            expect: Expect {
                retval: 120,
                data_out: "000000000000000000000000000045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d606366696c6f7275787b7e8184878a8d909396999c9fa2a5a8abaeb1b4b7babdc0c3c6c9cccfd2d5d8dbdee1e4e7eaedf0f3f6f9fcff0205080b0e1114171a1d20232629",
                ctx_out: None,
            },
        },
        Case {
            name: "socket_len: IPv4 with context",
            prog_type: SocketFilter,
            fixture: "socket_len",
            data_in: ipv4_frame(UNICAST, 60),
            ctx_in: sk(&[(8, 1), (32, 2), (164, 4), (176, 9), (36, 3)]),
            ctx_out: true,
            expect: Expect {
                retval: 46,
                data_out: "000000000000000000000000000045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d303336393c3f4245484b",
                ctx_out: Some(&[
                    (8, 1),
                    (32, 2),
                    (36, 3),
                    (40, 1),
                    (48, 46),
                    (52, 8),
                    (56, 3),
                    (60, 590593),
                    (64, 7),
                    (160, 46),
                    (164, 4),
                    (176, 9),
                ]),
            },
        },
        Case {
            name: "socket_len: raw 802.3 (length field, payload ff ff)",
            prog_type: SocketFilter,
            fixture: "socket_len",
            data_in: frame(BCAST, 0x0040, &[0xff, 0xff], 64),
            ctx_in: sk(&[]),
            ctx_out: true,
            expect: Expect {
                retval: 50,
                data_out: "0000000000000000000000000000ffff000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d606366696c6f7275787b7e8184878a8d",
                ctx_out: Some(&[(40, 1), (48, 50), (52, 256), (56, 2), (60, 1), (160, 50)]),
            },
        },
        Case {
            name: "socket_len: 802.2 LLC, header only",
            prog_type: SocketFilter,
            fixture: "socket_len",
            data_in: frame(BCAST, 0x0040, &[], 14),
            ctx_in: sk(&[]),
            ctx_out: true,
            expect: Expect {
                retval: 0,
                data_out: "0000000000000000000000000000",
                ctx_out: Some(&[(40, 1), (52, 1024), (56, 2), (60, 1)]),
            },
        },
        Case {
            name: "cgroup_skb: not IP, no socket fields",
            prog_type: CgroupSkb,
            fixture: "cgroup_skb",
            data_in: frame(BCAST, 0x88b5, &[], 60),
            ctx_in: sk(&[(8, 1)]),
            ctx_out: true,
            expect: Expect {
                retval: 0,
                data_out: "0000000000000000000000000000000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d606366696c6f7275787b7e818487",
                ctx_out: Some(&[(40, 1), (48, 46), (64, 46), (160, 46)]),
            },
        },
        Case {
            name: "socket_len as lwt_out",
            prog_type: LwtOut,
            fixture: "socket_len",
            data_in: ipv4_frame(BCAST, 60),
            ctx_in: sk(&[(8, 1)]),
            ctx_out: true,
            expect: Expect {
                retval: 46,
                data_out: "000000000000000000000000000045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d303336393c3f4245484b",
                ctx_out: Some(&[
                    (8, 1),
                    (40, 1),
                    (48, 46),
                    (52, 8),
                    (56, 2),
                    (60, 1),
                    (64, 1),
                    (160, 46),
                ]),
            },
        },
        Case {
            name: "cgroup_skb: IPv4 socket fields",
            prog_type: CgroupSkb,
            fixture: "cgroup_skb",
            data_in: ipv4_frame(ZERO_MAC, 54),
            ctx_in: sk(&[]),
            ctx_out: true,
            expect: Expect {
                retval: 1,
                data_out: "000000000000000000000000000045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d30333639",
                ctx_out: Some(&[
                    (40, 1),
                    (48, 40),
                    (52, 2),
                    (56, 16820416),
                    (60, 33554442),
                    (64, 40),
                    (160, 40),
                ]),
            },
        },
        Case {
            name: "cgroup_skb: IPv6 socket fields",
            prog_type: CgroupSkb,
            fixture: "cgroup_skb",
            data_in: frame(ZERO_MAC, 0x86dd, &ipv6_header(), 74),
            ctx_in: sk(&[]),
            ctx_out: true,
            expect: Expect {
                retval: 0,
                data_out: "000000000000000000000000000060000000001411ff0102030405060708090a0b0c0d0e0f102122232425262728292a2b2c2d2e2f30000306090c0f1215181b1e2124272a2d30333639",
                ctx_out: Some(&[
                    (32, 875310124),
                    (40, 1),
                    (48, 60),
                    (52, 10),
                    (64, 60),
                    (160, 60),
                ]),
            },
        },
        Case {
            name: "lwt_in",
            prog_type: LwtIn,
            fixture: "lwt_in",
            data_in: ipv4_frame(BCAST, 54),
            ctx_in: sk(&[]),
            ctx_out: true,
            expect: Expect {
                retval: 3,
                data_out: "000000000000000000000000000045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d30333639",
                ctx_out: Some(&[
                    (8, 16),
                    (40, 1),
                    (48, 40),
                    (52, 40),
                    (56, 69),
                    (60, 8),
                    (160, 40),
                ]),
            },
        },
        Case {
            name: "lwt_in as lwt_xmit",
            prog_type: LwtXmit,
            fixture: "lwt_in",
            data_in: ipv4_frame(BCAST, 54),
            ctx_in: None,
            ctx_out: false,
            expect: Expect {
                retval: 3,
                data_out: "000000000000000000000000000045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d30333639",
                ctx_out: None,
            },
        },
        Case {
            name: "xdp_fields: no context",
            prog_type: Xdp,
            fixture: "xdp_fields",
            data_in: ipv4_frame(BCAST, 64),
            ctx_in: None,
            ctx_out: false,
            expect: Expect {
                retval: 3,
                data_out: "020000000001ffffffffffff0800400000000000000001000000000000000a000002000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e515457",
                ctx_out: None,
            },
        },
        Case {
            name: "xdp_fields: 8 bytes of metadata, loopback queue 0",
            prog_type: Xdp,
            fixture: "xdp_fields",
            data_in: {
                let mut d = vec![0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8];
                d.extend(ipv4_frame(BCAST, 64));
                d
            },
            ctx_in: Some(xdp_ctx([8, 72, 0, 1, 0, 0])),
            ctx_out: true,
            expect: Expect {
                retval: 3,
                data_out: "0df0edfea5a6a7a8020000000001ffffffffffff080040000000080000000100000000000000a1a2a3a4000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e515457",
                ctx_out: Some(&[(0, 8), (4, 72), (12, 1)]),
            },
        },
        Case {
            name: "xdp_fields: data_end short of the input (fragments)",
            prog_type: Xdp,
            fixture: "xdp_fields",
            data_in: ipv4_frame(BCAST, 100),
            ctx_in: Some(xdp_ctx([0, 60, 0, 0, 0, 0])),
            ctx_out: true,
            expect: Expect {
                retval: 3,
                data_out: "020000000001ffffffffffff08003c0000000000000001000000000000000a000002000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d606366696c6f7275787b7e8184878a8d909396999c9fa2a5a8abaeb1b4b7babdc0c3",
                ctx_out: Some(&[(4, 60)]),
            },
        },
        Case {
            name: "xdp_fields: a zero context puts everything in fragments",
            prog_type: Xdp,
            fixture: "xdp_fields",
            data_in: ipv4_frame(BCAST, 64),
            ctx_in: Some(xdp_ctx([0; 6])),
            ctx_out: true,
            expect: Expect {
                retval: 0,
                data_out: "ffffffffffff020000000001080045000054000040004001f7adc0a800010a000002000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e515457",
                ctx_out: Some(&[]),
            },
        },
        Case {
            name: "xdp_fields: 3600 bytes, past the linear 3520",
            prog_type: Xdp,
            fixture: "xdp_fields",
            data_in: ipv4_frame(BCAST, 3600),
            ctx_in: None,
            ctx_out: false,
            expect: Expect {
                retval: 3,
                data_out: "len=3600 fnv1a=5604767855c7589d",
                ctx_out: None,
            },
        },
        Case {
            name: "raw_tp_args: three arguments",
            prog_type: RawTracepoint,
            fixture: "raw_tp_args",
            data_in: vec![],
            ctx_in: Some(
                [5u64, 7, 0x0000_0009_0000_0000]
                    .iter()
                    .flat_map(|a| a.to_le_bytes())
                    .collect(),
            ),
            ctx_out: false,
            expect: Expect {
                retval: 31,
                data_out: "",
                ctx_out: None,
            },
        },
        Case {
            name: "raw_tp_args: twelve arguments",
            prog_type: RawTracepoint,
            fixture: "raw_tp_args",
            data_in: vec![],
            ctx_in: Some((1..=12u64).flat_map(|a| (a << 33).to_le_bytes()).collect()),
            ctx_out: false,
            expect: Expect {
                retval: 6,
                data_out: "",
                ctx_out: None,
            },
        },
    ]
}

#[test]
fn recorded_cases_run_in_bpfsim() {
    let mut failures = Vec::new();
    for case in cases() {
        let prog = fixture(case.fixture);
        match sim(case.prog_type, &prog, &case.input()) {
            Ok(out) => {
                if let Err(e) = case.check(&out, "bpfsim") {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(format!("{}: bpfsim failed: {e}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn kernel_agrees_with_recorded_cases() {
    if !kernel::available() {
        return;
    }
    let mut failures = Vec::new();
    for case in cases() {
        let prog = fixture(case.fixture);
        let fd = match kernel::load(case.prog_type, &prog) {
            Ok(fd) => fd,
            Err((errno, log)) => {
                failures.push(format!("{}: load failed ({errno}):\n{log}", case.name));
                continue;
            }
        };
        match kernel::test_run(&fd, &case.input()) {
            Ok(out) => {
                if let Err(e) = case.check(&out, "the kernel") {
                    failures.push(e);
                } else if record() {
                    println!("{}: as recorded", case.name);
                }
            }
            Err(errno) => failures.push(format!("{}: the kernel refused: {errno}", case.name)),
        }
    }
    if record() {
        println!("{}", failures.join("\n\n"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// Access rules: every offset, size and direction of each context, asked of the verifier.

/// `r0 = *(size *)(r1 + off); r0 = 1; exit`, or for a store
/// `r2 = 0; *(size *)(r1 + off) = r2; r0 = 1; exit` (1: a return value every hook takes).
fn access_prog(off: i16, size: u32, write: bool) -> Vec<u8> {
    let sz = match size {
        4 => 0x00,
        2 => 0x08,
        1 => 0x10,
        _ => 0x18,
    };
    let o = off.to_le_bytes();
    let mut p = Vec::new();
    if write {
        p.extend_from_slice(&[0xb7, 0x02, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&[0x63 | sz, 0x21, o[0], o[1], 0, 0, 0, 0]);
    } else {
        p.extend_from_slice(&[0x61 | sz, 0x10, o[0], o[1], 0, 0, 0, 0]);
    }
    p.extend_from_slice(&[0xb7, 0, 0, 0, 1, 0, 0, 0]);
    p.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
    p
}

#[test]
fn kernel_agrees_with_context_access_rules() {
    use ProgType::*;
    if !kernel::available() {
        return;
    }
    use bpfsim::progtype::section::attach::*;
    let types: Vec<(ProgType, Option<u32>, Vec<u32>)> = vec![
        (SocketFilter, None, (0..200).collect()),
        (SchedCls, None, (0..200).collect()),
        (SchedAct, None, (0..200).collect()),
        (CgroupSkb, None, (0..200).collect()),
        (LwtIn, None, (0..200).collect()),
        (LwtOut, None, (0..200).collect()),
        (LwtXmit, None, (0..200).collect()),
        (SkSkb, None, (0..200).collect()),
        (Xdp, None, (0..32).collect()),
        (Kprobe, None, (0..176).collect()),
        (RawTracepoint, None, (0..104).collect()),
        (PerfEvent, None, (0..192).collect()),
        (Tracepoint, None, (0..40).chain(8176..8200).collect()),
        (SockOps, None, (0..232).collect()),
        (SkMsg, None, (0..88).collect()),
        (SkLookup, Some(SK_LOOKUP), (0..80).collect()),
        (CgroupSock, None, (0..88).collect()),
        (
            CgroupSock,
            Some(CGROUP_INET_SOCK_RELEASE),
            (0..88).collect(),
        ),
        (CgroupSock, Some(CGROUP_INET4_POST_BIND), (0..88).collect()),
        (CgroupSock, Some(CGROUP_INET6_POST_BIND), (0..88).collect()),
        (
            CgroupSockAddr,
            Some(CGROUP_INET4_CONNECT),
            (0..80).collect(),
        ),
        (
            CgroupSockAddr,
            Some(CGROUP_INET6_CONNECT),
            (0..80).collect(),
        ),
        (CgroupSockAddr, Some(CGROUP_INET4_BIND), (0..80).collect()),
        (CgroupSockAddr, Some(CGROUP_UDP4_SENDMSG), (0..80).collect()),
        (CgroupSockAddr, Some(CGROUP_UDP6_SENDMSG), (0..80).collect()),
        (CgroupSockAddr, Some(CGROUP_UDP6_RECVMSG), (0..80).collect()),
        (
            CgroupSockAddr,
            Some(CGROUP_INET4_GETPEERNAME),
            (0..80).collect(),
        ),
    ];
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for (t, attach, offsets) in &types {
        for &off in offsets {
            for size in [1, 2, 4, 8] {
                for write in [false, true] {
                    let prog = access_prog(off as i16, size, write);
                    let kernel = kernel::loads_attached(*t, *attach, &prog);
                    let ours = ctx_access_ok(*t, *attach, off, size, write);
                    checked += 1;
                    if kernel != ours {
                        mismatches.push(format!(
                            "{t} ({attach:?}): {} of {size} at {off}: kernel {}, bpfsim {}",
                            if write { "store" } else { "load" },
                            if kernel { "allows" } else { "refuses" },
                            if ours { "allows" } else { "refuses" },
                        ));
                    }
                }
            }
        }
    }
    println!("{checked} accesses checked");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn context_faults_name_offset_and_size() {
    // A socket filter storing to `mark`: the kernel's verifier says
    // "invalid bpf_context access off=8 size=4"; bpfsim stops the run with the same words.
    let prog = access_prog(8, 4, true);
    let frame = ipv4_frame(BCAST, 60);
    let err = sim(ProgType::SocketFilter, &prog, &TestRunInput::new(&frame)).unwrap_err();
    assert!(
        err.contains("invalid bpf_context access off=8 size=4"),
        "{err}"
    );
    for t in [ProgType::SchedCls, ProgType::Xdp] {
        let err = sim(t, &access_prog(2, 4, false), &TestRunInput::new(&frame)).unwrap_err();
        assert!(
            err.contains("invalid bpf_context access off=2 size=4"),
            "{t}: {err}"
        );
    }
    if kernel::available() {
        let (_, log) = kernel::load(ProgType::SocketFilter, &prog).expect_err("refused");
        assert!(
            log.contains("invalid bpf_context access off=8 size=4"),
            "{log}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Inputs the kernel refuses (or accepts) and the errno it answers.

struct Refusal {
    name: &'static str,
    prog_type: ProgType,
    data_in: Vec<u8>,
    ctx_in: Option<Vec<u8>>,
    ctx_out: bool,
    flags: u32,
    /// The kernel's errno, 0 when it runs.
    errno: i32,
}

fn refusals() -> Vec<Refusal> {
    use ProgType::*;
    const EINVAL: i32 = 22;
    const E2BIG: i32 = 7;
    const ENODEV: i32 = 19;
    const ENOMEM: i32 = 12;
    let r = |name, prog_type, data_in: Vec<u8>, ctx_in: Option<Vec<u8>>, errno| Refusal {
        name,
        prog_type,
        // Raw tracepoint runs refuse a ctx_out buffer.
        ctx_out: ctx_in.is_some() && prog_type != RawTracepoint,
        data_in,
        ctx_in,
        flags: 0,
        errno,
    };
    let f60 = || ipv4_frame(BCAST, 60);
    let sk = |w: &[(u32, u32)]| Some(skb_ctx(w));
    let xd = |w: [u32; 6]| Some(xdp_ctx(w));
    let mut big_zero = skb_ctx(&[]);
    big_zero.extend_from_slice(&[0; 8]);
    let mut big_nonzero = big_zero.clone();
    big_nonzero[199] = 1;
    let mut v = vec![
        r("skb: 13 bytes", SchedCls, vec![0; 13], None, EINVAL),
        r("skb: 14 bytes", SocketFilter, vec![0; 14], None, 0),
        r(
            "skb: 3712 bytes",
            SchedCls,
            frame(BCAST, 0x88b5, &[], 3712),
            None,
            0,
        ),
        r(
            "skb: 3713 bytes",
            SchedCls,
            frame(BCAST, 0x88b5, &[], 3713),
            None,
            EINVAL,
        ),
        r(
            "skb: IPv4, 19-byte header",
            SchedCls,
            ipv4_frame(BCAST, 33),
            None,
            EINVAL,
        ),
        r(
            "skb: IPv4, 20-byte header",
            SchedCls,
            ipv4_frame(BCAST, 34),
            None,
            0,
        ),
        r(
            "skb: IPv6, 39 bytes",
            CgroupSkb,
            frame(BCAST, 0x86dd, &[], 53),
            None,
            EINVAL,
        ),
        r(
            "skb: IPv6, 40 bytes",
            CgroupSkb,
            frame(BCAST, 0x86dd, &[], 54),
            None,
            0,
        ),
        r("skb ctx: len", SchedCls, f60(), sk(&[(0, 1)]), EINVAL),
        r("skb ctx: pkt_type", SchedCls, f60(), sk(&[(4, 1)]), EINVAL),
        r(
            "skb ctx: queue_mapping",
            SchedCls,
            f60(),
            sk(&[(12, 1)]),
            EINVAL,
        ),
        r("skb ctx: tc_index", SchedCls, f60(), sk(&[(44, 1)]), EINVAL),
        r("skb ctx: hash", SchedCls, f60(), sk(&[(68, 1)]), EINVAL),
        r("skb ctx: data", SchedCls, f60(), sk(&[(76, 1)]), EINVAL),
        r("skb ctx: sk", SchedCls, f60(), sk(&[(168, 1)]), EINVAL),
        r(
            "skb ctx: tstamp_type",
            SchedCls,
            f60(),
            sk(&[(180, 1)]),
            EINVAL,
        ),
        r(
            "skb ctx: padding",
            SchedCls,
            f60(),
            sk(&[(180, 0x100)]),
            EINVAL,
        ),
        r(
            "skb ctx: 200 bytes, zero tail",
            SchedCls,
            f60(),
            Some(big_zero),
            0,
        ),
        r(
            "skb ctx: 200 bytes, non-zero tail",
            SchedCls,
            f60(),
            Some(big_nonzero),
            E2BIG,
        ),
        r(
            "skb ctx: 9 bytes",
            SchedCls,
            f60(),
            Some(vec![0, 0, 0, 0, 0, 0, 0, 0, 5]),
            0,
        ),
        r(
            "skb ctx: 13 bytes",
            SchedCls,
            f60(),
            Some(vec![0; 12].into_iter().chain([5]).collect()),
            EINVAL,
        ),
        r(
            "skb ctx: wire_len < len",
            SchedCls,
            f60(),
            sk(&[(160, 59)]),
            EINVAL,
        ),
        r(
            "skb ctx: wire_len = len",
            SchedCls,
            f60(),
            sk(&[(160, 60)]),
            0,
        ),
        r(
            "skb ctx: wire_len 65536",
            SocketFilter,
            f60(),
            sk(&[(160, 65536)]),
            0,
        ),
        r(
            "skb ctx: wire_len 65537",
            SocketFilter,
            f60(),
            sk(&[(160, 65537)]),
            EINVAL,
        ),
        r(
            "skb ctx: wire_len < len - 14 (not L2)",
            SocketFilter,
            f60(),
            sk(&[(160, 45)]),
            EINVAL,
        ),
        r(
            "skb ctx: wire_len = len - 14 (not L2)",
            SocketFilter,
            f60(),
            sk(&[(160, 46)]),
            0,
        ),
        r(
            "skb ctx: gso_segs 65535",
            SchedCls,
            f60(),
            sk(&[(164, 65535)]),
            0,
        ),
        r(
            "skb ctx: gso_segs 65536",
            SchedCls,
            f60(),
            sk(&[(164, 65536)]),
            EINVAL,
        ),
        r("skb ctx: ifindex 1", SchedCls, f60(), sk(&[(40, 1)]), 0),
        r(
            "skb ctx: ifindex 1000000",
            SchedCls,
            f60(),
            sk(&[(40, 1_000_000)]),
            ENODEV,
        ),
        r(
            "skb ctx: ifindex 1000000 and len",
            SchedCls,
            f60(),
            sk(&[(40, 1_000_000), (0, 1)]),
            ENODEV,
        ),
        r("xdp: 13 bytes", Xdp, vec![0; 13], None, EINVAL),
        r("xdp: 14 bytes", Xdp, vec![0; 14], None, 0),
        r(
            "xdp: 75000 bytes (18 fragments)",
            Xdp,
            vec![0; 3520 + 17 * 4096 + 1],
            None,
            ENOMEM,
        ),
        r(
            "xdp: 73152 bytes (17 fragments)",
            Xdp,
            vec![0; 3520 + 17 * 4096],
            None,
            0,
        ),
        r(
            "xdp ctx: data_meta",
            Xdp,
            f60(),
            xd([0, 60, 4, 0, 0, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: data_end past data_in",
            Xdp,
            f60(),
            xd([0, 61, 0, 0, 0, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: data past data_end",
            Xdp,
            f60(),
            xd([12, 8, 0, 0, 0, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: metadata 6",
            Xdp,
            f60(),
            xd([6, 60, 0, 0, 0, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: metadata 44, 16 left",
            Xdp,
            f60(),
            xd([44, 60, 0, 0, 0, 0]),
            0,
        ),
        r(
            "xdp ctx: metadata 48, 12 left",
            Xdp,
            f60(),
            xd([48, 60, 0, 0, 0, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: metadata 216",
            Xdp,
            vec![0; 400],
            xd([216, 400, 0, 0, 0, 0]),
            0,
        ),
        r(
            "xdp ctx: metadata 220",
            Xdp,
            vec![0; 400],
            xd([220, 400, 0, 0, 0, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: egress_ifindex",
            Xdp,
            f60(),
            xd([0, 60, 0, 0, 0, 1]),
            EINVAL,
        ),
        r(
            "xdp ctx: queue without device",
            Xdp,
            f60(),
            xd([0, 60, 0, 0, 1, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: loopback queue 1",
            Xdp,
            f60(),
            xd([0, 60, 0, 1, 1, 0]),
            EINVAL,
        ),
        r(
            "xdp ctx: ifindex 1000000",
            Xdp,
            f60(),
            xd([0, 60, 0, 1_000_000, 0, 0]),
            ENODEV,
        ),
        r(
            "xdp ctx: 28 bytes, non-zero tail",
            Xdp,
            f60(),
            Some(
                xdp_ctx([0, 60, 0, 0, 0, 0])
                    .into_iter()
                    .chain([0, 0, 0, 1])
                    .collect(),
            ),
            E2BIG,
        ),
        r(
            "xdp ctx: 8 bytes",
            Xdp,
            f60(),
            Some(xdp_ctx([0, 60, 0, 0, 0, 0])[..8].to_vec()),
            0,
        ),
        r(
            "raw_tp: 96 bytes",
            RawTracepoint,
            vec![],
            Some(vec![0; 96]),
            0,
        ),
        r(
            "raw_tp: 97 bytes",
            RawTracepoint,
            vec![],
            Some(vec![0; 97]),
            EINVAL,
        ),
        r("raw_tp: no arguments", RawTracepoint, vec![], None, 0),
        r("raw_tp: a packet", RawTracepoint, vec![0; 14], None, EINVAL),
    ];
    for (name, t, flags, errno) in [
        ("skb: flag RUN_ON_CPU", SchedCls, 1, EINVAL),
        (
            "skb: flag CHECKSUM_COMPLETE",
            SchedCls,
            BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
            0,
        ),
        (
            "xdp: flag CHECKSUM_COMPLETE",
            Xdp,
            BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
            EINVAL,
        ),
    ] {
        v.push(Refusal {
            flags,
            ..r(name, t, f60(), None, errno)
        });
    }
    v
}

#[test]
fn refused_inputs_give_the_kernels_errno() {
    let trivial = access_prog(0, 4, false);
    let mut failures = Vec::new();
    for c in refusals() {
        let input = TestRunInput {
            data_in: &c.data_in,
            ctx_in: c.ctx_in.as_deref(),
            ctx_out: c.ctx_out,
            flags: c.flags,
            devices: &[],
        };
        // Load r0 = *(u32 *)(r1 + 0) only where the type may; else just return.
        let prog = if c.prog_type == ProgType::RawTracepoint {
            access_prog(0, 1, false)[8..].to_vec()
        } else {
            trivial.clone()
        };
        let got = match sim(c.prog_type, &prog, &input) {
            Ok(_) => 0,
            Err(_) => TestRun::new(c.prog_type, &input).map_or_else(|e| e.errno(), |_| -1),
        };
        if got != c.errno {
            failures.push(format!("{}: bpfsim {got}, expected {}", c.name, c.errno));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn kernel_agrees_with_refusals() {
    if !kernel::available() {
        return;
    }
    let mut failures = Vec::new();
    for c in refusals() {
        let prog = if c.prog_type == ProgType::RawTracepoint {
            access_prog(0, 1, false)[8..].to_vec()
        } else {
            access_prog(0, 4, false)
        };
        let fd = kernel::load(c.prog_type, &prog).expect("the trivial program loads");
        let input = TestRunInput {
            data_in: &c.data_in,
            ctx_in: c.ctx_in.as_deref(),
            ctx_out: c.ctx_out,
            flags: c.flags,
            devices: &[],
        };
        let kernel = kernel::test_run(&fd, &input);
        let errno = kernel.as_ref().err().copied().unwrap_or(0);
        if errno != c.errno {
            failures.push(format!(
                "{}: the kernel answered {errno}, recorded {}",
                c.name, c.errno
            ));
            continue;
        }
        // Where both run, the outputs agree too.
        if let Ok(k) = kernel {
            match sim(c.prog_type, &prog, &input) {
                Ok(ours) if ours == k => {}
                Ok(ours) => failures.push(format!(
                    "{}: outputs differ: kernel retval {} data_out {} ctx_out {:?}; bpfsim retval {} data_out {} ctx_out {:?}",
                    c.name,
                    k.retval,
                    hex(&k.data_out),
                    k.ctx_out.as_deref().map(words),
                    ours.retval,
                    hex(&ours.data_out),
                    ours.ctx_out.as_deref().map(words)
                )),
                Err(e) => failures.push(format!("{}: bpfsim failed: {e}", c.name)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// CHECKSUM_COMPLETE.

#[test]
fn checksum_complete_catches_packet_changes() {
    let frame = ipv4_frame(BCAST, 134);
    let input = TestRunInput {
        flags: BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
        ..TestRunInput::new(&frame)
    };
    // tc_fields writes into the IP payload without touching skb->csum: EBADMSG.
    let changed = sim(ProgType::SchedCls, &fixture("tc_fields"), &input);
    assert_eq!(changed, Err(ContextError::BadChecksum.to_string()));
    // socket_len leaves the packet alone.
    let same = sim(ProgType::SocketFilter, &fixture("socket_len"), &input).expect("runs");
    assert_eq!(same.retval, 120);
    if kernel::available() {
        let fd = kernel::load(ProgType::SchedCls, &fixture("tc_fields")).expect("loads");
        assert_eq!(kernel::test_run(&fd, &input).err(), Some(74)); // EBADMSG
        let fd = kernel::load(ProgType::SocketFilter, &fixture("socket_len")).expect("loads");
        assert_eq!(kernel::test_run(&fd, &input).map(|o| o.retval), Ok(120));
    }
}

// ---------------------------------------------------------------------------------------
// bpf_xdp_adjust_head/_tail/_meta: the kernel runs xdp_adjust.o; bpfsim does the same calls
// on its Packet.

/// What xdp_adjust.c does, done on a `TestRun`'s packet.
fn adjust_in_bpfsim(input: &TestRunInput<'_>) -> Result<TestRunOutput, ContextError> {
    let mut run = TestRun::new(ProgType::Xdp, input)?;
    let xdp = run.xdp_mut().expect("an XDP run");
    let p = xdp.packet_mut();
    let r0 = match p.load_bytes(14, 10) {
        None => 1000,
        Some(h) => {
            let op = h[0];
            let d1 = i32::from_le_bytes([h[2], h[3], h[4], h[5]]);
            let d2 = i32::from_le_bytes([h[6], h[7], h[8], h[9]]);
            let rc = |r: Result<(), i32>| r.err().unwrap_or(0) as u32;
            let (mut r1, mut r2) = (0, 0);
            if op == 0 || op == 4 {
                r1 = rc(p.adjust_head(d1));
            }
            if op == 1 {
                r1 = rc(p.adjust_tail(d1));
            }
            if op == 2 || op == 3 || op == 5 {
                r1 = rc(p.adjust_meta(d1));
            }
            if op == 3 {
                r2 = rc(p.adjust_head(d2));
            }
            if op == 4 {
                r2 = rc(p.adjust_tail(d2));
            }
            if op == 5 {
                r2 = rc(p.adjust_meta(d2));
            }
            ((r1 & 0xffff) | (r2 << 16)) as u64
        }
    };
    run.finish(r0)
}

#[test]
fn kernel_agrees_with_xdp_adjustments() {
    if !kernel::available() {
        return;
    }
    let fd = kernel::load(ProgType::Xdp, &fixture("xdp_adjust")).expect("xdp_adjust loads");
    // (op, delta 1, delta 2, metadata bytes)
    let cases: &[(u8, i32, i32, u32)] = &[
        (0, 0, 0, 0),
        (0, -1, 0, 0),
        (0, -216, 0, 0),
        (0, -217, 0, 0),
        (0, i32::MIN, 0, 0),
        (0, 50, 0, 0),
        (0, 51, 0, 0),
        (0, -4, 0, 8),
        (0, -208, 0, 8),
        (0, -209, 0, 8),
        (0, 42, 0, 8),
        (0, 43, 0, 8),
        (1, 0, 0, 0),
        (1, 1, 0, 0),
        (1, -50, 0, 0),
        (1, -51, 0, 0),
        (1, 3456, 0, 0),
        (1, 3457, 0, 0),
        (1, i32::MAX, 0, 0),
        (1, -42, 0, 8),
        (1, -43, 0, 8),
        (2, -4, 0, 0),
        (2, -1, 0, 0),
        (2, -216, 0, 0),
        (2, -220, 0, 0),
        (2, 4, 0, 0),
        (2, -8, 0, 8),
        (2, 8, 0, 8),
        (2, 4, 0, 8),
        (2, -212, 0, 8),
        (3, -8, 4, 0),
        (3, -8, -4, 0),
        (3, -8, -208, 0),
        (3, -8, -209, 0),
        (4, 10, -36, 0),
        (4, -10, 3446, 0),
        (4, -10, 3447, 0),
        (5, -8, 8, 0),
        (5, -8, 4, 0),
        (5, -8, 12, 0),
    ];
    let mut failures = Vec::new();
    for &(op, d1, d2, meta) in cases {
        let n = 64 + meta as usize;
        let mut data: Vec<u8> = (0..n).map(|i| (i * 7 + 1) as u8).collect();
        let at = meta as usize + 14;
        data[at] = op;
        data[at + 2..at + 6].copy_from_slice(&d1.to_le_bytes());
        data[at + 6..at + 10].copy_from_slice(&d2.to_le_bytes());
        let ctx = xdp_ctx([meta, n as u32, 0, 0, 0, 0]);
        let input = if meta > 0 {
            TestRunInput::with_ctx(&data, &ctx)
        } else {
            TestRunInput::new(&data)
        };
        let kernel = kernel::test_run(&fd, &input).expect("the kernel runs it");
        match adjust_in_bpfsim(&input) {
            Ok(ours) if ours == kernel => {}
            other => failures.push(format!(
                "op {op} ({d1}, {d2}) with {meta} bytes of metadata: kernel retval {:#x} data_out {} ctx_out {:?}; bpfsim {other:?}",
                kernel.retval,
                hex(&kernel.data_out),
                kernel.ctx_out
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Tracing contexts: plain read-only blobs.

#[test]
fn tracing_blobs_run_in_bpfsim() {
    use bpfsim::progtype::tracing::{PERF_EVENT_DATA_SIZE, PT_REGS_SIZE, pt_regs};
    let set = |b: &mut [u8], off: usize, v: u64| b[off..off + 8].copy_from_slice(&v.to_le_bytes());

    let mut regs = vec![0u8; PT_REGS_SIZE];
    set(&mut regs, pt_regs::DI, 10);
    set(&mut regs, pt_regs::SI, 3);
    set(&mut regs, pt_regs::IP, 0x1234);
    set(&mut regs, pt_regs::DX, 0x0507);
    let out = sim(
        ProgType::Kprobe,
        &fixture("kprobe_regs"),
        &TestRunInput::tracing(&regs),
    );
    assert_eq!(out.map(|o| o.retval), Ok(10 * 2 + 3 + 0x34 + 0x07));

    let mut pe = vec![0u8; PERF_EVENT_DATA_SIZE];
    set(&mut pe, pt_regs::AX, 5);
    set(&mut pe, 168, 0x0102_0304); // sample_period
    set(&mut pe, 176, 0x5600); // addr
    let out = sim(
        ProgType::PerfEvent,
        &fixture("perf_event"),
        &TestRunInput::tracing(&pe),
    );
    // sample_period + (addr >> 8) + ax + the u16 at offset 170 (bits 16..32 of the period)
    assert_eq!(out.map(|o| o.retval), Ok(0x0102_0304 + 0x56 + 5 + 0x0102));

    let mut rec = vec![0u8; 24];
    set(&mut rec, 8, 100);
    rec[16..20].copy_from_slice(&7u32.to_le_bytes());
    rec[20..22].copy_from_slice(&3u16.to_le_bytes());
    let out = sim(
        ProgType::Tracepoint,
        &fixture("tracepoint"),
        &TestRunInput::tracing(&rec),
    );
    assert_eq!(out.map(|o| o.retval), Ok(100 + 7 * 2 + 3));
}

#[test]
fn tracing_blob_sizes_and_writes() {
    let err = TestRun::new(ProgType::Kprobe, &TestRunInput::tracing(&[0; 160])).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("context blob is 160 bytes, struct pt_regs is 168".into())
    );
    let err = TestRun::new(ProgType::PerfEvent, &TestRunInput::tracing(&[0; 168])).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("context blob is 168 bytes, struct bpf_perf_event_data is 184".into())
    );
    let err = TestRun::new(ProgType::Tracepoint, &TestRunInput::tracing(&[0; 4])).err();
    assert!(err.is_some_and(|e| e.to_string().contains("must be 8 to 8192")));
    assert_eq!(ctx_size(ProgType::Kprobe), Some(168));
    assert_eq!(ctx_size(ProgType::Xdp), Some(24));
    assert_eq!(ctx_size(ProgType::CgroupSkb), Some(192));
    // The context is read-only.
    let err = sim(
        ProgType::Kprobe,
        &access_prog(8, 8, true),
        &TestRunInput::tracing(&[0; 168]),
    )
    .unwrap_err();
    assert!(err.contains("invalid store of 8 bytes"), "{err}");
    // A raw tracepoint reading past the arguments it was given: the kernel refuses the
    // run up front (ctx_size_in < max_ctx_offset, EINVAL); bpfsim stops at the load.
    let err = sim(
        ProgType::RawTracepoint,
        &fixture("raw_tp_args"),
        &TestRunInput::tracing(&[0; 16]),
    )
    .unwrap_err();
    assert!(err.contains("invalid load of 8 bytes"), "{err}");
}

#[test]
fn kernel_does_not_test_run_tracing_types() {
    if !kernel::available() {
        return;
    }
    for (t, name, blob) in [
        (ProgType::Kprobe, "kprobe_regs", vec![0u8; 168]),
        (ProgType::PerfEvent, "perf_event", vec![0u8; 184]),
        (ProgType::Tracepoint, "tracepoint", vec![0u8; 24]),
    ] {
        let fd = kernel::load(t, &fixture(name)).expect("loads");
        let errno = kernel::test_run(&fd, &TestRunInput::tracing(&blob)).err();
        // ENOTSUPP (524): no test_run for these types.
        assert_eq!(errno, Some(524), "{t}");
    }
}

#[test]
fn devices_besides_loopback() {
    // A device the embedder declares: frames to its MAC are PACKET_HOST, to its broadcast
    // address PACKET_BROADCAST (the kernel does the same with a real device, ifindex > 1).
    let dev = NetDevice {
        ifindex: 7,
        mac: [0x02, 0, 0, 0, 0, 0x09],
        broadcast: [0xff; 6],
        rx_queues: 4,
    };
    let ctx = skb_ctx(&[(40, 7)]);
    for (dst, pkt_type) in [
        (UNICAST, 0),
        (BCAST, 1),
        ([0x01, 0, 0x5e, 0, 0, 1], 2),
        (SRC, 3),
    ] {
        let frame = ipv4_frame(dst, 60);
        let input = TestRunInput {
            devices: &[dev],
            ..TestRunInput::with_ctx(&frame, &ctx)
        };
        let out = sim(ProgType::SocketFilter, &fixture("socket_len"), &input).expect("runs");
        let cb = words(out.ctx_out.as_deref().expect("ctx_out"));
        assert!(
            cb.contains(&(56, pkt_type)) || pkt_type == 0,
            "{dst:?}: {cb:?}"
        );
        assert!(cb.contains(&(40, 7)), "{cb:?}");
    }
    let xctx = xdp_ctx([0, 60, 0, 7, 3, 0]);
    let frame = ipv4_frame(BCAST, 60);
    let input = TestRunInput {
        devices: &[dev],
        ..TestRunInput::with_ctx(&frame, &xctx)
    };
    let out = sim(ProgType::Xdp, &fixture("xdp_fields"), &input).expect("runs");
    assert_eq!(&out.data_out[14 + 8..14 + 16], &[7, 0, 0, 0, 3, 0, 0, 0]);
    let bad = xdp_ctx([0, 60, 0, 7, 4, 0]);
    let input = TestRunInput {
        devices: &[dev],
        ..TestRunInput::with_ctx(&frame, &bad)
    };
    assert!(TestRun::new(ProgType::Xdp, &input).is_err());
}

// ---------------------------------------------------------------------------------------
// Legacy packet loads (ld_abs / ld_ind): offsets from skb->data, the SKF_NET_OFF and
// SKF_LL_OFF bases, network byte order, and the program ending with 0 past the packet.

/// `r6 = r1; r7 = 4; r0 = 7; <load>; exit`, the load given as (opcode, imm).
fn legacy_prog(code: u8, imm: i32) -> Vec<u8> {
    use bpfsim::insn::RawInsn;
    let src = if code & 0xe0 == 0x40 { 7 } else { 0 };
    [
        RawInsn::new(0xbf, 6, 1, 0, 0),
        RawInsn::new(0xb7, 7, 0, 0, 4),
        RawInsn::new(0xb7, 0, 0, 0, 7),
        RawInsn::new(code, 0, src, 0, imm),
        RawInsn::new(0x95, 0, 0, 0, 0),
    ]
    .iter()
    .flat_map(|r| r.to_bytes())
    .collect()
}

/// (name, opcode, imm, retval as a socket filter, retval as tc), recorded from Linux 6.18.
const LEGACY_LOADS: &[(&str, u8, i32, u32, u32)] = &[
    ("abs b 9", 0x30, 9, 0x11, 0x00),
    ("abs h 2", 0x28, 2, 0x003c, 0x0000),
    ("abs w 12", 0x20, 12, 0x0a00_0001, 0x0800_4500),
    ("ind w r7+8", 0x40, 8, 0x0a00_0001, 0x0800_4500),
    ("abs past the end", 0x30, 0x1000, 0, 0),
    ("net base + 9", 0x30, -0x100000 + 9, 0x11, 0x11),
    ("link base + 12", 0x28, -0x200000 + 12, 0x0800, 0x0800),
    ("below the link base", 0x30, -0x200001, 0, 0),
];

fn legacy_frame() -> Vec<u8> {
    let mut ip = vec![
        0x45, 0, 0, 0x3c, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    ip.resize(60, 0xaa);
    let mut f = vec![0x02, 0, 0, 0, 0, 0x09, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
    f.extend(ip);
    f
}

#[test]
fn legacy_packet_loads_run_in_bpfsim() {
    let frame = legacy_frame();
    for &(name, code, imm, want_sk, want_tc) in LEGACY_LOADS {
        for (t, want) in [
            (ProgType::SocketFilter, want_sk),
            (ProgType::SchedCls, want_tc),
        ] {
            let got = sim(t, &legacy_prog(code, imm), &TestRunInput::new(&frame))
                .unwrap_or_else(|e| panic!("{name} as {t}: {e}"));
            assert_eq!(got.retval, want, "{name} as {t}");
        }
    }
}

#[test]
fn kernel_agrees_with_legacy_packet_loads() {
    if !kernel::available() {
        return;
    }
    let frame = legacy_frame();
    for &(name, code, imm, want_sk, want_tc) in LEGACY_LOADS {
        for (t, want) in [
            (ProgType::SocketFilter, want_sk),
            (ProgType::SchedCls, want_tc),
        ] {
            let fd = kernel::load(t, &legacy_prog(code, imm))
                .unwrap_or_else(|(e, log)| panic!("{name} as {t}: load failed ({e}): {log}"));
            let out = kernel::test_run(&fd, &TestRunInput::new(&frame)).expect("test run");
            if record() {
                println!("{name} as {t}: {:#x}", out.retval);
                continue;
            }
            assert_eq!(out.retval, want, "{name} as {t}: the kernel");
        }
    }
}
