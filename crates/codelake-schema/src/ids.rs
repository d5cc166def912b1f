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
#[derive(Clone)]
pub struct StableId {
    inline: [u8; INLINE],
    len: usize,
    heap: Vec<u8>,
}

const INLINE: usize = 112;

impl StableId {
    /// Starts an id in a domain (`"file"`, `"ast"`, ...); ids of different domains never collide
    /// by construction of their inputs.
    // The builder is taken and returned by value: called across crates without inlining, each
    // step moved its whole 136-byte buffer in and out (a visible memmove in a build's profile).
    #[inline]
    pub fn new(domain: &str) -> Self {
        let id = Self {
            inline: [0; INLINE],
            len: 0,
            heap: Vec::new(),
        };
        id.bytes(&(domain.len() as u32).to_le_bytes())
            .bytes(domain.as_bytes())
    }

    #[inline]
    fn bytes(mut self, b: &[u8]) -> Self {
        if self.heap.is_empty() && self.len + b.len() <= INLINE {
            self.inline[self.len..self.len + b.len()].copy_from_slice(b);
            self.len += b.len();
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.extend_from_slice(b);
        }
        self
    }

    #[inline]
    pub fn str(self, s: &str) -> Self {
        self.bytes(&(s.len() as u32).to_le_bytes())
            .bytes(s.as_bytes())
    }

    #[inline]
    pub fn int(self, v: i64) -> Self {
        self.bytes(&v.to_le_bytes())
    }

    #[inline]
    pub fn finish(&self) -> i64 {
        let data = if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap[..]
        };
        xxhash_rust::xxh3::xxh3_64(data) as i64
    }
}

/// The id of a file: a hash of its repository-relative POSIX path.
pub fn file_id(path: &str) -> i64 {
    StableId::new("file").str(path).finish()
}

/// The id of an AST node: file, kind, span and pre-order ordinal. The ordinal disambiguates
/// nodes that share kind and span (`((x))` nested `Tuple`s, or chained `If`s of an `elif`).
pub fn ast_node_id(file_id: i64, kind: &str, bstart: i64, bend: i64, ordinal: i64) -> i64 {
    // The hot path (one call per node): the same serialisation as `StableId`, on the stack.
    let mut buf = [0u8; 96];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        let end = (n + bytes.len()).min(buf.len());
        buf[n..end].copy_from_slice(&bytes[..end - n]);
        n = end;
    };
    put(&3u32.to_le_bytes());
    put(b"ast");
    put(&file_id.to_le_bytes());
    put(&(kind.len() as u32).to_le_bytes());
    put(kind.as_bytes());
    put(&bstart.to_le_bytes());
    put(&bend.to_le_bytes());
    put(&ordinal.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&buf[..n]) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

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
