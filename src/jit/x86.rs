//! A minimal x86-64 encoder: the instructions the code generator needs, written as bytes
//! into a buffer, with forward and backward labels resolved at the end (every branch is a
//! 32-bit relative one, so no branch ever needs to be relaxed).

/// x86-64 general purpose registers by encoding number.
pub const RAX: u8 = 0;
pub const RCX: u8 = 1;
pub const RDX: u8 = 2;
pub const RBX: u8 = 3;
pub const RSP: u8 = 4;
pub const RBP: u8 = 5;
pub const RSI: u8 = 6;
pub const RDI: u8 = 7;
pub const R8: u8 = 8;
pub const R9: u8 = 9;
pub const R10: u8 = 10;
pub const R11: u8 = 11;
pub const R12: u8 = 12;
pub const R13: u8 = 13;
pub const R14: u8 = 14;
pub const R15: u8 = 15;

/// Condition codes (the low nibble of `jcc`).
pub mod cc {
    pub const B: u8 = 0x2;
    pub const AE: u8 = 0x3;
    pub const E: u8 = 0x4;
    pub const NE: u8 = 0x5;
    pub const BE: u8 = 0x6;
    pub const A: u8 = 0x7;
    pub const S: u8 = 0x8;
    pub const L: u8 = 0xc;
    pub const GE: u8 = 0xd;
    pub const LE: u8 = 0xe;
    pub const G: u8 = 0xf;
}

/// Group-1 ALU operations (`/n` of opcodes 0x81/0x83, and `8*n + 1` as the r/m, reg form).
pub mod alu {
    pub const ADD: u8 = 0;
    pub const OR: u8 = 1;
    pub const AND: u8 = 4;
    pub const SUB: u8 = 5;
    pub const XOR: u8 = 6;
    pub const CMP: u8 = 7;
}

/// Shift operations (`/n` of 0xC1/0xD3).
pub mod shift {
    pub const ROR: u8 = 1;
    pub const SHL: u8 = 4;
    pub const SHR: u8 = 5;
    pub const SAR: u8 = 7;
}

/// A position in the code, bound once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

/// An access width for memory operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    pub fn from_bytes(n: u64) -> Size {
        match n {
            1 => Size::B,
            2 => Size::H,
            4 => Size::W,
            _ => Size::DW,
        }
    }
}

#[derive(Default)]
pub struct Asm {
    pub buf: Vec<u8>,
    labels: Vec<Option<usize>>,
    /// (position of a rel32 field, its label)
    fixups: Vec<(usize, Label)>,
}

impl Asm {
    /// An empty assembler with room for a small program's code (about 100 instructions),
    /// so that it is not reallocated while it grows.
    pub fn new() -> Self {
        Asm {
            buf: Vec::with_capacity(4096),
            labels: Vec::with_capacity(128),
            fixups: Vec::with_capacity(64),
        }
    }

    pub fn pos(&self) -> usize {
        self.buf.len()
    }

    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    pub fn bind(&mut self, l: Label) {
        self.labels[l.0] = Some(self.buf.len());
    }

    pub fn is_bound(&self, l: Label) -> bool {
        self.labels[l.0].is_some()
    }

    pub fn offset_of(&self, l: Label) -> Option<usize> {
        self.labels[l.0]
    }

