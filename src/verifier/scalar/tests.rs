//! Tests of the scalar state itself: constructors, `reg_bounds_sync` and its parts, casts,
//! the sanity check. Also the strategies the ALU and branch tests share.

use super::*;
use proptest::prelude::*;

/// A range of width drawn from "a point", "small", "medium" and "anything", around `x`.
fn around(x: u64, sel: u8, a: u64, b: u64) -> (u64, u64) {
    let (da, db) = match sel % 4 {
        0 => (0, 0),
        1 => (a % 16, b % 16),
        2 => (a % 0x1_0000, b % 0x1_0000),
        _ => (a, b),
    };
    (x.saturating_sub(da), x.saturating_add(db))
}

fn around_signed(x: i64, sel: u8, a: u64, b: u64) -> (i64, i64) {
    let (lo, hi) = around((x as u64) ^ (1 << 63), sel, a, b);
    (((lo ^ (1 << 63)) as i64), ((hi ^ (1 << 63)) as i64))
}

/// A concrete value, biased towards the edges where the bounds logic changes behaviour.
pub(crate) fn arb_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => any::<u64>(),
        2 => 0u64..300,
        2 => (0u64..300).prop_map(|v| v.wrapping_neg()),
        1 => prop::sample::select(vec![
            0u64, 1, u64::MAX, 1 << 63, (1 << 63) - 1, 1 << 31, (1 << 31) - 1, 1 << 32,
            (1 << 32) - 1, 0xffff_ffff_8000_0000, 0x7fff, 0x8000, 0xffff, 0x1_0000,
        ]),
        1 => (any::<u32>(), prop::sample::select(vec![0u64, 1, u64::MAX, 0xffff_ffff, 1 << 31]))
            .prop_map(|(lo, hi)| (hi << 32) | lo as u64),
    ]
}

/// An abstract value containing the concrete value `x`, with each of the five views drawn
/// independently (so they may be inconsistent with each other, as mid-computation states
/// are).
pub(crate) fn arb_abstract_of(x: u64) -> impl Strategy<Value = ScalarBounds> {
    (any::<[u8; 5]>(), any::<[u64; 8]>(), any::<u64>(), 0u32..=64).prop_map(
        move |(sel, r, m, shift)| {
            let mask = if shift == 64 { 0 } else { m >> shift };
            let var_off = Tnum::new(x & !mask, mask);
            let (umin_value, umax_value) = around(x, sel[0], r[0], r[1]);
            let (smin_value, smax_value) = around_signed(x as i64, sel[1], r[2], r[3]);
            let (u32_min, u32_max) = around(x as u32 as u64, sel[2], r[4], r[5]);
            let (s32_min, s32_max) = around_signed(x as i32 as i64, sel[3], r[6], r[7]);
            ScalarBounds {
                var_off,
                smin_value,
                smax_value,
                umin_value,
                umax_value,
                s32_min_value: s32_min.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                s32_max_value: s32_max.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                u32_min_value: u32_min.min(u32::MAX as u64) as u32,
                u32_max_value: u32_max.min(u32::MAX as u64) as u32,
            }
        },
    )
}

/// A concrete value and an abstract value containing it: raw (views drawn independently),
/// synced as the kernel keeps registers, or a constant.
pub(crate) fn arb_member() -> impl Strategy<Value = (ScalarBounds, u64)> {
    arb_value().prop_flat_map(|x| {
        prop_oneof![
            2 => arb_abstract_of(x),
            3 => arb_abstract_of(x).prop_map(|mut a| {
                a.reg_bounds_sync();
                a
            }),
            1 => Just(ScalarBounds::known(x)),
            1 => Just(ScalarBounds::unknown()),
        ]
        .prop_map(move |a| (a, x))
    })
}

/// Every range of `inner` within that of `outer`, and its tnum a subset.
pub(crate) fn is_within(inner: &ScalarBounds, outer: &ScalarBounds) -> bool {
    outer.var_off.contains(inner.var_off)
        && outer.umin_value <= inner.umin_value
        && inner.umax_value <= outer.umax_value
        && outer.smin_value <= inner.smin_value
        && inner.smax_value <= outer.smax_value
        && outer.u32_min_value <= inner.u32_min_value
        && inner.u32_max_value <= outer.u32_max_value
        && outer.s32_min_value <= inner.s32_min_value
        && inner.s32_max_value <= outer.s32_max_value
}

