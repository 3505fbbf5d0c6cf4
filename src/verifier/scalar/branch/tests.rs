//! Branch logic: soundness against the interpreter's conditions (`crate::vm::alu::cond64`
//! / `cond32`), and exact refinements taken from Linux 6.18 verifier logs.

use super::*;
use crate::insn::{JmpCond, Width};
use crate::verifier::print::parse_scalar_state;
use crate::verifier::scalar::tests::{arb_member, is_within};
use crate::vm::alu::{cond32, cond64};
use proptest::prelude::*;

const ALL: [JmpCond; 11] = [
    JmpCond::Eq,
    JmpCond::Gt,
    JmpCond::Ge,
    JmpCond::Set,
    JmpCond::Ne,
    JmpCond::Sgt,
    JmpCond::Sge,
    JmpCond::Lt,
    JmpCond::Le,
    JmpCond::Slt,
    JmpCond::Sle,
];

fn holds(cond: JmpCond, width: Width, x: u64, y: u64) -> bool {
    match width {
        Width::W64 => cond64(cond, x, y),
        Width::W32 => cond32(cond, x, y),
    }
}

fn arb_cond() -> impl Strategy<Value = JmpCond> {
    prop::sample::select(ALL.to_vec())
}

fn arb_width() -> impl Strategy<Value = Width> {
    prop::sample::select(vec![Width::W32, Width::W64])
}

