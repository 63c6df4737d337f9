//! Skein-256-256, Skein-512-512 and Skein-1024-1024 (Skein 1.3, as FreeBSD's `skein256`,
//! `skein512`, `skein1024` and pot compute them), with a Threefish whose rounds are unrolled.
//!
//! Why not the RustCrypto `skein` crate, which computes the same digests (and stays a
//! dev-dependency the tests compare against): its Threefish runs the 72 or 80 rounds as a
//! loop that copies the block every round and reads a precomputed subkey table, and on the
//! 2-core Xeon of issue 16 it took 2.68x the time of the C reference for Skein-1024. Here each
//! group of eight rounds is straight-line code in which the word permutation is a renaming
//! of locals (no stores), the rotation constants are literals, and the two subkeys of a group
//! are read from a key and a tweak array extended cyclically once per block, so no `% (N+1)`
//! and no table of 21 subkeys. Unrolling all 72/80 rounds was tried and is slower (more
//! spills: callgrind counted 35% more instructions for Skein-512); so is rotating the tweak
//! words in place. Timings against the C reference: BENCHMARKS.md.
//!
//! Only the plain hash is implemented (no key, no tree hashing, output size = state size):
//! that is all FreeBSD's md5(1) family and pot use.

/// Threefish's key-schedule parity constant.
const C240: u64 = 0x1BD1_1BDA_A9FC_1A22;

/// UBI block types (Skein 1.3, table 6), already shifted into tweak word 1.
const TYPE_CFG: u64 = 4 << 56;
const TYPE_MSG: u64 = 48 << 56;
const TYPE_OUT: u64 = 63 << 56;
const FIRST: u64 = 1 << 62;
const FINAL: u64 = 1 << 63;

/// One MIX: `y0 = x0 + x1; y1 = rotl(x1, r) ^ y0`.
macro_rules! mix {
    ($x:ident, $a:literal, $b:literal, $r:literal) => {
        $x[$a] = $x[$a].wrapping_add($x[$b]);
        $x[$b] = $x[$b].rotate_left($r) ^ $x[$a];
    };
}

/// Adds subkey `s` (key words `s..s+N` of the cyclically extended key, tweak words `s`,
/// `s+1` of the extended tweak, and `s` itself to the last word).
macro_rules! inject {
    ($x:ident, $k:ident, $t:ident, $s:expr, $n:literal) => {
        let s = $s;
        for i in 0..$n {
            $x[i] = $x[i].wrapping_add($k[s + i]);
        }
        $x[$n - 3] = $x[$n - 3].wrapping_add($t[s]);
        $x[$n - 2] = $x[$n - 2].wrapping_add($t[s + 1]);
        $x[$n - 1] = $x[$n - 1].wrapping_add(s as u64);
        for i in 0..$n {
            barrier(&mut $x[i]);
        }
    };
}

