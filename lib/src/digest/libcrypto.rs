//! SHA-1, SHA-256 and SHA-512 from the system's libcrypto (OpenSSL 1.1/3.x, LibreSSL; Debian
//! libssl-dev, FreeBSD base), through its stable `EVP_Digest*` interface.
//!
//! Why: libcrypto picks its assembly per CPU at run time (OPENSSL_ia32cap on x86_64, the
//! ARMv8 SHA-512 extension on arm64), and its x86_64 SHA-512 has an AVX2+BMI2 path that
//! neither Rust choice matches. Measured on the 2-core AMD EPYC of issue 16 (SHA-NI, AVX2,
//! AVX-512), user CPU seconds to hash 400 MiB from memory in 1 MiB updates, three
//! interleaved runs under load: SHA-512 sha2 crate 0.91-1.16, ring 0.84-1.06, libcrypto
//! 0.57-0.68. ring takes its AVX SHA-512 only on Intel CPUs (`IntelCpu` in ring 0.17's
//! sha2_64.rs), so on AMD it runs the scalar code; the sha2 crate's AVX2 intrinsics are
//! slower than OpenSSL's assembly. With SHA-NI all three run SHA-256 at the same speed
//! (libcrypto 1.6% ahead over 1000 MiB), and the sha1 crate is 2% ahead of libcrypto for
//! SHA-1, so [`Algorithm::hasher`](super::Algorithm::hasher) keeps the crate for SHA-1 when
//! the CPU has the SHA extensions. Without them the crates have only portable code and
//! libcrypto's AVX2/SSSE3 assembly is far ahead.
//!
//! Why a hand-written binding of six functions rather than the openssl-sys crate: those six
//! have had the same C signatures since OpenSSL 1.1.0 (2016) and in every LibreSSL, and
//! openssl-sys's build script probes for headers of the *target* system, which the FreeBSD
//! cross-check (`.ci/run.d/freebsd.sh`, no FreeBSD sysroot) does not have. `cargo check` never
//! links, so the `#[link]` below costs nothing there.
//!
//! When libcrypto cannot give a context (out of memory, a FIPS configuration without the
//! algorithm), [`Context::new`] returns `None` and the caller falls back to RustCrypto.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr::NonNull;

#[repr(C)]
struct EvpMdCtx {
    _opaque: [u8; 0],
}

#[repr(C)]
struct EvpMd {
    _opaque: [u8; 0],
}

#[link(name = "crypto")]
unsafe extern "C" {
    fn EVP_MD_CTX_new() -> *mut EvpMdCtx;
    fn EVP_MD_CTX_free(ctx: *mut EvpMdCtx);
    fn EVP_sha1() -> *const EvpMd;
    fn EVP_sha256() -> *const EvpMd;
    fn EVP_sha512() -> *const EvpMd;
    fn EVP_DigestInit_ex(ctx: *mut EvpMdCtx, md: *const EvpMd, engine: *mut c_void) -> c_int;
    fn EVP_DigestUpdate(ctx: *mut EvpMdCtx, data: *const c_void, len: usize) -> c_int;
    fn EVP_DigestFinal_ex(ctx: *mut EvpMdCtx, out: *mut u8, len: *mut c_uint) -> c_int;
}

/// The algorithms taken from libcrypto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Md {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl Md {
    fn output_len(self) -> usize {
        match self {
            Md::Sha1 => 20,
            Md::Sha256 => 32,
            Md::Sha512 => 64,
        }
    }
}

/// One running digest: an owned `EVP_MD_CTX`.
pub struct Context {
    ctx: NonNull<EvpMdCtx>,
    md: Md,
}

// SAFETY: an EVP_MD_CTX is plain state owned by this value alone; libcrypto allows using a
// context from any thread as long as it is not used from two at once, which `&mut self` on
// every method guarantees.
unsafe impl Send for Context {}

impl Context {
    /// A fresh context, or `None` when libcrypto refuses one.
    pub fn new(md: Md) -> Option<Context> {
        // SAFETY: EVP_MD_CTX_new has no preconditions; a null result is handled.
        let ctx = NonNull::new(unsafe { EVP_MD_CTX_new() })?;
        let context = Context { ctx, md };
        // SAFETY: the EVP_sha* functions return static method tables (never freed); the
        // context is valid and owned; a null engine means the default implementation.
        let ok = unsafe {
            let method = match md {
                Md::Sha1 => EVP_sha1(),
                Md::Sha256 => EVP_sha256(),
                Md::Sha512 => EVP_sha512(),
            };
            !method.is_null() && EVP_DigestInit_ex(ctx.as_ptr(), method, std::ptr::null_mut()) == 1
        };
        // On failure `context` is dropped here, which frees the context.
        ok.then_some(context)
    }

    /// Adds data.
    pub fn update(&mut self, data: &[u8]) {
        // SAFETY: the context was initialised in `new`; `data` is valid for its length.
        let ok = unsafe { EVP_DigestUpdate(self.ctx.as_ptr(), data.as_ptr().cast(), data.len()) };
        // An update of an initialised software digest cannot fail; a failure would mean a
        // wrong digest, so it must not pass silently.
        assert_eq!(ok, 1, "libcrypto EVP_DigestUpdate failed");
    }

    /// Finishes and returns the digest.
    pub fn finalize(self) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        let mut len: c_uint = 0;
        // SAFETY: `out` has room for the longest digest here (SHA-512, 64 bytes); the
        // context is initialised.
        let ok = unsafe { EVP_DigestFinal_ex(self.ctx.as_ptr(), out.as_mut_ptr(), &mut len) };
        assert_eq!(ok, 1, "libcrypto EVP_DigestFinal_ex failed");
        assert_eq!(len as usize, self.md.output_len(), "libcrypto digest length");
        out.truncate(len as usize);
        out
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context came from EVP_MD_CTX_new and is freed once, here.
        unsafe { EVP_MD_CTX_free(self.ctx.as_ptr()) }
    }
}