/// The second operand: a register, an immediate, or a value close to the first operand's
/// (so that both outcomes of a comparison are common).
fn arb_pair() -> impl Strategy<Value = ((ScalarBounds, u64), (ScalarBounds, u64))> {
    (arb_member(), arb_member(), any::<i32>(), 0u8..4, -3i64..=3).prop_map(
        |(a, b, imm, kind, delta)| match kind {
            0 | 1 => (a, b),
            2 => {
                let v = imm as i64 as u64;
                (a, (ScalarBounds::known(v), v))
            }
            _ => {
                let v = a.1.wrapping_add(delta as u64);
                (a, (ScalarBounds::known(v), v))
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn branch_taken_never_contradicts_a_member(
        cond in arb_cond(), width in arb_width(), ((a, x), (b, y)) in arb_pair(),
    ) {
        if let Some(taken) = is_branch_taken(&a, &b, cond, width) {
            prop_assert_eq!(
                taken, holds(cond, width, x, y),
                "{:?} {:?}: {:?} vs {:?} with {:#x}, {:#x}", cond, width, a, b, x, y
            );
        }
        if let Some(taken) = is_branch_taken_same_reg(&a, cond, width) {
            prop_assert_eq!(taken, holds(cond, width, x, x));
        }
    }

    #[test]
    fn refinement_keeps_every_pair_that_takes_the_branch(
        cond in arb_cond(), width in arb_width(), ((a, x), (b, y)) in arb_pair(),
    ) {
        let (taken, fallthrough, _violations) = reg_set_min_max(&a, &b, cond, width);
        let side = if holds(cond, width, x, y) { taken } else { fallthrough };
        prop_assert!(
            side.dst.contains(x) && side.src.contains(y),
            "{:?} {:?} ({}): {:?} vs {:?} with {:#x}, {:#x} -> {:?}",
            cond, width, holds(cond, width, x, y), a, b, x, y, side
        );
        // Refinement only narrows (a violation resets the bounds but keeps the tnum).
        for (r, orig) in [(taken.dst, a), (taken.src, b), (fallthrough.dst, a), (fallthrough.src, b)] {
            prop_assert!(orig.var_off.contains(r.var_off) || !orig.var_off.overlap(r.var_off));
        }
    }

    #[test]
    fn same_register_refinement_keeps_its_values(
        cond in arb_cond(), width in arb_width(), (a, x) in arb_member(),
    ) {
        let (b, _violations) = reg_set_min_max_same_reg(&a, cond, width);
        let side = if holds(cond, width, x, x) { b.taken } else { b.fallthrough };
        prop_assert!(side.contains(x), "{:?} {:?}: {:?} with {:#x} -> {:?}", cond, width, a, x, side);
    }

    /// On a well-formed (synced) state the refinement of a possible branch narrows the side
    /// that a concrete pair takes: every bound at least as tight as before. (A side no pair
    /// can take may come out anywhere; so may the fall-through side of `JSET`, where the
    /// kernel forgets the ranges before narrowing the tnum, so that a dead branch cannot
    /// contradict itself, and rebuilds them from the tnum alone.)
    #[test]
    fn refinement_narrows_the_side_taken(
        cond in arb_cond(), width in arb_width(), ((a, x), (b, y)) in arb_pair(),
    ) {
        let (mut a, mut b) = (a, b);
        a.reg_bounds_sync();
        b.reg_bounds_sync();
        if is_branch_taken(&a, &b, cond, width).is_some() {
            // The kernel does not refine decided branches.
            return Ok(());
        }
        let (t, f, _violations) = reg_set_min_max(&a, &b, cond, width);
        if holds(cond, width, x, y) {
            prop_assert!(is_within(&t.dst, &a) && is_within(&t.src, &b));
        } else if cond != JmpCond::Set {
            prop_assert!(is_within(&f.dst, &a) && is_within(&f.src, &b));
        }
    }

    #[test]
    fn nothing_panics(cond in arb_cond(), width in arb_width(), v in any::<[u64; 12]>()) {
        let raw = |o: usize| ScalarBounds {
            var_off: crate::verifier::tnum::Tnum::new(v[o], v[o + 1]),
            smin_value: v[o + 2] as i64,
            smax_value: v[o + 3] as i64,
            umin_value: v[o + 4],
            umax_value: v[o + 5],
            s32_min_value: v[o] as i32,
            s32_max_value: v[o + 1] as i32,
            u32_min_value: v[o + 2] as u32,
            u32_max_value: v[o + 3] as u32,
        };
        let (a, b) = (raw(0), raw(6));
        let _ = is_branch_taken(&a, &b, cond, width);
        let _ = reg_set_min_max(&a, &b, cond, width);
        let _ = reg_set_min_max_same_reg(&a, cond, width);
    }
}

fn s(text: &str) -> ScalarBounds {
    parse_scalar_state(text).expect("parses")
}

/// `if dst <cond> src`: (jump side dst, jump side src, fall-through dst, fall-through src)
/// as the log prints them.
fn refine(dst: &str, src: &str, cond: JmpCond, width: Width) -> [String; 4] {
    let (d, r) = (s(dst), s(src));
    assert_eq!(is_branch_taken(&d, &r, cond, width), None);
    let (t, f, v) = reg_set_min_max(&d, &r, cond, width);
    assert!(v.is_empty(), "{v:?}");
    [t.dst, t.src, f.dst, f.src].map(|x| x.to_string())
}

const BYTE: &str = "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))";

// Expected strings are what Linux 6.18.44 printed: the fall-through side after the jump
// instruction, the jump side in `from X to Y:`.

#[test]
fn against_a_constant() {
    let [t, _, f, _] = refine(BYTE, "0", JmpCond::Ne, Width::W64);
    assert_eq!(
        t,
        "scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"
    );
    assert_eq!(f, "0");
    let [t, _, f, _] = refine(BYTE, "255", JmpCond::Ne, Width::W64);
    assert_eq!(
        t,
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=254,var_off=(0x0; 0xff))"
    );
    assert_eq!(f, "255");

    let [t, _, f, _] = refine("scalar()", "-1", JmpCond::Sgt, Width::W64);
    assert_eq!(
        t,
        "scalar(smin=0,umax=0x7fffffffffffffff,var_off=(0x0; 0x7fffffffffffffff))"
    );
    assert_eq!(
        f,
        "scalar(smax=-1,umin=0x8000000000000000,var_off=(0x8000000000000000; 0x7fffffffffffffff))"
    );

    let [t, _, f, _] = refine("scalar()", "-2147483648", JmpCond::Le, Width::W64);
    assert_eq!(t, "scalar(umax=0xffffffff80000000)");
    assert_eq!(
        f,
        "scalar(smin=0xffffffff80000001,smax=smax32=-1,umin=0xffffffff80000001,\
         smin32=umin32=0x80000001,var_off=(0xffffffff80000000; 0x7fffffff))"
    );
}

#[test]
fn jmp32_against_a_constant() {
    // if w6 == 0xfffffffb
    let [t, _, f, _] = refine("scalar()", "-5", JmpCond::Eq, Width::W32);
    assert_eq!(
        t,
        "scalar(smin=0x80000000fffffffb,smax=0x7ffffffffffffffb,umin=umin32=0xfffffffb,\
         umax=0xfffffffffffffffb,smin32=-5,smax32=-5,umax32=0xfffffffb,\
         var_off=(0xfffffffb; 0xffffffff00000000))"
    );
    assert_eq!(f, "scalar()");
    // if w6 & 0x4
    let [t, _, f, _] = refine("scalar()", "4", JmpCond::Set, Width::W32);
    assert_eq!(
        t,
        "scalar(smin=0x8000000000000004,umin=umin32=4,smin32=0x80000004,\
         var_off=(0x4; 0xfffffffffffffffb))"
    );
    assert_eq!(
        f,
        "scalar(smax=0x7ffffffffffffffb,umax=0xfffffffffffffffb,smax32=0x7ffffffb,\
         umax32=0xfffffffb,var_off=(0x0; 0xfffffffffffffffb))"
    );
}

#[test]
fn jset() {
    // A single bit: the jump side learns it.
    let [t, _, f, _] = refine(BYTE, "16", JmpCond::Set, Width::W64);
    assert_eq!(
        t,
        "scalar(smin=umin=smin32=umin32=16,smax=umax=smax32=umax32=255,var_off=(0x10; 0xef))"
    );
    assert_eq!(
        f,
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=239,var_off=(0x0; 0xef))"
    );
    // Two bits: only the fall-through side learns (both clear).
    let [t, _, f, _] = refine(BYTE, "24", JmpCond::Set, Width::W64);
    assert_eq!(t, BYTE);
    assert_eq!(
        f,
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=231,var_off=(0x0; 0xe7))"
    );
}

