//! BLAKE3 of a stream whose pieces are hashed on different threads, beside other digests.
//!
//! On 2 cores, sha256+sha1+blake3 is two SHA threads and a BLAKE3 that must go somewhere:
//! on a thread of its own it time-shares the cores and reads every page from memory a third
//! time; beside one SHA it makes that thread the slowest by all of BLAKE3's work. BLAKE3 is a
//! tree, so each piece can be hashed as a subtree by whichever SHA thread reaches it first,
//! from the same cache-sized slices its SHA just read, and the subtrees joined here. The work
//! shares itself out: the thread ahead takes the next piece and so slows down.
//!
//! Every piece but the last must be a whole, aligned subtree: a power-of-two number of
//! 1 KiB chunks at an offset that is a multiple of its size. [`MultiHasher`](super::MultiHasher)
//! sends 4 MiB maps at multiples of 4 MiB, then 1 MiB buffers at multiples of 1 MiB, and a
//! shorter last piece, so this holds. The join is the CV stack of the BLAKE3 paper
//! (incremental hashing): a subtree is merged with its left sibling only once more input is
//! known to follow, and the root is merged last, in [`Tree::finalize`]. Tested against
//! `blake3::hash` at every boundary (digest.rs) and against b3sum (tests/jsum_paths.rs).

use std::collections::BTreeMap;
use std::sync::Mutex;

use blake3::hazmat::{ChainingValue, HasherExt, Mode, merge_subtrees_non_root, merge_subtrees_root};

/// A hashed subtree. The one at offset 0 stays an unfinished hasher: if it turns out to be
/// the whole input, its root hash is the digest.
enum Subtree {
    First(Box<blake3::Hasher>),
    Value(ChainingValue),
}

impl Subtree {
    fn chaining_value(self) -> ChainingValue {
        match self {
            Subtree::First(hasher) => hasher.finalize_non_root(),
            Subtree::Value(cv) => cv,
        }
    }
}

struct Node {
    offset: u64,
    len: u64,
    subtree: Subtree,
}

#[derive(Default)]
struct Stack {
    /// The offset the next subtree joins at.
    next: u64,
    /// Subtrees that arrived before the ones left of them (another thread still hashing
    /// those); at most about the queue depth of the threads.
    pending: BTreeMap<u64, Node>,
    /// Joined subtrees, left to right, sizes decreasing.
    stack: Vec<Node>,
}

/// The subtrees of one BLAKE3 digest, shared by the hashing threads.
#[derive(Default)]
pub(crate) struct Tree {
    inner: Mutex<Stack>,
}

/// A hasher for the piece of the input that starts at `offset`.
pub(crate) fn piece_hasher(offset: u64) -> blake3::Hasher {
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(offset);
    hasher
}

impl Tree {
    /// Adds the piece `[offset, offset + len)`, hashed by `hasher` (from [`piece_hasher`]).
    pub(crate) fn add(&self, offset: u64, len: u64, hasher: blake3::Hasher) {
        let subtree = if offset == 0 {
            Subtree::First(Box::new(hasher))
        } else {
            Subtree::Value(hasher.finalize_non_root())
        };
        let mut guard = self.inner.lock().expect("no thread panics holding the tree");
        let Stack { next, pending, stack } = &mut *guard;
        pending.insert(offset, Node { offset, len, subtree });
        while let Some(node) = pending.remove(next) {
            *next += node.len;
            // `node` follows: every complete pair of siblings left of it can be joined.
            while let [.., left, right] = stack.as_slice() {
                let siblings = left.len == right.len && left.offset.is_multiple_of(2 * left.len);
                if !siblings {
                    break;
                }
                let right = stack.pop().expect("two nodes").subtree.chaining_value();
                let left = stack.pop().expect("two nodes");
                let cv = merge_subtrees_non_root(&left.subtree.chaining_value(), &right, Mode::Hash);
                stack.push(Node { offset: left.offset, len: 2 * left.len, subtree: Subtree::Value(cv) });
            }
            stack.push(node);
        }
    }

    /// The digest of everything added (which must be the whole input, at least one piece).
    pub(crate) fn finalize(self) -> [u8; 32] {
        let s = self.inner.into_inner().expect("no thread panics holding the tree");
        assert!(s.pending.is_empty(), "a piece of the input was never hashed");
        let mut stack = s.stack;
        let last = stack.pop().expect("at least one piece");
        if stack.is_empty() {
            return match last.subtree {
                Subtree::First(hasher) => *hasher.finalize().as_bytes(),
                Subtree::Value(_) => unreachable!("a joined subtree always has a right neighbour"),
            };
        }
        let mut right = last.subtree.chaining_value();
        while stack.len() > 1 {
            let left = stack.pop().expect("checked");
            right = merge_subtrees_non_root(&left.subtree.chaining_value(), &right, Mode::Hash);
        }
        let root = stack.pop().expect("checked");
        *merge_subtrees_root(&root.subtree.chaining_value(), &right, Mode::Hash).as_bytes()
    }
}
