//! Stable ids.
//!
//! Every id in codelake is the 64-bit XXH3 hash of a domain tag and the fields that identify the
//! entity (each length-prefixed), read as an `i64` (Delta Lake has no unsigned types). Ids
//! depend only on content, never on scheduling: the same repository gives the same ids in every
//! build, with any number of worker threads. XXH3 is specified byte for byte and identical on
//! every platform; a cryptographic hash would buy nothing for a 64-bit id and costs ~10x per
//! node. (File *contents* are hashed with BLAKE3: `files.content_hash`.)

/// Builder of a stable id: the fields are serialised (strings length-prefixed, so `("ab", "c")`
/// and `("a", "bc")` differ) into a buffer that is hashed once. Short inputs stay on the stack.
///
/// The methods take and return `&mut Self`, so a chain builds in place:
/// `StableId::new("x").str(a).int(b).finish()`. (Taken and returned by value, each step moved
/// the whole buffer; that and a `memcpy` call per field made an id cost ~100 ns, three times
/// this.)
#[derive(Clone)]
pub struct StableId {
    inline: [u8; INLINE],
    len: usize,
    /// The whole serialisation once it outgrew `inline`.
    heap: Vec<u8>,
}

const INLINE: usize = 128;

impl StableId {
    /// Starts an id in a domain (`"file"`, `"ast"`, ...); ids of different domains never collide
    /// by construction of their inputs.
    #[inline]
    pub fn new(domain: &str) -> Self {
        let mut id = Self {
            inline: [0; INLINE],
            len: 0,
            heap: Vec::new(),
        };
        id.str(domain);
        id
    }

    /// Appends a field of a fixed width (an integer, a length prefix): a constant-size copy.
    #[inline(always)]
    fn fixed<const N: usize>(&mut self, b: [u8; N]) {
        let end = self.len + N;
        if end <= INLINE && self.heap.is_empty() {
            self.inline[self.len..end].copy_from_slice(&b);
            self.len = end;
        } else {
            self.spill(&b);
        }
    }

    #[cold]
    #[inline(never)]
    fn spill(&mut self, b: &[u8]) {
        if self.heap.is_empty() {
            self.heap.extend_from_slice(&self.inline[..self.len]);
        }
        self.heap.extend_from_slice(b);
    }

    #[inline]
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.fixed((s.len() as u32).to_le_bytes());
        let b = s.as_bytes();
        let end = self.len + b.len();
        if end <= INLINE && self.heap.is_empty() {
            let dst = &mut self.inline[self.len..end];
            if b.len() <= 16 {
                // Most fields are short (kinds, names): a byte loop beats a `memcpy` call.
                for (d, s) in dst.iter_mut().zip(b) {
                    *d = *s;
                }
            } else {
                dst.copy_from_slice(b);
            }
            self.len = end;
        } else {
            self.spill(b);
        }
        self
    }

    #[inline]
    pub fn int(&mut self, v: i64) -> &mut Self {
        self.fixed(v.to_le_bytes());
        self
    }

    #[inline]
    pub fn finish(&self) -> i64 {
        let data = if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap[..]
        };
        hash_serialized(data)
    }
}