#[test]
fn sync_is_not_idempotent_in_the_kernel_either() {
    // reg_bounds_sync ends by learning bits from the bounds and bounds from the bits, but
    // what those new bits imply for the other views is only deduced by the next sync.
    // Linux's function is the same: a synced state need not be a fixpoint of sync.
    let mut r = ScalarBounds::unknown();
    r.var_off = Tnum::new(0xc333_3430_9a00_c007, 0x4bca_64ef_3af0);
    r.smax_value = 0x7325_f493_304f_81d5;
    r.umin_value = 0x6f94_e279_d72e_de2e;
    r.u32_min_value = 0x9ecf_da98;
    r.u32_max_value = 0x9ed0_5262;
    r.reg_bounds_sync();
    assert_eq!(
        r.var_off,
        Tnum::new(0xc333_3430_9ec0_c007, 0x4bca_000f_3af0)
    );
    let mut again = r;
    again.reg_bounds_sync();
    assert_eq!(
        again.var_off,
        Tnum::new(0xc333_3430_9ecf_c007, 0x4bca_0000_3af0)
    );
    assert!(is_within(&again, &r));
}

#[test]
fn constructors() {
    let u = ScalarBounds::unknown();
    assert_eq!(u.var_off, Tnum::UNKNOWN);
    assert_eq!((u.smin_value, u.smax_value), (i64::MIN, i64::MAX));
    assert_eq!((u.umin_value, u.umax_value), (0, u64::MAX));
    assert_eq!((u.s32_min_value, u.s32_max_value), (i32::MIN, i32::MAX));
    assert_eq!((u.u32_min_value, u.u32_max_value), (0, u32::MAX));
    assert_eq!(ScalarBounds::default(), u);

    let k = ScalarBounds::known(0xffff_ffff_ffff_fff0);
    assert_eq!(k.var_off, Tnum::constant(0xffff_ffff_ffff_fff0));
    assert_eq!((k.smin_value, k.smax_value), (-16, -16));
    assert_eq!((k.s32_min_value, k.u32_max_value), (-16, 0xffff_fff0));
    assert!(k.contains(0xffff_ffff_ffff_fff0));
    assert!(!k.contains(0));

    let mut m = ScalarBounds::unknown();
    m.mark_known32(7);
    assert_eq!(m.var_off, Tnum::new(7, 0xffff_ffff_0000_0000));
    assert_eq!((m.u32_min_value, m.s32_max_value), (7, 7));
    assert_eq!(m.umax_value, u64::MAX, "64-bit bounds are left alone");
    assert!(m.is_const(Width::W32) && !m.is_const(Width::W64));
    assert_eq!(m.const_value(Width::W32), 7);
}

#[test]
fn sync_learns_bounds_from_the_tnum() {
    // `r &= 0xff` leaves var_off=(0x0; 0xff): the log prints
    // smin=smin32=0,smax=umax=smax32=umax32=255.
    let mut r = ScalarBounds::unknown();
    r.var_off = Tnum::new(0, 0xff);
    r.reg_bounds_sync();
    assert_eq!((r.smin_value, r.smax_value), (0, 255));
    assert_eq!((r.umin_value, r.umax_value), (0, 255));
    assert_eq!((r.s32_min_value, r.s32_max_value), (0, 255));
    assert_eq!((r.u32_min_value, r.u32_max_value), (0, 255));
}

#[test]
fn sync_learns_the_tnum_from_bounds() {
    let mut r = ScalarBounds::unknown();
    r.umin_value = 0x10;
    r.umax_value = 0x17;
    r.reg_bounds_sync();
    assert_eq!(r.var_off, Tnum::new(0x10, 0x7));
    assert_eq!((r.smin_value, r.smax_value), (0x10, 0x17));
    assert_eq!((r.u32_min_value, r.s32_max_value), (0x10, 0x17));
}

#[test]
fn mixed_bounds_use_the_subregister() {
    // The example of __reg_deduce_mixed_bounds: [0x1_0000_0000, 0x3_8000_0000] with s32 in
    // [1, 0x7fff_ffff] is [0x1_0000_0001, 0x3_7fff_ffff].
    let mut r = ScalarBounds::unknown();
    r.umin_value = 0x1_0000_0000;
    r.umax_value = 0x3_8000_0000;
    r.s32_min_value = 1;
    r.s32_max_value = 0x7fff_ffff;
    r.reg_bounds_sync();
    assert_eq!((r.umin_value, r.umax_value), (0x1_0000_0001, 0x3_7fff_ffff));
    assert_eq!((r.smin_value, r.smax_value), (0x1_0000_0001, 0x3_7fff_ffff));
}

