//! ALU transfer functions: soundness against the interpreter's arithmetic
//! (`crate::vm::alu`), and exact results taken from Linux 6.18 verifier logs.

use super::*;
use crate::insn::{AluOp, ByteOrder, Width};
use crate::verifier::print::parse_scalar_state;
use crate::verifier::scalar::tests::arb_member;
use crate::vm::alu as c;
use proptest::prelude::*;

/// What the instruction computes, as the interpreter does it.
fn concrete(op: AluOp, width: Width, x: u64, y: u64) -> u64 {
    let w32 = |v: u64| v as u32 as u64;
    match (width, op) {
        (Width::W64, AluOp::Add) => x.wrapping_add(y),
        (Width::W32, AluOp::Add) => w32(x.wrapping_add(y)),
        (Width::W64, AluOp::Sub) => x.wrapping_sub(y),
        (Width::W32, AluOp::Sub) => w32(x.wrapping_sub(y)),
        (Width::W64, AluOp::Mul) => x.wrapping_mul(y),
        (Width::W32, AluOp::Mul) => w32((x as u32).wrapping_mul(y as u32) as u64),
        (Width::W64, AluOp::Div) => c::div64(x, y),
        (Width::W32, AluOp::Div) => c::div32(x, y),
        (Width::W64, AluOp::SDiv) => c::sdiv64(x, y),
        (Width::W32, AluOp::SDiv) => c::sdiv32(x, y),
        (Width::W64, AluOp::Mod) => c::mod64(x, y),
        (Width::W32, AluOp::Mod) => c::mod32(x, y),
        (Width::W64, AluOp::SMod) => c::smod64(x, y),
        (Width::W32, AluOp::SMod) => c::smod32(x, y),
        (Width::W64, AluOp::Or) => x | y,
        (Width::W32, AluOp::Or) => w32(x | y),
        (Width::W64, AluOp::And) => x & y,
        (Width::W32, AluOp::And) => w32(x & y),
        (Width::W64, AluOp::Xor) => x ^ y,
        (Width::W32, AluOp::Xor) => w32(x ^ y),
        (Width::W64, AluOp::Lsh) => c::lsh64(x, y),
        (Width::W32, AluOp::Lsh) => c::lsh32(x, y),
        (Width::W64, AluOp::Rsh) => c::rsh64(x, y),
        (Width::W32, AluOp::Rsh) => c::rsh32(x, y),
        (Width::W64, AluOp::Arsh) => c::arsh64(x, y),
        (Width::W32, AluOp::Arsh) => c::arsh32(x, y),
        (Width::W64, AluOp::Mov) => y,
        (Width::W32, AluOp::Mov) => w32(y),
        (Width::W64, AluOp::MovSx(b)) => c::sign_extend(y, b),
        (Width::W32, AluOp::MovSx(b @ (8 | 16))) => w32(c::sign_extend(y, b)),
        (Width::W32, AluOp::MovSx(_)) => w32(y),
    }
}

fn arb_op() -> impl Strategy<Value = AluOp> {
    prop::sample::select(vec![
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Div,
        AluOp::SDiv,
        AluOp::Or,
        AluOp::And,
        AluOp::Lsh,
        AluOp::Rsh,
        AluOp::Mod,
        AluOp::SMod,
        AluOp::Xor,
        AluOp::Mov,
        AluOp::MovSx(8),
        AluOp::MovSx(16),
        AluOp::MovSx(32),
        AluOp::Arsh,
    ])
}

fn arb_width() -> impl Strategy<Value = Width> {
    prop::sample::select(vec![Width::W32, Width::W64])
}

/// A source operand: a register, or an immediate (a sign-extended constant). Shift
/// amounts are often small so that the shift paths are reached.
fn arb_src() -> impl Strategy<Value = (ScalarBounds, u64)> {
    prop_oneof![
        3 => arb_member(),
        2 => any::<i32>().prop_map(|imm| {
            let v = imm as i64 as u64;
            (ScalarBounds::known(v), v)
        }),
        2 => (0u64..64).prop_map(|v| (ScalarBounds::known(v), v)),
    ]
}

