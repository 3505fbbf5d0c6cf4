//! Printing checked against lines of real Linux 6.18 verifier logs.

use super::*;
use crate::verifier::scalar::tests::arb_member;
use crate::verifier::tnum::Tnum;
use proptest::prelude::*;

fn state(
    var_off: (u64, u64),
    s64: (i64, i64),
    u64r: (u64, u64),
    s32: (i32, i32),
    u32r: (u32, u32),
) -> ScalarBounds {
    ScalarBounds {
        var_off: Tnum::new(var_off.0, var_off.1),
        smin_value: s64.0,
        smax_value: s64.1,
        umin_value: u64r.0,
        umax_value: u64r.1,
        s32_min_value: s32.0,
        s32_max_value: s32.1,
        u32_min_value: u32r.0,
        u32_max_value: u32r.1,
    }
}

#[test]
fn numbers() {
    assert_eq!(fmt_unum(65535), "65535");
    assert_eq!(fmt_unum(65536), "0x10000");
    assert_eq!(fmt_snum(32767), "32767");
    assert_eq!(fmt_snum(-32768), "-32768");
    assert_eq!(fmt_snum(32768), "0x8000");
    assert_eq!(fmt_snum(-32769), "0xffffffffffff7fff");
}

#[test]
fn constants() {
    // `R0=0`, `R2=-12`, `R1=0x100000000`, `R1=0x7fffffff` in live logs.
    assert_eq!(ScalarBounds::known(0).to_string(), "0");
    assert_eq!(ScalarBounds::known(-12i64 as u64).to_string(), "-12");
    assert_eq!(
        ScalarBounds::known(0x1_0000_0000).to_string(),
        "0x100000000"
    );
    assert_eq!(ScalarBounds::known(0x7fff_ffff).to_string(), "0x7fffffff");
    assert_eq!(ScalarBounds::known(0x8000).to_string(), "0x8000");
    let p = ScalarDecor {
        precise: true,
        ..Default::default()
    };
    assert_eq!(scalar_state(&ScalarBounds::known(5), p), "P5");
    // Constants never show their id.
    let id = ScalarDecor {
        id: 3,
        ..Default::default()
    };
    assert_eq!(scalar_state(&ScalarBounds::known(5), id), "5");
}

#[test]
fn unknown_and_ids() {
    assert_eq!(ScalarBounds::unknown().to_string(), "scalar()");
    let d = ScalarDecor {
        id: 1,
        ..Default::default()
    };
    assert_eq!(scalar_state(&ScalarBounds::unknown(), d), "scalar(id=1)");
    // `R3=scalar(id=3-300,smin=smin32=-300,...)` after `r3 = r6; r3 -= 300`.
    let r = state(
        (0xffff_ffff_ffff_fe00, 0x1ff),
        (-300, -45),
        (0xffff_ffff_ffff_fed4, 0xffff_ffff_ffff_ffd3),
        (-300, -45),
        (0xffff_fed4, 0xffff_ffd3),
    );
    let d = ScalarDecor {
        precise: false,
        id: 3,
        add_const: Some(-300),
    };
    assert_eq!(
        scalar_state(&r, d),
        "scalar(id=3-300,smin=smin32=-300,smax=smax32=-45,umin=0xfffffffffffffed4,\
         umax=0xffffffffffffffd3,umin32=0xfffffed4,umax32=0xffffffd3,\
         var_off=(0xfffffffffffffe00; 0x1ff))"
    );
    let d = ScalarDecor {
        precise: true,
        id: 2,
        add_const: Some(5),
    };
    assert_eq!(scalar_state(&ScalarBounds::unknown(), d), "Pscalar(id=2+5)");
}

