//! The verifier log (`--log`): what the kernel prints at `log_level` 1, one line per
//! instruction with the registers it changed, `from A to B:` with the whole state where a
//! pending path resumes, `N: safe` where a path is pruned, and the statistics line.
//!
//! Instruction text is llvm-objdump's syntax (the kernel's `print_bpf_insn` differs in
//! spacing only); register states follow the kernel's `print_verifier_state` for the types
//! bpfsim models.

use super::*;
use crate::insn::disasm::insn_text;
use crate::verifier::print::{ScalarDecor, scalar_state};
use std::fmt::Write as _;

/// One register the way the kernel prints its value (what follows `R1=`).
pub fn reg_text(r: &RegState, maps: &[&MapDef]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if r.id != 0 && !r.is_scalar() {
        parts.push(format!("id={}", r.id));
    }
    let var_const = r.var.var_off.is_const();
    match r.ty {
        RegType::NotInit => return "?".into(),
        RegType::Scalar => {
            let id = r.id & !super::alu::BPF_ADD_CONST;
            let add_const = (r.id & super::alu::BPF_ADD_CONST != 0).then_some(r.off);
            return scalar_state(
                &r.var,
                ScalarDecor {
                    precise: r.precise,
                    id,
                    add_const,
                },
            );
        }
        RegType::PtrToStack if var_const => {
            return format!("fp{}", r.off as i64 + r.var.var_off.value as i64);
        }
        RegType::ConstPtrToMap | RegType::PtrToMapValue => {
            if let Some(m) = maps.get(r.map) {
                parts.push(format!("map={}", m.name));
                parts.push(format!("ks={}", m.key_size));
                parts.push(format!("vs={}", m.value_size));
            }
        }
        _ => {}
    }
    if r.off != 0 {
        parts.push(format!("off={}", r.off));
    }
    if matches!(r.ty, RegType::PtrToPacket | RegType::PtrToPacketMeta) && r.range != 0 {
        parts.push(format!("r={}", r.range));
    }
    if !var_const || r.var.var_off.value != 0 {
        let s = scalar_state(&r.var, ScalarDecor::default());
        let inner = s
            .strip_prefix("scalar(")
            .and_then(|x| x.strip_suffix(')'))
            .map_or(s.clone(), str::to_string);
        if !inner.is_empty() {
            parts.push(inner);
        }
    }
    format!("{}({})", r.type_str(), parts.join(","))
}

/// The registers of the innermost frame, and its stack, in the kernel's order.
pub fn state_text(st: &VerifierState, maps: &[&MapDef]) -> String {
    let mut out = String::new();
    if st.frame.len() > 1 {
        let _ = write!(out, " frame{}:", st.frame.len() - 1);
    }
    let f = st.cur();
    for (i, r) in f.regs.iter().enumerate() {
        if r.ty != RegType::NotInit {
            let _ = write!(out, " R{i}={}", reg_text(r, maps));
        }
    }
    for (spi, slot) in f.stack.iter().enumerate() {
        let off = -8 * (spi as i64 + 1);
        if let Some(r) = &slot.spilled {
            let _ = write!(out, " fp{off}={}", reg_text(r, maps));
            continue;
        }
        if slot.slot_type.iter().all(|&t| t == SlotType::Invalid) {
            continue;
        }
        let types: String = slot
            .slot_type
            .iter()
            .rev()
            .map(|t| match t {
                SlotType::Invalid => '?',
                SlotType::Spill => 'r',
                SlotType::Misc => 'm',
                SlotType::Zero => '0',
            })
            .collect();
        let _ = write!(out, " fp{off}={types}");
    }
    out
}