/// Runs `dst op= src` the way `check_alu_op` does (transfer, then the sanity check) and
/// checks that the concrete result is in the abstract one (or in the forked state's).
fn check_sound(
    op: AluOp,
    width: Width,
    (a, x): (ScalarBounds, u64),
    (b, y): (ScalarBounds, u64),
) -> Result<(), TestCaseError> {
    let r = concrete(op, width, x, y);
    let mut d = a;
    let fork = adjust_scalar_min_max_vals(&mut d, op, &b, width);
    let _ = d.reg_bounds_sanity_check("alu");
    match fork {
        Some(f) if f.dst_before.contains(x) => {
            // The concrete value takes the pushed path.
            let mut o = f.dst_before;
            let again = adjust_scalar_min_max_vals(&mut o, op, &b, width);
            prop_assert!(again.is_none(), "a fork of a fork");
            let _ = o.reg_bounds_sanity_check("alu");
            prop_assert!(
                o.contains(r),
                "{op:?} {width:?} forked: {x:#x}, {y:#x} -> {r:#x} not in {o:?}"
            );
        }
        _ => prop_assert!(
            d.contains(r),
            "{op:?} {width:?}: {a:?} op {b:?} -> {d:?} lacks {x:#x} op {y:#x} = {r:#x}"
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn every_op_contains_the_concrete_result(
        op in arb_op(), width in arb_width(), dst in arb_member(), src in arb_src(),
    ) {
        check_sound(op, width, dst, src)?;
    }

    /// `and`/`or` of a value known to be -1 or 0 (as s64 or as s32) fork.
    #[test]
    fn forks_are_sound(
        op in prop::sample::select(vec![AluOp::And, AluOp::Or]),
        width in arb_width(),
        upper in any::<u32>(),
        minus_one in any::<bool>(),
        in_32 in any::<bool>(),
        imm in any::<i32>(),
    ) {
        let (a, x) = if in_32 {
            let mut a = ScalarBounds::unknown();
            a.s32_min_value = -1;
            a.s32_max_value = 0;
            a.reg_bounds_sync();
            let x = ((upper as u64) << 32) | if minus_one { 0xffff_ffff } else { 0 };
            (a, x)
        } else {
            let mut a = ScalarBounds::unknown();
            a.smin_value = -1;
            a.smax_value = 0;
            a.reg_bounds_sync();
            (a, if minus_one { u64::MAX } else { 0 })
        };
        prop_assert!(a.contains(x));
        let y = imm as i64 as u64;
        check_sound(op, width, (a, x), (ScalarBounds::known(y), y))?;
    }

    #[test]
    fn neg_contains_the_concrete_result(width in arb_width(), (a, x) in arb_member()) {
        let mut d = a;
        scalar_neg(&mut d, width);
        let r = match width {
            Width::W64 => x.wrapping_neg(),
            Width::W32 => (x as u32).wrapping_neg() as u64,
        };
        prop_assert!(d.contains(r), "neg {width:?}: {a:?} -> {d:?} lacks {r:#x}");
    }

    #[test]
    fn byte_swaps_contain_the_concrete_result(
        order in prop::sample::select(vec![ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap]),
        bits in prop::sample::select(vec![16u8, 32, 64]),
        (a, x) in arb_member(),
    ) {
        let mut d = a;
        scalar_byte_swap(&mut d, order, bits);
        let r = match order {
            ByteOrder::ToLe => c::to_le(x, bits),
            ByteOrder::ToBe | ByteOrder::Swap => c::swap(x, bits),
        };
        prop_assert!(d.contains(r), "{order:?}{bits}: {a:?} -> {d:?} lacks {r:#x}");
    }

    /// Constants fold: two known operands give the known result for everything the
    /// kernel computes a range for.
    #[test]
    fn constants_fold(
        op in prop::sample::select(vec![
            AluOp::Add, AluOp::Sub, AluOp::Mul, AluOp::And, AluOp::Or, AluOp::Xor,
            AluOp::Lsh, AluOp::Rsh, AluOp::Arsh, AluOp::Mov, AluOp::MovSx(8),
            AluOp::MovSx(16),
        ]),
        width in arb_width(),
        x in any::<u64>(),
        y in any::<u64>(),
    ) {
        let y = match op {
            AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => y % if width == Width::W64 { 64 } else { 32 },
            _ => y,
        };
        let mut d = ScalarBounds::known(x);
        let fork = adjust_scalar_min_max_vals(&mut d, op, &ScalarBounds::known(y), width);
        prop_assert!(fork.is_none());
        prop_assert_eq!(d, ScalarBounds::known(concrete(op, width, x, y)), "{:?}", op);
    }

    #[test]
    fn nothing_panics(
        op in arb_op(), width in arb_width(), v in any::<[u64; 12]>(), bits in any::<u8>(),
    ) {
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
        let (mut d, s) = (raw(0), raw(6));
        let _ = adjust_scalar_min_max_vals(&mut d, op, &s, width);
        let mut d = raw(0);
        let _ = adjust_scalar_min_max_vals(&mut d, AluOp::MovSx(bits), &s, width);
        let mut d = raw(0);
        scalar_neg(&mut d, width);
        let mut d = raw(0);
        scalar_byte_swap(&mut d, ByteOrder::ToBe, bits);
    }
}

/// `dst op= src` on states given as the kernel printed them; the result as it prints.
fn run(dst: &str, op: AluOp, src: &str, width: Width) -> String {
    let mut d = parse_scalar_state(dst).expect("dst parses");
    let s = parse_scalar_state(src).expect("src parses");
    let fork = adjust_scalar_min_max_vals(&mut d, op, &s, width);
    assert!(fork.is_none());
    d.to_string()
}

const BYTE: &str = "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))";

// Each expectation below is the line Linux 6.18.44 printed for the instruction.

#[test]
fn and_with_a_constant() {
    // r6 &= 255 on an unknown r6.
    assert_eq!(run("scalar()", AluOp::And, "255", Width::W64), BYTE);
    assert_eq!(
        run("scalar()", AluOp::And, "7", Width::W64),
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7))"
    );
}