#[test]
fn ranges_as_the_kernel_prints_them() {
    let cases = [
        // r &= 255
        (
            state((0, 0xff), (0, 255), (0, 255), (0, 255), (0, 255)),
            "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
        ),
        // neg of [0, 255]
        (
            state(
                (0, u64::MAX),
                (-255, 0),
                (0, u64::MAX),
                (-255, 0),
                (0, u32::MAX),
            ),
            "scalar(smin=smin32=-255,smax=smax32=0)",
        ),
        // [0x100000000, 0x1000000ff]
        (
            state(
                (0x1_0000_0000, 0xff),
                (0x1_0000_0000, 0x1_0000_00ff),
                (0x1_0000_0000, 0x1_0000_00ff),
                (0, 255),
                (0, 255),
            ),
            "scalar(smin=umin=0x100000000,smax=umax=0x1000000ff,smin32=0,smax32=umax32=255,\
             var_off=(0x100000000; 0xff))",
        ),
        // bswap32 of (0x0; 0xff)
        (
            state(
                (0, 0xff00_0000),
                (0, 0xff00_0000),
                (0, 0xff00_0000),
                (i32::MIN, 0x7f00_0000),
                (0, 0xff00_0000),
            ),
            "scalar(smin=0,smax=umax=umax32=0xff000000,smax32=0x7f000000,\
             var_off=(0x0; 0xff000000))",
        ),
        // be64 of (0x100000000; 0xff)
        (
            state(
                (0x100_0000, 0xff00_0000_0000_0000),
                (0x8000_0000_0100_0000u64 as i64, 0x7f00_0000_0100_0000),
                (0x100_0000, 0xff00_0000_0100_0000),
                (0x100_0000, 0x100_0000),
                (0x100_0000, 0x100_0000),
            ),
            "scalar(smin=0x8000000001000000,smax=0x7f00000001000000,\
             umin=smin32=umin32=0x1000000,umax=0xff00000001000000,smax32=umax32=0x1000000,\
             var_off=(0x1000000; 0xff00000000000000))",
        ),
        // neg32 of [0, 255]: negative s32 next to non-negative s64 do not merge.
        (
            state(
                (0, 0xffff_ffff),
                (0, 0xffff_ffff),
                (0, 0xffff_ffff),
                (-255, 0),
                (0, u32::MAX),
            ),
            "scalar(smin=0,smax=umax=0xffffffff,smin32=-255,smax32=0,var_off=(0x0; 0xffffffff))",
        ),
        // From the corpus: a u32 read.
        (
            state(
                (0, 0xffff_ffff),
                (0, 0xffff_ffff),
                (0, 0xffff_ffff),
                (i32::MIN, i32::MAX),
                (0, u32::MAX),
            ),
            "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))",
        ),
        // From the corpus: smax equal to S64_MAX is omitted, so umax prints on its own.
        (
            state(
                (0, 0x7fff_ffff_ffff_ffff),
                (14, i64::MAX),
                (14, 0x7fff_ffff_ffff_ffff),
                (i32::MIN, i32::MAX),
                (0, u32::MAX),
            ),
            "scalar(smin=umin=14,umax=0x7fffffffffffffff,var_off=(0x0; 0x7fffffffffffffff))",
        ),
        // From the corpus: the upper half only.
        (
            state(
                (0, 0xffff_ffff_0000_0000),
                (i64::MIN, 0x7fff_ffff_0000_0000),
                (0, 0xffff_ffff_0000_0000),
                (0, 0),
                (0, 0),
            ),
            "scalar(smax=0x7fffffff00000000,umax=0xffffffff00000000,smin32=0,smax32=umax32=0,\
             var_off=(0x0; 0xffffffff00000000))",
        ),
    ];
    for (reg, text) in cases {
        assert_eq!(reg.to_string(), text);
        assert_eq!(parse_scalar_state(text), Some(reg), "{text}");
    }
}

#[test]
fn parse_reads_what_the_kernel_writes() {
    assert_eq!(parse_scalar_state("0"), Some(ScalarBounds::known(0)));
    assert_eq!(
        parse_scalar_state("P-1"),
        Some(ScalarBounds::known(u64::MAX))
    );
    assert_eq!(
        parse_scalar_state("0xffffffffffff7fff"),
        Some(ScalarBounds::known(-32769i64 as u64))
    );
    assert_eq!(
        parse_scalar_state("scalar(id=2)"),
        Some(ScalarBounds::unknown())
    );
    let r = parse_scalar_state("scalar(id=3-300,smin=smin32=-300,smax=smax32=-45)").unwrap();
    assert_eq!((r.smin_value, r.s32_max_value), (-300, -45));
    assert_eq!(parse_scalar_state("ctx()"), None);
    assert_eq!(parse_scalar_state("scalar(foo=1)"), None);
    assert_eq!(parse_scalar_state("scalar(var_off=(0x0; 0xff)"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// A state the kernel could hold prints to text that reads back as the same state.
    #[test]
    fn synced_states_round_trip((a, _x) in arb_member()) {
        let mut r = a;
        r.reg_bounds_sync();
        let text = r.to_string();
        prop_assert_eq!(parse_scalar_state(&text), Some(r), "{}", text);
    }

    #[test]
    fn printing_never_panics(v in any::<[u64; 6]>()) {
        let r = ScalarBounds {
            var_off: Tnum::new(v[0], v[1]),
            smin_value: v[2] as i64,
            smax_value: v[3] as i64,
            umin_value: v[4],
            umax_value: v[5],
            s32_min_value: v[2] as i32,
            s32_max_value: v[3] as i32,
            u32_min_value: v[4] as u32,
            u32_max_value: v[5] as u32,
        };
        let _ = parse_scalar_state(&r.to_string());
    }
}