/// Appends a string field to a serialisation, as [`StableId::str`] does: for code that builds
/// many ids in one reused buffer (the `stable_id` SQL function), hashed by [`hash_serialized`].
#[inline]
pub fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Appends an integer field to a serialisation, as [`StableId::int`] does.
#[inline]
pub fn put_int(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// The id of a serialisation made with [`put_str`] and [`put_int`], the domain tag first: the
/// same as [`StableId::finish`] of the same fields. The one place an id's hash is taken.
#[inline]
pub fn hash_serialized(buf: &[u8]) -> i64 {
    xxhash_rust::xxh3::xxh3_64(buf) as i64
}

/// The id of a file: a hash of its repository-relative POSIX path.
pub fn file_id(path: &str) -> i64 {
    StableId::new("file").str(path).finish()
}

/// The id of an AST node: file, kind, span and pre-order ordinal. The ordinal disambiguates
/// nodes that share kind and span (`((x))` nested `Tuple`s, or chained `If`s of an `elif`).
pub fn ast_node_id(file_id: i64, kind: &str, bstart: i64, bend: i64, ordinal: i64) -> i64 {
    // The hot path (one call per node): the same serialisation as `StableId`, on the stack, at
    // fixed offsets up to the kind (class names are short; a longer one takes the builder).
    const KIND_MAX: usize = 32;
    let k = kind.as_bytes();
    if k.len() > KIND_MAX {
        return StableId::new("ast")
            .int(file_id)
            .str(kind)
            .int(bstart)
            .int(bend)
            .int(ordinal)
            .finish();
    }
    let mut buf = [0u8; 19 + KIND_MAX + 24];
    buf[0..4].copy_from_slice(&3u32.to_le_bytes());
    buf[4..7].copy_from_slice(b"ast");
    buf[7..15].copy_from_slice(&file_id.to_le_bytes());
    buf[15..19].copy_from_slice(&(k.len() as u32).to_le_bytes());
    // A byte loop: shorter than a `memcpy` call for names of a few bytes.
    for (d, s) in buf[19..19 + KIND_MAX].iter_mut().zip(k) {
        *d = *s;
    }
    let rest = 19 + k.len();
    buf[rest..rest + 8].copy_from_slice(&bstart.to_le_bytes());
    buf[rest + 8..rest + 16].copy_from_slice(&bend.to_le_bytes());
    buf[rest + 16..rest + 24].copy_from_slice(&ordinal.to_le_bytes());
    hash_serialized(&buf[..rest + 24])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The buffer helpers serialise exactly as the builder, short fields and long ones (past
    /// the builder's inline buffer).
    #[test]
    fn buffer_helpers_give_the_builders_ids() {
        let long = "x".repeat(300);
        for (s, v) in [("", 0i64), ("AST", -1), (long.as_str(), i64::MAX)] {
            let mut buf = Vec::new();
            put_str(&mut buf, "edge");
            put_str(&mut buf, s);
            put_int(&mut buf, v);
            put_str(&mut buf, "rule");
            assert_eq!(
                hash_serialized(&buf),
                StableId::new("edge").str(s).int(v).str("rule").finish()
            );
        }
    }

    const PINNED_FILE_ID: i64 = 0xda75_870e_b404_5673_u64 as i64;

    #[test]
    fn ids_are_stable_and_field_separated() {
        assert_eq!(file_id("pkg/mod.py"), file_id("pkg/mod.py"));
        assert_ne!(file_id("pkg/mod.py"), file_id("pkg/mod2.py"));
        let a = StableId::new("x").str("ab").str("c").finish();
        let b = StableId::new("x").str("a").str("bc").finish();
        assert_ne!(a, b);
        // Long inputs spill to the heap and hash the same bytes.
        let long = "x".repeat(300);
        let spilled = StableId::new("d").str(&long).int(1).finish();
        let mut bytes = vec![1, 0, 0, 0, b'd', 44, 1, 0, 0];
        bytes.extend_from_slice(long.as_bytes());
        bytes.extend_from_slice(&1i64.to_le_bytes());
        assert_eq!(spilled, xxhash_rust::xxh3::xxh3_64(&bytes) as i64);
        // The stack fast path serialises exactly as the builder does.
        assert_eq!(
            ast_node_id(7, "Name", 10, 12, 3),
            StableId::new("ast")
                .int(7)
                .str("Name")
                .int(10)
                .int(12)
                .int(3)
                .finish()
        );
        // For kinds of every length, the fixed-offset fast path and the builder (which a kind
        // past 32 bytes falls back to) agree.
        for n in 0..=40 {
            let kind = "K".repeat(n);
            assert_eq!(
                ast_node_id(-5, &kind, 1 << 40, -1, i64::MAX),
                StableId::new("ast")
                    .int(-5)
                    .str(&kind)
                    .int(1 << 40)
                    .int(-1)
                    .int(i64::MAX)
                    .finish(),
                "kind of {n} bytes"
            );
        }
        // Pinned value: a change of the hashing scheme changes every id of every table, which
        // must be a deliberate, visible decision.
        assert_eq!(
            file_id("pkg/mod.py"),
            PINNED_FILE_ID,
            "{:#x}",
            file_id("pkg/mod.py")
        );
    }
}