#[test]
fn add_and_sub() {
    let seven = "scalar(smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7))";
    assert_eq!(
        run(seven, AluOp::Sub, "3", Width::W64),
        "scalar(smin=smin32=-3,smax=smax32=4)"
    );
    // r3 = r6 (a byte); r3 -= 300: every subtraction wraps, so the u64 range survives.
    assert_eq!(
        run(BYTE, AluOp::Sub, "300", Width::W64),
        "scalar(smin=smin32=-300,smax=smax32=-45,umin=0xfffffffffffffed4,\
         umax=0xffffffffffffffd3,umin32=0xfffffed4,umax32=0xffffffd3,\
         var_off=(0xfffffffffffffe00; 0x1ff))"
    );
    // r6 |= -16; r6 += 32: every addition wraps.
    let or16 = run("scalar()", AluOp::Or, "-16", Width::W64);
    assert_eq!(
        or16,
        "scalar(smin=smin32=-16,smax=smax32=-1,umin=0xfffffffffffffff0,umin32=0xfffffff0,\
         var_off=(0xfffffffffffffff0; 0xf))"
    );
    assert_eq!(
        run(&or16, AluOp::Add, "32", Width::W64),
        "scalar(smin=umin=smin32=umin32=16,smax=umax=smax32=umax32=31,var_off=(0x10; 0xf))"
    );
    // r6 += r1 with r1 = 0x100000000.
    assert_eq!(
        run(BYTE, AluOp::Add, "0x100000000", Width::W64),
        "scalar(smin=umin=0x100000000,smax=umax=0x1000000ff,smin32=0,smax32=umax32=255,\
         var_off=(0x100000000; 0xff))"
    );
}

#[test]
fn mul() {
    // [-3, 4] * [-2, 5]: the signed range is the extreme corner products.
    assert_eq!(
        run(
            "scalar(smin=smin32=-3,smax=smax32=4)",
            AluOp::Mul,
            "scalar(smin=smin32=-2,smax=smax32=5)",
            Width::W64
        ),
        "scalar(smin=smin32=-15,smax=smax32=20)"
    );
    assert_eq!(run(BYTE, AluOp::Mul, "scalar()", Width::W64), "scalar()");
    // r7 *= -2 (the tnum multiplication of 6.18).
    assert_eq!(
        run(
            "scalar(smin=0x80000000edcba988,umin=smin32=umin32=0xedcba988,smax32=-1,\
             var_off=(0xe0000005; 0xffffffff1ffffffa))",
            AluOp::Mul,
            "-2",
            Width::W64
        ),
        "scalar(smin=0x8000000000000002,smax=0x7ffffffe2468acf0,umin=smin32=umin32=2,\
         umax=0xfffffffe2468acf0,smax32=umax32=0x2468acf0,var_off=(0x2; 0xfffffffe3ffffff4))"
    );
}