#[test]
fn register_against_register() {
    let fff = "scalar(smin=smin32=0,smax=umax=smax32=umax32=4095,var_off=(0x0; 0xfff))";
    let [td, ts, fd, fs] = refine(BYTE, fff, JmpCond::Ge, Width::W64);
    assert_eq!((td.as_str(), ts.as_str()), (BYTE, BYTE));
    assert_eq!(fd, BYTE);
    assert_eq!(
        fs,
        "scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=4095,var_off=(0x0; 0xfff))"
    );

    // if w6 s< w7 with r6's subregister non-negative.
    let r6 = "scalar(smax=0x7fffffff7fffffff,umax=0xffffffff7fffffff,smin32=0,umax32=0x7fffffff,\
              var_off=(0x0; 0xffffffff7fffffff))";
    let [td, ts, fd, fs] = refine("scalar()", fff, JmpCond::Slt, Width::W32);
    assert_eq!(td, "scalar(smax32=4094)");
    assert_eq!(ts, fff);
    assert_eq!(fd, r6);
    assert_eq!(fs, fff);

    // Equal: both sides get the intersection.
    let [td, ts, _, _] = refine(
        BYTE,
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=3855,var_off=(0x0; 0xf0f))",
        JmpCond::Eq,
        Width::W64,
    );
    let nibble = "scalar(smin=smin32=0,smax=umax=smax32=umax32=15,var_off=(0x0; 0xf))";
    assert_eq!((td.as_str(), ts.as_str()), (nibble, nibble));

    // `if r3 < r9` with r9 in {0, 0x8000}: on the jump side r9 > 0, so r9 is 0x8000.
    let [td, ts, _, _] = refine(
        "scalar()",
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=0x8000,var_off=(0x0; 0x8000))",
        JmpCond::Lt,
        Width::W64,
    );
    assert_eq!(
        td,
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=32767,var_off=(0x0; 0x7fff))"
    );
    assert_eq!(ts, "0x8000");
}

#[test]
fn decided_branches() {
    // if r6 > 0xff with r6 a byte: never; if r6 == 5 with var_off=(0x0; 0xf0): never.
    assert_eq!(
        is_branch_taken(&s(BYTE), &ScalarBounds::known(255), JmpCond::Gt, Width::W64),
        Some(false)
    );
    let f0 = s("scalar(smin=smin32=0,smax=umax=smax32=umax32=240,var_off=(0x0; 0xf0))");
    assert_eq!(
        is_branch_taken(&f0, &ScalarBounds::known(5), JmpCond::Eq, Width::W64),
        Some(false)
    );
    assert_eq!(
        is_branch_taken(&f0, &ScalarBounds::known(5), JmpCond::Ne, Width::W64),
        Some(true)
    );
    // Constants compare, in their width.
    let big = ScalarBounds::known(0x1_0000_0005);
    let five = ScalarBounds::known(5);
    assert_eq!(
        is_branch_taken(&big, &five, JmpCond::Eq, Width::W64),
        Some(false)
    );
    assert_eq!(
        is_branch_taken(&big, &five, JmpCond::Eq, Width::W32),
        Some(true)
    );
    assert_eq!(
        is_branch_taken(&big, &five, JmpCond::Set, Width::W32),
        Some(true)
    );
    // JSET needs a constant on one side.
    assert_eq!(
        is_branch_taken(&s(BYTE), &s(BYTE), JmpCond::Set, Width::W64),
        None
    );
    // A 64-bit JEQ also uses the 32-bit ranges.
    let mut low = ScalarBounds::unknown();
    low.u32_min_value = 10;
    assert_eq!(
        is_branch_taken(&low, &five, JmpCond::Eq, Width::W64),
        Some(false)
    );
}