/// Makes `word` opaque to the optimiser. Without it LLVM reassociates the additions across
/// subkey injections, carrying partial sums of several words and adding them again: 50-80%
/// more instructions than the C reference (callgrind, 8 MiB: Skein-512 245 M vs 173 M with
/// the barrier, C 160 M).
#[inline(always)]
fn barrier(word: &mut u64) {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: an empty asm block that only claims to read and write one register; it touches
    // no memory, no stack and no flags.
    unsafe {
        core::arch::asm!("/* {0} */", inout(reg) * word, options(pure, nomem, nostack, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = word;
}

/// Threefish-256 encryption of `m` with key `key` and tweak `tweak` (72 rounds).
///
/// The permutation (0 3 2 1) is applied by naming: round d's MIX pairs are the words the
/// previous permutation put side by side, so after four rounds the words are back in place.
#[inline(always)]
fn threefish256(key: &[u64; 4], tweak: [u64; 2], m: &[u64; 4]) -> [u64; 4] {
    let mut k = [0u64; 4 + 1 + 19];
    k[..4].copy_from_slice(key);
    k[4] = key.iter().fold(C240, |a, b| a ^ b);
    for i in 5..k.len() {
        k[i] = k[i - 5];
    }
    let mut t = [0u64; 3 + 19];
    t[0] = tweak[0];
    t[1] = tweak[1];
    t[2] = tweak[0] ^ tweak[1];
    for i in 3..t.len() {
        t[i] = t[i - 3];
    }
    let mut x = *m;
    for g in 0..9 {
        let s = 2 * g;

        inject!(x, k, t, s, 4);
        mix!(x, 0, 1, 14);
        mix!(x, 2, 3, 16);
        mix!(x, 0, 3, 52);
        mix!(x, 2, 1, 57);
        mix!(x, 0, 1, 23);
        mix!(x, 2, 3, 40);
        mix!(x, 0, 3, 5);
        mix!(x, 2, 1, 37);
        inject!(x, k, t, s + 1, 4);
        mix!(x, 0, 1, 25);
        mix!(x, 2, 3, 33);
        mix!(x, 0, 3, 46);
        mix!(x, 2, 1, 12);
        mix!(x, 0, 1, 58);
        mix!(x, 2, 3, 22);
        mix!(x, 0, 3, 32);
        mix!(x, 2, 1, 32);
    }
    inject!(x, k, t, 18, 4);
    x
}

/// Threefish-512 (72 rounds). The spec's permutation (2 1 4 7 6 5 0 3) by naming, as in
/// the C reference's optimised code: the pairs of each of the four rounds in a half-group.
#[inline(always)]
fn threefish512(key: &[u64; 8], tweak: [u64; 2], m: &[u64; 8]) -> [u64; 8] {
    let mut k = [0u64; 8 + 1 + 19];
    k[..8].copy_from_slice(key);
    k[8] = key.iter().fold(C240, |a, b| a ^ b);
    for i in 9..k.len() {
        k[i] = k[i - 9];
    }
    let mut t = [0u64; 3 + 19];
    t[0] = tweak[0];
    t[1] = tweak[1];
    t[2] = tweak[0] ^ tweak[1];
    for i in 3..t.len() {
        t[i] = t[i - 3];
    }
    let mut x = *m;
    for g in 0..9 {
        let s = 2 * g;

        inject!(x, k, t, s, 8);
        mix!(x, 0, 1, 46);
        mix!(x, 2, 3, 36);
        mix!(x, 4, 5, 19);
        mix!(x, 6, 7, 37);
        mix!(x, 2, 1, 33);
        mix!(x, 4, 7, 27);
        mix!(x, 6, 5, 14);
        mix!(x, 0, 3, 42);
        mix!(x, 4, 1, 17);
        mix!(x, 6, 3, 49);
        mix!(x, 0, 5, 36);
        mix!(x, 2, 7, 39);
        mix!(x, 6, 1, 44);
        mix!(x, 0, 7, 9);
        mix!(x, 2, 5, 54);
        mix!(x, 4, 3, 56);
        inject!(x, k, t, s + 1, 8);
        mix!(x, 0, 1, 39);
        mix!(x, 2, 3, 30);
        mix!(x, 4, 5, 34);
        mix!(x, 6, 7, 24);
        mix!(x, 2, 1, 13);
        mix!(x, 4, 7, 50);
        mix!(x, 6, 5, 10);
        mix!(x, 0, 3, 17);
        mix!(x, 4, 1, 25);
        mix!(x, 6, 3, 29);
        mix!(x, 0, 5, 39);
        mix!(x, 2, 7, 43);
        mix!(x, 6, 1, 8);
        mix!(x, 0, 7, 35);
        mix!(x, 2, 5, 56);
        mix!(x, 4, 3, 22);
    }
    inject!(x, k, t, 18, 8);
    x
}

/// Threefish-1024 (80 rounds), the permutation
/// (0 9 2 13 6 11 4 15 10 7 12 3 14 5 8 1) by naming, as in the C reference.
#[inline(always)]
fn threefish1024(key: &[u64; 16], tweak: [u64; 2], m: &[u64; 16]) -> [u64; 16] {
    let mut k = [0u64; 16 + 1 + 21];
    k[..16].copy_from_slice(key);
    k[16] = key.iter().fold(C240, |a, b| a ^ b);
    for i in 17..k.len() {
        k[i] = k[i - 17];
    }
    let mut t = [0u64; 3 + 21];
    t[0] = tweak[0];
    t[1] = tweak[1];
    t[2] = tweak[0] ^ tweak[1];
    for i in 3..t.len() {
        t[i] = t[i - 3];
    }
    let mut x = *m;
    for g in 0..10 {
        let s = 2 * g;

        inject!(x, k, t, s, 16);
        mix!(x, 0, 1, 24);
        mix!(x, 2, 3, 13);
        mix!(x, 4, 5, 8);
        mix!(x, 6, 7, 47);
        mix!(x, 8, 9, 8);
        mix!(x, 10, 11, 17);
        mix!(x, 12, 13, 22);
        mix!(x, 14, 15, 37);
        mix!(x, 0, 9, 38);
        mix!(x, 2, 13, 19);
        mix!(x, 6, 11, 10);
        mix!(x, 4, 15, 55);
        mix!(x, 10, 7, 49);
        mix!(x, 12, 3, 18);
        mix!(x, 14, 5, 23);
        mix!(x, 8, 1, 52);
        mix!(x, 0, 7, 33);
        mix!(x, 2, 5, 4);
        mix!(x, 4, 3, 51);
        mix!(x, 6, 1, 13);
        mix!(x, 12, 15, 34);
        mix!(x, 14, 13, 41);
        mix!(x, 8, 11, 59);
        mix!(x, 10, 9, 17);
        mix!(x, 0, 15, 5);
        mix!(x, 2, 11, 20);
        mix!(x, 6, 13, 48);
        mix!(x, 4, 9, 41);
        mix!(x, 14, 1, 47);
        mix!(x, 8, 5, 28);
        mix!(x, 10, 3, 16);
        mix!(x, 12, 7, 25);
        inject!(x, k, t, s + 1, 16);
        mix!(x, 0, 1, 41);
        mix!(x, 2, 3, 9);
        mix!(x, 4, 5, 37);
        mix!(x, 6, 7, 31);
        mix!(x, 8, 9, 12);
        mix!(x, 10, 11, 47);
        mix!(x, 12, 13, 44);
        mix!(x, 14, 15, 30);
        mix!(x, 0, 9, 16);
        mix!(x, 2, 13, 34);
        mix!(x, 6, 11, 56);
        mix!(x, 4, 15, 51);
        mix!(x, 10, 7, 4);
        mix!(x, 12, 3, 53);
        mix!(x, 14, 5, 42);
        mix!(x, 8, 1, 41);
        mix!(x, 0, 7, 31);
        mix!(x, 2, 5, 44);
        mix!(x, 4, 3, 47);
        mix!(x, 6, 1, 46);
        mix!(x, 12, 15, 19);
        mix!(x, 14, 13, 42);
        mix!(x, 8, 11, 44);
        mix!(x, 10, 9, 25);
        mix!(x, 0, 15, 9);
        mix!(x, 2, 11, 48);
        mix!(x, 6, 13, 35);
        mix!(x, 4, 9, 52);
        mix!(x, 14, 1, 23);
        mix!(x, 8, 5, 31);
        mix!(x, 10, 3, 37);
        mix!(x, 12, 7, 20);
    }
    inject!(x, k, t, 20, 16);
    x
}

macro_rules! skein {
    ($name:ident, $words:literal, $threefish:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone)]
        pub struct $name {
            chain: [u64; $words],
            buf: [u8; $words * 8],
            buf_len: usize,
            /// Bytes of the message processed so far (the UBI position).
            position: u64,
            first: bool,
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $name {
            /// A hasher with output length = state size.
            pub fn new() -> Self {
                // The configuration block: schema "SHA3", version 1, output bits, no tree.
                let mut config = [0u64; $words];
                config[0] = 0x3341_4853 | (1 << 32);
                config[1] = ($words * 64) as u64;
                let zero = [0u64; $words];
                let tweak = [32, TYPE_CFG | FIRST | FINAL];
                let mut chain = $threefish(&zero, tweak, &config);
                for (c, m) in chain.iter_mut().zip(config) {
                    *c ^= m;
                }
                $name { chain, buf: [0; $words * 8], buf_len: 0, position: 0, first: true }
            }

            fn words(bytes: &[u8]) -> [u64; $words] {
                let mut m = [0u64; $words];
                for (w, c) in m.iter_mut().zip(bytes.chunks_exact(8)) {
                    *w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
                }
                m
            }

            /// One UBI step on a full block (`len` = message bytes in it).
            #[inline(always)]
            fn compress(&mut self, block: &[u8], len: usize, last: bool) {
                self.position += len as u64;
                let mut t1 = TYPE_MSG;
                if self.first {
                    t1 |= FIRST;
                }
                if last {
                    t1 |= FINAL;
                }
                self.first = false;
                let m = Self::words(block);
                let e = $threefish(&self.chain, [self.position, t1], &m);
                for i in 0..$words {
                    self.chain[i] = e[i] ^ m[i];
                }
            }

            /// Adds data. The last block is kept back: UBI marks it final.
            pub fn update(&mut self, mut data: &[u8]) {
                const B: usize = $words * 8;
                if self.buf_len + data.len() > B {
                    if self.buf_len > 0 {
                        let n = B - self.buf_len;
                        self.buf[self.buf_len..].copy_from_slice(&data[..n]);
                        data = &data[n..];
                        let block = self.buf;
                        self.compress(&block, B, false);
                        self.buf_len = 0;
                    }
                    while data.len() > B {
                        self.compress(&data[..B], B, false);
                        data = &data[B..];
                    }
                }
                self.buf[self.buf_len..self.buf_len + data.len()].copy_from_slice(data);
                self.buf_len += data.len();
            }

            /// Finishes: the final message block, then one output block.
            pub fn finalize(mut self) -> [u8; $words * 8] {
                let len = self.buf_len;
                self.buf[len..].fill(0);
                let block = self.buf;
                self.compress(&block, len, true);
                let counter = [0u64; $words];
                let out = $threefish(&self.chain, [8, TYPE_OUT | FIRST | FINAL], &counter);
                let mut bytes = [0u8; $words * 8];
                for (c, w) in bytes.chunks_exact_mut(8).zip(out) {
                    c.copy_from_slice(&w.to_le_bytes());
                }
                bytes
            }
        }
    };
}

skein!(Skein256, 4, threefish256, "Skein-256-256.");
skein!(Skein512, 8, threefish512, "Skein-512-512.");
skein!(Skein1024, 16, threefish1024, "Skein-1024-1024.");

#[cfg(test)]
mod tests {
    use super::*;
    use digest::Digest as _;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_right(13) as u8).collect()
    }

    /// Lengths around every block size, hashed whole and in uneven pieces, against the
    /// RustCrypto implementation.
    #[test]
    fn agrees_with_the_skein_crate() {
        for len in (0..300).chain([511, 512, 513, 1023, 1024, 1025, 4096, 100_003]) {
            let d = data(len);
            let mut a = Skein256::new();
            let mut b = Skein512::new();
            let mut c = Skein1024::new();
            for piece in d.chunks(7 + len % 61) {
                a.update(piece);
                b.update(piece);
                c.update(piece);
            }
            assert_eq!(a.finalize()[..], ::skein::Skein256_256::digest(&d)[..], "skein256 len {len}");
            assert_eq!(b.finalize()[..], ::skein::Skein512_512::digest(&d)[..], "skein512 len {len}");
            assert_eq!(c.finalize()[..], ::skein::Skein1024_1024::digest(&d)[..], "skein1024 len {len}");
        }
    }
}