#[test]
fn sign_extended_range_with_non_negative_subregister() {
    // [(s64)S32_MIN, U32_MAX]-style ranges after a sign-extending load: with the low half
    // known non-negative, the upper half cannot be all ones.
    let mut r = ScalarBounds::unknown();
    r.smin_value = -0x8000_0000;
    r.smax_value = 0x7fff_ffff;
    r.s32_min_value = 0;
    r.s32_max_value = 100;
    r.reg_bounds_sync();
    assert_eq!((r.smin_value, r.smax_value), (0, 100));
    assert_eq!((r.umin_value, r.umax_value), (0, 100));
    assert_eq!(r.var_off, Tnum::new(0, 0x7f));
}

#[test]
fn crossing_sign_boundary_meeting_one_side() {
    // s64 [-10, 10] with u64 [5, 20]: only the non-negative part is possible.
    let mut r = ScalarBounds::unknown();
    r.smin_value = -10;
    r.smax_value = 10;
    r.umin_value = 5;
    r.umax_value = 20;
    r.reg64_deduce_bounds();
    assert_eq!((r.smin_value, r.smax_value), (5, 10));
    assert_eq!((r.umin_value, r.umax_value), (5, 10));
    // And the negative side.
    let mut r = ScalarBounds::unknown();
    r.smin_value = -10;
    r.smax_value = 10;
    r.umin_value = u64::MAX - 20;
    r.umax_value = u64::MAX - 2;
    r.reg64_deduce_bounds();
    assert_eq!((r.smin_value, r.smax_value), (-10, -3));
    assert_eq!((r.umin_value, r.umax_value), (u64::MAX - 9, u64::MAX - 2));
}

#[test]
fn single_common_value_of_range_and_tnum() {
    // From a live log: r9 with var_off=(0x0; 0x8000) learnt umin=1 from `if r3 < r9`; the
    // only value left is 0x8000, and the kernel prints R9=0x8000.
    let mut r = ScalarBounds::known(0);
    r.var_off = Tnum::new(0, 0x8000);
    r.umin_value = 1;
    r.umax_value = 0x8000;
    r.smax_value = 0x8000;
    r.u32_max_value = 0x8000;
    r.s32_max_value = 0x8000;
    r.reg_bounds_sync();
    assert_eq!(r, ScalarBounds::known(0x8000));
    // Only umin: (0x4; 0x3) with [4, 4].
    let mut r = ScalarBounds::unknown();
    r.var_off = Tnum::new(0x10, 0x3);
    r.umax_value = 0x10;
    r.update_reg64_bounds();
    assert_eq!(r, ScalarBounds::known(0x10));
    // A value strictly inside: (0x1; 0x12) = {1, 3, 0x11, 0x13} with [2, 0x12] holds 3 and
    // 0x11: no single value.
    let mut r = ScalarBounds::unknown();
    r.var_off = Tnum::new(1, 0x12);
    r.umin_value = 2;
    r.umax_value = 0x12;
    r.update_reg64_bounds();
    assert!(!r.var_off.is_const());
    // ... and [2, 0x10] holds only 3.
    r.umax_value = 0x10;
    r.update_reg64_bounds();
    assert_eq!(r, ScalarBounds::known(3));
}

#[test]
fn zero_extension() {
    let mut r = ScalarBounds::unknown();
    r.s32_min_value = -5;
    r.s32_max_value = 5;
    r.u32_min_value = 0;
    r.u32_max_value = u32::MAX;
    r.zext_32_to_64();
    assert_eq!(r.var_off, Tnum::new(0, 0xffff_ffff));
    assert_eq!((r.umin_value, r.umax_value), (0, 0xffff_ffff));
    assert_eq!((r.smin_value, r.smax_value), (0, 0xffff_ffff));

    let mut r = ScalarBounds::known(0xffff_ffff_0000_0007);
    r.zext_32_to_64();
    r.reg_bounds_sync();
    assert_eq!(r, ScalarBounds::known(7));
}