#[test]
fn division_and_modulo_are_unknown() {
    for op in [AluOp::Div, AluOp::SDiv, AluOp::Mod, AluOp::SMod] {
        assert_eq!(run(BYTE, op, "3", Width::W64), "scalar()");
        assert_eq!(
            run("7", op, "3", Width::W64),
            "scalar()",
            "no constant folding"
        );
    }
}

#[test]
fn shifts() {
    // By an unknown amount: unknown.
    assert_eq!(run(BYTE, AluOp::Lsh, "scalar()", Width::W64), "scalar()");
    // `<< 32 s>> 32` sign-extends the subregister.
    let shifted = run(
        "scalar(smin=smin32=-3,smax=smax32=4)",
        AluOp::Lsh,
        "32",
        Width::W64,
    );
    assert_eq!(
        shifted,
        "scalar(smin=0xfffffffd00000000,smax=0x400000000,umax=0xffffffff00000000,\
         smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))"
    );
    assert_eq!(
        run(&shifted, AluOp::Arsh, "32", Width::W64),
        "scalar(smin=smin32=-3,smax=smax32=4)"
    );
    assert_eq!(
        run(BYTE, AluOp::Rsh, "4", Width::W64),
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=15,var_off=(0x0; 0xf))"
    );
    assert_eq!(
        run(BYTE, AluOp::Lsh, "24", Width::W32),
        "scalar(smin=0,smax=umax=umax32=0xff000000,smax32=0x7f000000,var_off=(0x0; 0xff000000))"
    );
    // A shift amount as wide as the operand is not a constant the kernel uses.
    let mut d = parse_scalar_state(BYTE).unwrap();
    assert!(!is_safe_to_compute_dst_reg_range(
        AluOp::Lsh,
        &ScalarBounds::known(32),
        Width::W32
    ));
    let _ = adjust_scalar_min_max_vals(&mut d, AluOp::Lsh, &ScalarBounds::known(32), Width::W32);
    assert_eq!(d, ScalarBounds::unknown());
}

#[test]
fn thirty_two_bit_ops_zero_extend() {
    assert_eq!(
        run("scalar()", AluOp::Add, "1", Width::W32),
        "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"
    );
    assert_eq!(run("0x100000005", AluOp::Add, "1", Width::W32), "6");
}

#[test]
fn neg() {
    let mut d = parse_scalar_state(BYTE).unwrap();
    scalar_neg(&mut d, Width::W64);
    assert_eq!(d.to_string(), "scalar(smin=smin32=-255,smax=smax32=0)");
    let mut d = parse_scalar_state(BYTE).unwrap();
    scalar_neg(&mut d, Width::W32);
    assert_eq!(
        d.to_string(),
        "scalar(smin=0,smax=umax=0xffffffff,smin32=-255,smax32=0,var_off=(0x0; 0xffffffff))"
    );
    let mut d = parse_scalar_state("scalar(smin=smin32=-100,smax=smax32=155)").unwrap();
    scalar_neg(&mut d, Width::W64);
    assert_eq!(d.to_string(), "scalar(smin=smin32=-155,smax=smax32=100)");
    let mut d = ScalarBounds::known(5);
    scalar_neg(&mut d, Width::W64);
    assert_eq!(d, ScalarBounds::known(-5i64 as u64));
}