impl Walker<'_> {
    /// Before an instruction: its index and text.
    pub(super) fn log_insn(&mut self, idx: usize) {
        let Some(log) = self.log.as_mut() else { return };
        let text = decode_slot(self.insns, idx)
            .map(|i| insn_text(&i))
            .unwrap_or_else(|_| "?".into());
        let code = self.insns.get(idx).map_or(0, |i| i.code);
        let _ = write!(log, "{idx}: ({code:02x}) {text}");
    }

    /// After an instruction: the registers that changed, `; R0=... R1=...`.
    pub(super) fn log_changes(&mut self, before: &VerifierState, after: &VerifierState) {
        let Some(log) = self.log.as_mut() else { return };
        let mut changed = String::new();
        if before.frame.len() == after.frame.len() {
            let (b, a) = (before.cur(), after.cur());
            for (i, (rb, ra)) in b.regs.iter().zip(a.regs.iter()).enumerate() {
                if rb != ra && ra.ty != RegType::NotInit {
                    let _ = write!(changed, " R{i}={}", reg_text(ra, &self.maps));
                }
            }
            for (spi, sa) in a.stack.iter().enumerate() {
                if b.stack.get(spi) != Some(sa)
                    && let Some(r) = &sa.spilled
                {
                    let _ = write!(
                        changed,
                        " fp{}={}",
                        -8 * (spi as i64 + 1),
                        reg_text(r, &self.maps)
                    );
                }
            }
        } else {
            changed = state_text(after, &self.maps);
        }
        if changed.is_empty() {
            log.push('\n');
        } else {
            let _ = writeln!(log, "      ;{changed}");
        }
    }

    /// Where a pending path resumes: `from A to B: <state>`.
    pub(super) fn log_resume(&mut self, prev: Option<usize>, idx: usize, st: &VerifierState) {
        let Some(log) = self.log.as_mut() else { return };
        let from = prev.map_or(-1, |p| p as i64);
        let state = state_text(st, &self.maps);
        let _ = writeln!(log, "\nfrom {from} to {idx}:{state}");
    }

    /// A path pruned at `idx`.
    pub(super) fn log_safe(&mut self, idx: usize) {
        if let Some(log) = self.log.as_mut() {
            let _ = writeln!(log, "{idx}: safe");
        }
    }

    /// A path that ended in an error: the message.
    pub(super) fn log_line(&mut self, line: &str) {
        if let Some(log) = self.log.as_mut() {
            if !log.ends_with('\n') {
                log.push('\n');
            }
            let _ = writeln!(log, "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::insn::RawInsn;
    use crate::progtype::ProgType;
    use crate::verifier::{
        CheckEnv, MapHelpers, PreflightOptions, do_check_with_log, preflight_insns,
    };

    fn log_of(insns: &[RawInsn]) -> String {
        let pre = preflight_insns(insns, Some("GPL"), &PreflightOptions::default()).unwrap();
        let env = CheckEnv {
            prog_type: ProgType::SocketFilter,
            expected_attach_type: None,
            maps: &[],
            bpf_capable: true,
            helpers: &MapHelpers,
            gpl_compatible: true,
            sleepable: false,
        };
        do_check_with_log(insns, &pre, &env).2
    }

    #[test]
    fn the_log_shows_each_instruction_its_changes_and_the_statistics() {
        // r0 = *(u32 *)(r1 + 0); if r0 > 5 goto +1; r0 = 0; exit
        let log = log_of(&[
            RawInsn::new(0x61, 0, 1, 0, 0),
            RawInsn::new(0x25, 0, 0, 1, 5),
            RawInsn::new(0xb7, 0, 0, 0, 0),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ]);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines[0], "0: R1=ctx() R10=fp0");
        assert!(
            lines[1].starts_with("0: (61) r0 = *(u32 *)(r1 + 0x0)"),
            "{log}"
        );
        assert!(
            lines[1]
                .ends_with("; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"),
            "{log}"
        );
        assert!(log.contains("\nfrom 1 to 3: R0=scalar("), "{log}");
        assert_eq!(
            lines.last().copied(),
            Some(
                "processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0"
            )
        );
    }
}