    /// Resolves every branch; `None` if a branch names a label never bound.
    pub fn finish(mut self) -> Option<Vec<u8>> {
        for &(at, l) in &self.fixups {
            let target = self.labels[l.0]? as i64;
            let rel = i32::try_from(target - (at as i64 + 4)).ok()?;
            self.buf[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        Some(self.buf)
    }

    fn b(&mut self, byte: u8) {
        self.buf.push(byte);
    }

    fn d32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn rex(&mut self, w: bool, r: u8, x: u8, b: u8, force: bool) {
        let v = 0x40 | (w as u8) << 3 | ((r >> 3) & 1) << 2 | ((x >> 3) & 1) << 1 | ((b >> 3) & 1);
        if v != 0x40 || force {
            self.b(v);
        }
    }

    fn modrm_rr(&mut self, reg: u8, rm: u8) {
        self.b(0xc0 | (reg & 7) << 3 | (rm & 7));
    }

    fn modrm_mem(&mut self, reg: u8, base: u8, disp: i32) {
        let (md, short) = if disp == 0 && base & 7 != RBP {
            (0, None)
        } else if let Ok(d8) = i8::try_from(disp) {
            (1, Some(d8))
        } else {
            (2, None)
        };
        self.b(md << 6 | (reg & 7) << 3 | (base & 7));
        if base & 7 == RSP {
            self.b(0x24);
        }
        match (md, short) {
            (1, Some(d8)) => self.b(d8 as u8),
            (2, _) => self.d32(disp),
            _ => {}
        }
    }

    /// `op reg, r/m` or `op r/m, reg` between registers (`rm` is the r/m operand).
    pub fn rr(&mut self, w: bool, op: &[u8], reg: u8, rm: u8) {
        self.rex(w, reg, 0, rm, false);
        self.buf.extend_from_slice(op);
        self.modrm_rr(reg, rm);
    }

    /// An instruction with a memory operand `[base + disp]`. `p66` adds the operand-size
    /// prefix; `byte` forces a REX prefix so byte registers 4-7 mean spl..dil.
    #[allow(clippy::too_many_arguments)]
    pub fn rm(&mut self, p66: bool, w: bool, byte: bool, op: &[u8], reg: u8, base: u8, disp: i32) {
        if p66 {
            self.b(0x66);
        }
        self.rex(w, reg, 0, base, byte && reg >= 4);
        self.buf.extend_from_slice(op);
        self.modrm_mem(reg, base, disp);
    }

    // ---- moves ----

    pub fn mov_rr(&mut self, w: bool, dst: u8, src: u8) {
        self.rr(w, &[0x89], src, dst);
    }

    /// `dst = imm` (64-bit), in the shortest form.
    pub fn mov_imm(&mut self, dst: u8, imm: u64) {
        if imm <= u32::MAX as u64 {
            self.rex(false, 0, 0, dst, false);
            self.b(0xb8 | (dst & 7));
            self.d32(imm as u32 as i32);
        } else if let Ok(i) = i32::try_from(imm as i64) {
            self.rex(true, 0, 0, dst, false);
            self.b(0xc7);
            self.modrm_rr(0, dst);
            self.d32(i);
        } else {
            self.rex(true, 0, 0, dst, false);
            self.b(0xb8 | (dst & 7));
            self.buf.extend_from_slice(&imm.to_le_bytes());
        }
    }

    /// `dst32 = imm32` (zero-extended).
    pub fn mov_imm32(&mut self, dst: u8, imm: u32) {
        self.mov_imm(dst, imm as u64);
    }

    /// `reg = [base + disp]` (64-bit).
    pub fn load64(&mut self, reg: u8, base: u8, disp: i32) {
        self.rm(false, true, false, &[0x8b], reg, base, disp);
    }

    /// `[base + disp] = reg` (64-bit).
    pub fn store64(&mut self, base: u8, disp: i32, reg: u8) {
        self.rm(false, true, false, &[0x89], reg, base, disp);
    }

    /// `qword [base + disp] = simm32`.
    pub fn store64_imm(&mut self, base: u8, disp: i32, imm: i32) {
        self.rm(false, true, false, &[0xc7], 0, base, disp);
        self.d32(imm);
    }

    /// A zero-extending (or sign-extending) load of `size` into `dst`.
    pub fn load_sized(&mut self, size: Size, sign: bool, dst: u8, base: u8, disp: i32) {
        match (size, sign) {
            (Size::B, false) => self.rm(false, false, false, &[0x0f, 0xb6], dst, base, disp),
            (Size::H, false) => self.rm(false, false, false, &[0x0f, 0xb7], dst, base, disp),
            (Size::W, false) => self.rm(false, false, false, &[0x8b], dst, base, disp),
            (Size::DW, _) => self.rm(false, true, false, &[0x8b], dst, base, disp),
            (Size::B, true) => self.rm(false, true, false, &[0x0f, 0xbe], dst, base, disp),
            (Size::H, true) => self.rm(false, true, false, &[0x0f, 0xbf], dst, base, disp),
            (Size::W, true) => self.rm(false, true, false, &[0x63], dst, base, disp),
        }
    }

    /// Stores the low `size` bytes of `src` at `[base + disp]`.
    pub fn store_sized(&mut self, size: Size, base: u8, disp: i32, src: u8) {
        match size {
            Size::B => self.rm(false, false, true, &[0x88], src, base, disp),
            Size::H => self.rm(true, false, false, &[0x89], src, base, disp),
            Size::W => self.rm(false, false, false, &[0x89], src, base, disp),
            Size::DW => self.rm(false, true, false, &[0x89], src, base, disp),
        }
    }

    /// Stores the low `size` bytes of `imm` (sign-extended for DW) at `[base + disp]`.
    pub fn store_sized_imm(&mut self, size: Size, base: u8, disp: i32, imm: i32) {
        match size {
            Size::B => {
                self.rm(false, false, false, &[0xc6], 0, base, disp);
                self.b(imm as u8);
            }
            Size::H => {
                self.rm(true, false, false, &[0xc7], 0, base, disp);
                self.buf.extend_from_slice(&(imm as u16).to_le_bytes());
            }
            Size::W => {
                self.rm(false, false, false, &[0xc7], 0, base, disp);
                self.d32(imm);
            }
            Size::DW => self.store64_imm(base, disp, imm),
        }
    }

    /// `dst = base + disp` (64-bit).
    pub fn lea(&mut self, dst: u8, base: u8, disp: i32) {
        self.rm(false, true, false, &[0x8d], dst, base, disp);
    }

    /// The `lock` prefix for the next instruction.
    pub fn lock(&mut self) {
        self.b(0xf0);
    }

    /// `dst = base + index` (64-bit, `lea dst, [base + index]`); `index` is not rsp.
    pub fn lea_index(&mut self, dst: u8, base: u8, index: u8) {
        debug_assert_ne!(index, RSP, "rsp cannot be an index");
        self.rex(true, dst, index, base, false);
        self.b(0x8d);
        // rbp and r13 as a base need a displacement (mod 01, disp8 0).
        let md = if base & 7 == RBP { 1 } else { 0 };
        self.b(md << 6 | (dst & 7) << 3 | 0b100);
        self.b((index & 7) << 3 | (base & 7));
        if md == 1 {
            self.b(0);
        }
    }

    // ---- arithmetic ----

    /// `dst op= src` for a group-1 operation.
    pub fn alu_rr(&mut self, w: bool, op: u8, dst: u8, src: u8) {
        self.rr(w, &[op << 3 | 1], src, dst);
    }

    /// `dst op= imm` (imm sign-extended to the operation width).
    pub fn alu_ri(&mut self, w: bool, op: u8, dst: u8, imm: i32) {
        self.rex(w, 0, 0, dst, false);
        if let Ok(i) = i8::try_from(imm) {
            self.b(0x83);
            self.modrm_rr(op, dst);
            self.b(i as u8);
        } else {
            self.b(0x81);
            self.modrm_rr(op, dst);
            self.d32(imm);
        }
    }

    /// `reg op= [base + disp]` (64-bit), e.g. `sub r11, [r12 + 8]`.
    pub fn alu_rm(&mut self, op: u8, reg: u8, base: u8, disp: i32) {
        self.rm(false, true, false, &[op << 3 | 3], reg, base, disp);
    }

    /// `qword [base + disp] op= imm`.
    pub fn alu_mi(&mut self, op: u8, base: u8, disp: i32, imm: i32) {
        if let Ok(i) = i8::try_from(imm) {
            self.rm(false, true, false, &[0x83], op, base, disp);
            self.b(i as u8);
        } else {
            self.rm(false, true, false, &[0x81], op, base, disp);
            self.d32(imm);
        }
    }

    pub fn test_rr(&mut self, w: bool, a: u8, b: u8) {
        self.rr(w, &[0x85], b, a);
    }

    pub fn test_ri(&mut self, w: bool, a: u8, imm: i32) {
        self.rex(w, 0, 0, a, false);
        self.b(0xf7);
        self.modrm_rr(0, a);
        self.d32(imm);
    }

    pub fn imul_rr(&mut self, w: bool, dst: u8, src: u8) {
        self.rr(w, &[0x0f, 0xaf], dst, src);
    }

    pub fn imul_ri(&mut self, w: bool, dst: u8, imm: i32) {
        self.rr(w, &[0x69], dst, dst);
        self.d32(imm);
    }

    /// `neg`, `div`, `idiv`: group 3 (`F7 /n`).
    pub fn group3(&mut self, w: bool, n: u8, r: u8) {
        self.rr(w, &[0xf7], n, r);
    }

    pub fn shift_cl(&mut self, w: bool, op: u8, dst: u8) {
        self.rr(w, &[0xd3], op, dst);
    }

    pub fn shift_imm(&mut self, w: bool, op: u8, dst: u8, imm: u8) {
        self.rr(w, &[0xc1], op, dst);
        self.b(imm);
    }

    /// `ror r16, 8`: swaps the two low bytes.
    pub fn ror16_8(&mut self, r: u8) {
        self.b(0x66);
        self.rr(false, &[0xc1], shift::ROR, r);
        self.b(8);
    }

    pub fn bswap(&mut self, w: bool, r: u8) {
        self.rex(w, 0, 0, r, false);
        self.b(0x0f);
        self.b(0xc8 | (r & 7));
    }

    /// `dst = zero-extended low 16 bits of src`.
    pub fn movzx16(&mut self, dst: u8, src: u8) {
        self.rr(false, &[0x0f, 0xb7], dst, src);
    }

    /// `dst = sign-extended low `bits` of src` (to 64 bits with `w`, else to 32).
    pub fn movsx(&mut self, w: bool, bits: u8, dst: u8, src: u8) {
        match bits {
            8 => {
                // A REX prefix so that sources 4-7 are spl..dil, not ah..bh.
                self.rex(w, dst, 0, src, src >= 4);
                self.buf.extend_from_slice(&[0x0f, 0xbe]);
                self.modrm_rr(dst, src);
            }
            16 => self.rr(w, &[0x0f, 0xbf], dst, src),
            _ if w => self.rr(true, &[0x63], dst, src),
            _ => self.mov_rr(false, dst, src),
        }
    }

    pub fn cqo(&mut self) {
        self.buf.extend_from_slice(&[0x48, 0x99]);
    }

    pub fn cdq(&mut self) {
        self.b(0x99);
    }

    // ---- stack and control ----

    pub fn push(&mut self, r: u8) {
        self.rex(false, 0, 0, r, false);
        self.b(0x50 | (r & 7));
    }

    pub fn pop(&mut self, r: u8) {
        self.rex(false, 0, 0, r, false);
        self.b(0x58 | (r & 7));
    }

    pub fn ret(&mut self) {
        self.b(0xc3);
    }

    pub fn jmp(&mut self, l: Label) {
        self.b(0xe9);
        self.fixups.push((self.pos(), l));
        self.d32(0);
    }

    pub fn jcc(&mut self, cond: u8, l: Label) {
        self.b(0x0f);
        self.b(0x80 | cond);
        self.fixups.push((self.pos(), l));
        self.d32(0);
    }

    /// `call label` (a bpf-to-bpf call inside the generated code).
    pub fn call_label(&mut self, l: Label) {
        self.b(0xe8);
        self.fixups.push((self.pos(), l));
        self.d32(0);
    }

    /// `call r` (an absolute address in a register).
    pub fn call_reg(&mut self, r: u8) {
        self.rr(false, &[0xff], 2, r);
    }

    /// `jmp qword [base + disp]`.
    pub fn jmp_mem(&mut self, base: u8, disp: i32) {
        self.rm(false, false, false, &[0xff], 4, base, disp);
    }

    /// `xorps xmm0, xmm0`.
    pub fn xorps_xmm0(&mut self) {
        self.buf.extend_from_slice(&[0x0f, 0x57, 0xc0]);
    }

    /// `movups [base + disp], xmm0`.
    pub fn movups_store_xmm0(&mut self, base: u8, disp: i32) {
        self.rm(false, false, false, &[0x0f, 0x11], 0, base, disp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_instructions() {
        let mut a = Asm::new();
        a.mov_rr(true, RAX, RDI); // mov rax, rdi
        a.alu_ri(true, alu::SUB, R9, 3); // sub r9, 3
        a.load64(R11, R12, 8); // mov r11, [r12 + 8]
        a.store_sized(Size::B, RBP, -1, RSI); // mov [rbp - 1], sil
        a.lea(R11, R13, 0); // lea r11, [r13 + 0]
        a.push(R15);
        a.movsx(true, 8, RAX, RDI); // movsx rax, dil
        let code = a.finish().unwrap();
        assert_eq!(
            code,
            [
                0x48, 0x89, 0xf8, 0x49, 0x83, 0xe9, 0x03, 0x4d, 0x8b, 0x5c, 0x24, 0x08, 0x40, 0x88,
                0x75, 0xff, 0x4d, 0x8d, 0x5d, 0x00, 0x41, 0x57, 0x48, 0x0f, 0xbe, 0xc7
            ]
        );
    }

    #[test]
    fn encodes_lea_with_an_index() {
        let mut a = Asm::new();
        a.lea_index(R8, RCX, RSI); // lea r8, [rcx + rsi]
        a.lea_index(RAX, R13, RBX); // lea rax, [r13 + rbx + 0]
        a.lea_index(RBX, RBP, R15); // lea rbx, [rbp + r15 + 0]
        let code = a.finish().unwrap();
        assert_eq!(
            code,
            [
                0x4c, 0x8d, 0x04, 0x31, 0x49, 0x8d, 0x44, 0x1d, 0x00, 0x4a, 0x8d, 0x5c, 0x3d, 0x00
            ]
        );
    }

    #[test]
    fn branches_resolve_both_ways() {
        let mut a = Asm::new();
        let back = a.label();
        a.bind(back);
        let fwd = a.label();
        a.jcc(cc::E, fwd);
        a.jmp(back);
        a.bind(fwd);
        let code = a.finish().unwrap();
        assert_eq!(code, [0x0f, 0x84, 5, 0, 0, 0, 0xe9, 0xf5, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn an_unbound_label_is_refused() {
        let mut a = Asm::new();
        let l = a.label();
        a.jmp(l);
        assert!(a.finish().is_none());
    }
}
