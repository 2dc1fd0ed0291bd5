//! Key encoding. Every variable component of a composite key is
//! length-prefixed (8 bytes, big-endian), which makes the encoding
//! prefix-free: no (area, owner) namespace's encoding is a prefix of
//! another's, whatever bytes the strings contain (`/`, NUL, `..`, empty,
//! another namespace's encoding). Only a key's *last* component may be raw,
//! so it sorts naturally for listings.

/// Builds a composite key.
#[derive(Default)]
pub(crate) struct KeyBuf(Vec<u8>);

impl KeyBuf {
    pub(crate) fn new() -> KeyBuf {
        KeyBuf(Vec::new())
    }

    /// Appends a length-prefixed component. A u64 length cannot overflow for
    /// an in-memory slice, so no input is ever refused here.
    pub(crate) fn part(mut self, bytes: &[u8]) -> KeyBuf {
        self.0
            .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.0.extend_from_slice(bytes);
        self
    }

    /// Appends a one-byte tag (e.g. the kind of owner).
    pub(crate) fn tag(mut self, tag: u8) -> KeyBuf {
        self.0.push(tag);
        self
    }

    /// Appends raw bytes; only for the last component.
    pub(crate) fn raw(mut self, bytes: &[u8]) -> KeyBuf {
        self.0.extend_from_slice(bytes);
        self
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Splits one length-prefixed component off the front of `bytes`; `None` if
/// `bytes` is too short (a corrupt key).
pub(crate) fn split_part(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_do_not_prefix_each_other() {
        let a = KeyBuf::new().part(b"a").finish();
        let ab = KeyBuf::new().part(b"ab").finish();
        let a_then_b = KeyBuf::new().part(b"a").part(b"b").finish();
        assert!(!ab.starts_with(&a), "a and ab");
        assert!(!a_then_b.starts_with(&ab) && !ab.starts_with(&a_then_b));
        let (first, rest) = split_part(&a_then_b).unwrap();
        assert_eq!(first, b"a");
        assert_eq!(split_part(rest).unwrap(), (&b"b"[..], &b""[..]));
        assert!(
            split_part(&a_then_b[..8]).is_none(),
            "truncated key is detected"
        );
        assert!(
            split_part(&a_then_b[..5]).is_none(),
            "truncated length is detected"
        );
    }
}