#[test]
fn coerce_to_size() {
    // le32 of [0x1_0000_0000, 0x1_0000_00ff] (live log: var_off=(0x0; 0xff)).
    let mut r = ScalarBounds::unknown();
    r.var_off = Tnum::new(0x1_0000_0000, 0xff);
    r.reg_bounds_sync();
    r.coerce_reg_to_size(4);
    assert_eq!(r.var_off, Tnum::new(0, 0xff));
    assert_eq!((r.umin_value, r.umax_value, r.smax_value), (0, 255, 255));
    // Upper bits that differ: the whole truncated range.
    let mut r = ScalarBounds::unknown();
    r.umin_value = 0xff;
    r.umax_value = 0x100;
    r.coerce_reg_to_size(1);
    assert_eq!((r.umin_value, r.umax_value), (0, 0xff));
    assert_eq!((r.u32_min_value, r.u32_max_value), (0, 0xff));
}

#[test]
fn coerce_to_size_sx() {
    // Unknown: the range of the narrow type, unsigned views unknown.
    let mut r = ScalarBounds::unknown();
    r.coerce_reg_to_size_sx(1);
    assert_eq!((r.smin_value, r.smax_value), (-128, 127));
    assert_eq!((r.s32_min_value, r.s32_max_value), (-128, 127));
    assert_eq!((r.umin_value, r.umax_value), (0, u64::MAX));
    assert_eq!(r.var_off, Tnum::UNKNOWN);
    // A range whose low byte stays on one side of the sign bit: [0x180, 0x1fe] -> [-128, -2].
    let mut r = ScalarBounds::unknown();
    r.smin_value = 0x180;
    r.smax_value = 0x1fe;
    r.coerce_reg_to_size_sx(1);
    assert_eq!((r.smin_value, r.smax_value), (-128, -2));
    assert_eq!(
        (r.umin_value, r.umax_value),
        ((-128i64) as u64, (-2i64) as u64)
    );
    assert_eq!(
        (r.u32_min_value, r.u32_max_value),
        (0xffff_ff80, 0xffff_fffe)
    );
    assert_eq!(r.var_off, Tnum::range((-128i64) as u64, (-2i64) as u64));
    // Constants.
    let mut r = ScalarBounds::known(0x1234_8000);
    r.coerce_reg_to_size_sx(2);
    assert_eq!(r, ScalarBounds::known(-0x8000i64 as u64));

    let mut r = ScalarBounds::unknown();
    r.s32_min_value = 0x80;
    r.s32_max_value = 0x90;
    r.coerce_subreg_to_size_sx(1);
    assert_eq!((r.s32_min_value, r.s32_max_value), (-128, -112));
    assert_eq!(
        (r.u32_min_value, r.u32_max_value),
        (0xffff_ff80, 0xffff_ff90)
    );
    assert_eq!(r.var_off, Tnum::range(0xffff_ff80, 0xffff_ff90));
}

