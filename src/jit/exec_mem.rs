//! Executable memory for generated code, W^X: pages are mapped read+write, the code is
//! copied in, then they are made read+execute (never writable and executable at once), and
//! unmapped on drop.

use std::io;

/// A block of read+execute pages holding one program's code.
pub struct ExecMem {
    ptr: *mut u8,
    len: usize,
    /// Bytes of code at the start of the mapping.
    code_len: usize,
}

// SAFETY: the mapping is immutable (read+execute) once built and owned by this value alone;
// sharing or sending the pointer across threads cannot cause data races.
unsafe impl Send for ExecMem {}
// SAFETY: as above: nothing writes through the pointer after construction.
unsafe impl Sync for ExecMem {}

impl ExecMem {
    /// Maps fresh pages, copies `code` into them and makes them executable.
    pub fn new(code: &[u8]) -> io::Result<ExecMem> {
        // SAFETY: sysconf has no memory-safety preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = usize::try_from(page).unwrap_or(4096).max(4096);
        let len = code.len().max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping of `len` bytes at an address the kernel
        // chooses; no existing memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = ptr.cast::<u8>();
        // SAFETY: `ptr` is a fresh writable mapping of `len >= code.len()` bytes that does not
        // overlap `code`.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), ptr, code.len()) };
        let mem = ExecMem {
            ptr,
            len,
            code_len: code.len(),
        };
        // SAFETY: `ptr`/`len` describe exactly the mapping made above.
        let rc = unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_EXEC) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(mem)
    }

    /// The address of byte `offset` of the code.
    pub fn addr(&self, offset: usize) -> u64 {
        self.ptr as u64 + offset as u64
    }

    /// The code (for disassembling it).
    pub fn code(&self) -> &[u8] {
        // SAFETY: the first `code_len` bytes of the mapping were written before it became
        // read+execute, and it stays mapped (and readable) while `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.code_len) }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for ExecMem {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are the mapping this value owns; nothing uses it afterwards
        // (generated code only runs while its `ExecMem` is borrowed).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_copied_code() {
        // mov eax, 42; ret
        let mem = ExecMem::new(&[0xb8, 42, 0, 0, 0, 0xc3]).unwrap();
        // SAFETY: the mapping holds a complete function with the C ABI that takes nothing
        // and returns in eax.
        let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(mem.addr(0) as usize) };
        assert_eq!(f(), 42);
    }
}
