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
    use bpfsim::progtype::{ProgType, TestRunInput, TestRunOutput};
    use std::os::fd::{FromRawFd, OwnedFd};

    const BPF_PROG_LOAD: libc::c_long = 5;
    const BPF_PROG_TEST_RUN: libc::c_long = 10;

    #[repr(C)]
    #[derive(Default)]
    struct LoadAttr {
        prog_type: u32,
        insn_cnt: u32,
        insns: u64,
        license: u64,
        log_level: u32,
        log_size: u32,
        log_buf: u64,
        kern_version: u32,
        prog_flags: u32,
        prog_name: [u8; 16],
        prog_ifindex: u32,
        expected_attach_type: u32,
    }

    #[repr(C)]
    #[derive(Default)]
    struct TestAttr {
        prog_fd: u32,
        retval: u32,
        data_size_in: u32,
        data_size_out: u32,
        data_in: u64,
        data_out: u64,
        repeat: u32,
        duration: u32,
        ctx_size_in: u32,
        ctx_size_out: u32,
        ctx_in: u64,
        ctx_out: u64,
        flags: u32,
        cpu: u32,
        batch_size: u32,
        _pad: u32,
    }

    fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> Result<libc::c_long, i32> {
        // SAFETY: `attr` is a live, initialised `bpf_attr` prefix of its own size; the
        // pointers inside it point to buffers the callers keep alive across the call.
        let r = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd,
                attr as *mut T as *mut libc::c_void,
                std::mem::size_of::<T>(),
            )
        };
        if r < 0 {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Ok(r)
        }
    }

    /// Loads `insns` as a `t` program; the errno and the verifier's log on refusal.
    pub fn load(t: ProgType, insns: &[u8]) -> Result<OwnedFd, (i32, String)> {
        let license = b"GPL\0";
        let mut log = vec![0u8; 64 * 1024];
        let mut attr = LoadAttr {
            prog_type: t.as_u32(),
            insn_cnt: (insns.len() / 8) as u32,
            insns: insns.as_ptr() as u64,
            license: license.as_ptr() as u64,
            ..Default::default()
        };
        match bpf(BPF_PROG_LOAD, &mut attr) {
            // SAFETY: a successful BPF_PROG_LOAD returns a new file descriptor we own.
            Ok(fd) => Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
            Err(_) => {
                // Load again with the log, to say why.
                attr.log_level = 1;
                attr.log_size = log.len() as u32;
                attr.log_buf = log.as_mut_ptr() as u64;
                let errno = bpf(BPF_PROG_LOAD, &mut attr).err().unwrap_or(0);
                let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                Err((errno, String::from_utf8_lossy(&log[..end]).into_owned()))
            }
        }
    }

    /// Whether loading only reports success (for the access-rule sweep: no log).
    pub fn loads(t: ProgType, insns: &[u8]) -> bool {
        let license = b"GPL\0";
        let mut attr = LoadAttr {
            prog_type: t.as_u32(),
            insn_cnt: (insns.len() / 8) as u32,
            insns: insns.as_ptr() as u64,
            license: license.as_ptr() as u64,
            ..Default::default()
        };
        match bpf(BPF_PROG_LOAD, &mut attr) {
            Ok(fd) => {
                // SAFETY: as in `load`; dropping it closes the program.
                drop(unsafe { OwnedFd::from_raw_fd(fd as i32) });
                true
            }
            Err(_) => false,
        }
    }

    /// Whether the bpf() syscall works here (root, not forbidden by a sandbox).
    pub fn available() -> bool {
        // r0 = 0; exit
        let prog = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0u8];
        match load(ProgType::SocketFilter, &prog) {
            Ok(_) => true,
            Err((errno, _)) => {
                println!("skipped: the bpf() syscall is unavailable (errno {errno})");
                false
            }
        }
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
        bpf(BPF_PROG_TEST_RUN, &mut attr)?;
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