#[test]
fn byte_order() {
    let swap = |text: &str, order, bits| {
        let mut d = parse_scalar_state(text).unwrap();
        scalar_byte_swap(&mut d, order, bits);
        d.to_string()
    };
    assert_eq!(
        swap(BYTE, ByteOrder::ToBe, 16),
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00,var_off=(0x0; 0xff00))"
    );
    assert_eq!(
        swap(BYTE, ByteOrder::Swap, 32),
        "scalar(smin=0,smax=umax=umax32=0xff000000,smax32=0x7f000000,var_off=(0x0; 0xff000000))"
    );
    let ff00 = "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00,var_off=(0x0; 0xff00))";
    assert_eq!(swap(ff00, ByteOrder::ToLe, 16), ff00);
    let high = "scalar(smin=umin=0x100000000,smax=umax=0x1000000ff,smin32=0,smax32=umax32=255,\
                var_off=(0x100000000; 0xff))";
    assert_eq!(swap(high, ByteOrder::ToLe, 64), high);
    assert_eq!(swap(high, ByteOrder::ToLe, 32), BYTE);
    assert_eq!(
        swap(high, ByteOrder::ToBe, 64),
        "scalar(smin=0x8000000001000000,smax=0x7f00000001000000,umin=smin32=umin32=0x1000000,\
         umax=0xff00000001000000,smax32=umax32=0x1000000,var_off=(0x1000000; 0xff00000000000000))"
    );
    assert_eq!(
        swap(
            "scalar(smin=smin32=-100,smax=smax32=908,umin=umin32=12,umax=0xfffffffffffffffc,\
             umax32=0xfffffffc,var_off=(0xc; 0xfffffffffffffff0))",
            ByteOrder::Swap,
            16
        ),
        "scalar(smin=umin=smin32=umin32=3072,smax=umax=smax32=umax32=0xfcff,\
         var_off=(0xc00; 0xf0ff))"
    );
}

#[test]
fn moves() {
    let mut d = ScalarBounds::unknown();
    let _ = adjust_scalar_min_max_vals(
        &mut d,
        AluOp::MovSx(8),
        &ScalarBounds::unknown(),
        Width::W64,
    );
    assert_eq!(d.to_string(), "scalar(smin=smin32=-128,smax=smax32=127)");
    let _ = adjust_scalar_min_max_vals(
        &mut d,
        AluOp::MovSx(8),
        &ScalarBounds::unknown(),
        Width::W32,
    );
    assert_eq!(
        d.to_string(),
        "scalar(smin=0,smax=umax=0xffffffff,smin32=-128,smax32=127,var_off=(0x0; 0xffffffff))"
    );
    let _ = adjust_scalar_min_max_vals(
        &mut d,
        AluOp::Mov,
        &ScalarBounds::known(0xffff_ffff_0000_0001),
        Width::W32,
    );
    assert_eq!(d, ScalarBounds::known(1));
    let src = parse_scalar_state(BYTE).unwrap();
    let _ = adjust_scalar_min_max_vals(&mut d, AluOp::Mov, &src, Width::W64);
    assert_eq!(d, src);
}

#[test]
fn and_or_fork_minus_one_and_zero() {
    // r6 &= 1; r6 = -r6; r6 &= 5: the log shows R6=5, and `from 11 to 11` with R6=0.
    let mut d = parse_scalar_state("scalar(smin=smin32=-1,smax=smax32=0)").unwrap();
    let fork = adjust_scalar_min_max_vals(&mut d, AluOp::And, &ScalarBounds::known(5), Width::W64)
        .expect("forks");
    assert_eq!(d, ScalarBounds::known(5));
    assert_eq!(fork.dst_before, ScalarBounds::known(0));
    // Only a constant source forks, and only [-1, 0].
    let mut d = parse_scalar_state("scalar(smin=smin32=-1,smax=smax32=0)").unwrap();
    assert!(
        adjust_scalar_min_max_vals(&mut d, AluOp::Or, &ScalarBounds::unknown(), Width::W64)
            .is_none()
    );
    let mut d = parse_scalar_state("scalar(smin=smin32=-1,smax=smax32=1)").unwrap();
    assert!(
        adjust_scalar_min_max_vals(&mut d, AluOp::Or, &ScalarBounds::known(2), Width::W64)
            .is_none()
    );
    // The 32-bit view: only the subregister becomes -1 / 0.
    let mut d = ScalarBounds::unknown();
    d.s32_min_value = -1;
    d.s32_max_value = 0;
    let fork = adjust_scalar_min_max_vals(&mut d, AluOp::Or, &ScalarBounds::known(2), Width::W32)
        .expect("forks");
    assert_eq!(d, ScalarBounds::known(0xffff_ffff));
    assert_eq!(
        fork.dst_before.var_off.subreg(),
        crate::verifier::tnum::Tnum::constant(0)
    );
    assert_eq!(fork.dst_before.umax_value, u64::MAX);
}