#[test]
fn sanity_check_reports_like_the_kernel() {
    // From a live log: `if r6 s< r6` on [0x1_0000_0005, 0x1_0000_0006].
    let mut r = ScalarBounds::unknown();
    r.var_off = Tnum::new(0x1_0000_0004, 0x3);
    r.umin_value = 0x1_0000_0005;
    r.umax_value = 0x1_0000_0006;
    r.smin_value = 0x1_0000_0006;
    r.smax_value = 0x1_0000_0005;
    r.u32_min_value = 5;
    r.u32_max_value = 6;
    r.s32_min_value = 5;
    r.s32_max_value = 6;
    let v = r.reg_bounds_sanity_check("true_reg1").unwrap_err();
    assert_eq!(
        v.log_line(),
        "verifier bug: REG INVARIANTS VIOLATION (true_reg1): range bounds violation \
         u64=[0x100000005, 0x100000006] s64=[0x100000006, 0x100000005] u32=[0x5, 0x6] \
         s32=[0x5, 0x6] var_off=(0x100000004, 0x3)"
    );
    // The register is then unbounded, with its tnum.
    let mut expect = ScalarBounds::unknown();
    expect.var_off = Tnum::new(0x1_0000_0004, 0x3);
    assert_eq!(r, expect);
    assert!(r.reg_bounds_sanity_check("again").is_ok());

    let mut c = ScalarBounds::known(5);
    c.umax_value = 6;
    let v = c.reg_bounds_sanity_check("alu").unwrap_err();
    assert_eq!(v.msg, "const tnum out of sync with range bounds");
    let mut c = ScalarBounds::unknown();
    c.var_off = Tnum::new(5, 0xffff_ffff_0000_0000);
    let v = c.reg_bounds_sanity_check("alu").unwrap_err();
    assert_eq!(v.msg, "const subreg tnum out of sync with range bounds");
    assert!(ScalarBounds::unknown().reg_bounds_sanity_check("x").is_ok());
    assert!(ScalarBounds::known(42).reg_bounds_sanity_check("x").is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn sync_keeps_every_member((a, x) in arb_member()) {
        let mut s = a;
        s.update_reg_bounds();
        prop_assert!(s.contains(x), "update_reg_bounds lost {x:#x}: {a:?} -> {s:?}");
        let mut s = a;
        s.reg_deduce_bounds();
        prop_assert!(s.contains(x), "reg_deduce_bounds lost {x:#x}: {a:?} -> {s:?}");
        let mut s = a;
        s.reg_bound_offset();
        prop_assert!(s.contains(x), "reg_bound_offset lost {x:#x}: {a:?} -> {s:?}");
        let mut s = a;
        s.reg_bounds_sync();
        prop_assert!(s.contains(x), "reg_bounds_sync lost {x:#x}: {a:?} -> {s:?}");
        // A synced state containing a value passes the kernel's sanity check.
        prop_assert!(s.reg_bounds_sanity_check("prop").is_ok(), "{s:?}");
    }

    /// `reg_bounds_sync` is not idempotent in Linux (see
    /// `sync_is_not_idempotent_in_the_kernel_either`), but running it again only tightens,
    /// keeps every member, and settles within a few rounds.
    #[test]
    fn sync_again_only_tightens_and_settles((a, x) in arb_member()) {
        let mut prev = a;
        prev.reg_bounds_sync();
        let mut settled = false;
        for _ in 0..8 {
            let mut next = prev;
            next.reg_bounds_sync();
            prop_assert!(is_within(&next, &prev), "{prev:?} -> {next:?}");
            prop_assert!(next.contains(x));
            if next == prev {
                settled = true;
                break;
            }
            prev = next;
        }
        prop_assert!(settled, "no fixpoint after 8 rounds: {a:?}");
    }

    #[test]
    fn casts_keep_every_member((a, x) in arb_member(), size in prop::sample::select(vec![1u8, 2, 4])) {
        let mask = (1u64 << (size * 8)) - 1;
        let mut s = a;
        s.coerce_reg_to_size(size);
        prop_assert!(s.contains(x & mask), "coerce_reg_to_size({size}) of {a:?}: {s:?}");

        let bits = size * 8;
        let mut s = a;
        s.coerce_reg_to_size_sx(size);
        let sx = crate::vm::alu::sign_extend(x, bits);
        prop_assert!(s.contains(sx), "coerce_reg_to_size_sx({size}) of {a:?}: {s:?}");

        if size < 4 {
            let mut s = a;
            s.coerce_subreg_to_size_sx(size);
            s.zext_32_to_64();
            let sx32 = crate::vm::alu::sign_extend(x, bits) as u32 as u64;
            prop_assert!(s.contains(sx32), "coerce_subreg_to_size_sx({size}) of {a:?}: {s:?}");
        }

        let mut s = a;
        s.zext_32_to_64();
        prop_assert!(s.contains(x as u32 as u64));
    }

    #[test]
    fn nothing_panics(v in any::<[u64; 6]>()) {
        let mut s = ScalarBounds {
            var_off: Tnum::new(v[0], v[1]),
            smin_value: v[2] as i64,
            smax_value: v[3] as i64,
            umin_value: v[4],
            umax_value: v[5],
            s32_min_value: v[2] as i32,
            s32_max_value: (v[3] >> 32) as i32,
            u32_min_value: (v[4] >> 32) as u32,
            u32_max_value: v[5] as u32,
        };
        let orig = s;
        s.reg_bounds_sync();
        let _ = s.reg_bounds_sanity_check("x");
        for size in 0..10 {
            let mut c = orig;
            c.coerce_reg_to_size(size);
            let mut c = orig;
            c.coerce_reg_to_size_sx(size);
            let mut c = orig;
            c.coerce_subreg_to_size_sx(size);
        }
    }
}