#[test]
fn same_register() {
    // `if r1 > r1` with r1 in s64 [-255, 0]: Linux refines r1 through both aliases.
    let r1 = s("scalar(smin=smin32=-255,smax=smax32=0)");
    assert_eq!(is_branch_taken_same_reg(&r1, JmpCond::Gt, Width::W64), None);
    let (b, v) = reg_set_min_max_same_reg(&r1, JmpCond::Gt, Width::W64);
    assert!(v.is_empty());
    assert_eq!(
        b.taken.to_string(),
        "scalar(smin=smin32=-255,smax=smax32=-2,umin=0xffffffffffffff01,umax=0xfffffffffffffffe,\
         umin32=0xffffff01,umax32=0xfffffffe,var_off=(0xffffffffffffff00; 0xff))"
    );
    assert_eq!(b.fallthrough, r1);

    let (b, _) = reg_set_min_max_same_reg(&s(BYTE), JmpCond::Slt, Width::W64);
    assert_eq!(
        b.taken.to_string(),
        "scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=254,var_off=(0x0; 0xff))"
    );
    // [5, 6]: the contradiction is resolved by the subregister deduction.
    let five6 = s("scalar(smin=umin=smin32=umin32=5,smax=umax=smax32=umax32=6,var_off=(0x4; 0x3))");
    let (b, v) = reg_set_min_max_same_reg(&five6, JmpCond::Slt, Width::W64);
    assert!(v.is_empty());
    assert_eq!(b.taken, five6);
    // JSET, JEQ, JNE of a register with itself learn nothing.
    for cond in [JmpCond::Set, JmpCond::Eq, JmpCond::Ne] {
        let (b, _) = reg_set_min_max_same_reg(&s(BYTE), cond, Width::W64);
        assert_eq!((b.taken, b.fallthrough), (s(BYTE), s(BYTE)), "{cond:?}");
    }
}

#[test]
fn same_register_invariant_violation() {
    // `if r6 s< r6` with r6 in [0x100000005, 0x100000006]: the kernel logs a verifier bug
    // and continues with r6 unbounded (tnum kept) on the jump side.
    let r6 = s(
        "scalar(smin=umin=0x100000005,smax=umax=0x100000006,smin32=umin32=5,smax32=umax32=6,\
         var_off=(0x100000004; 0x3))",
    );
    let (b, v) = reg_set_min_max_same_reg(&r6, JmpCond::Slt, Width::W64);
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].log_line(),
        "verifier bug: REG INVARIANTS VIOLATION (true_reg1): range bounds violation \
         u64=[0x100000005, 0x100000006] s64=[0x100000006, 0x100000005] u32=[0x5, 0x6] \
         s32=[0x5, 0x6] var_off=(0x100000004, 0x3)"
    );
    assert_eq!(b.taken.to_string(), "scalar(var_off=(0x100000004; 0x3))");
    assert_eq!(b.fallthrough, r6);
}

#[test]
fn opcode_tables() {
    for c in ALL {
        assert_eq!(flip_opcode(flip_opcode(c)), c);
        assert_eq!(rev_opcode(rev_opcode(Cond::Jmp(c))), Cond::Jmp(c));
        // a <c> b is b <flip c> a; not (a <c> b) is a <rev c> b.
        for (x, y) in [
            (1u64, 2u64),
            (2, 1),
            (5, 5),
            (u64::MAX, 0),
            (0, 1 << 63),
            (3, 1),
        ] {
            assert_eq!(cond64(c, x, y), cond64(flip_opcode(c), y, x), "{c:?}");
            if let Cond::Jmp(r) = rev_opcode(Cond::Jmp(c)) {
                assert_eq!(cond64(c, x, y), !cond64(r, x, y), "{c:?}");
            }
        }
    }
}
