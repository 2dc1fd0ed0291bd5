//! Form tokens: what makes a signed-in form post trustworthy.
//!
//! A session holds one random secret (the session's `csrf` field, 128 bits,
//! never sent to a browser or an area as is). A form gets a token derived
//! from that secret **and from what the form is for** ([`FormScope`]):
//!
//! ```text
//! token = hex(HMAC-SHA256(key = session secret, message = scope))
//! scope = "host"                          the host's own forms (logout, …)
//!       | "s" ‖ len‖area ‖ len‖structure     a structure-scoped area in one structure
//!       | "u" ‖ len‖area                     a user-scoped area (the session's user)
//! ```
//!
//! The host checks a post against the scope of **the URL it is posted to**,
//! so a form rendered by one area (or for one structure) is refused by any
//! other area, structure, or host page: an area that prints a form aimed at
//! Manager activities only ever holds its own token, which Manager activities
//! does not accept. Templates get the token only through `csrf_field()`; the
//! render context holds it as an opaque value that prints as nothing and
//! serializes as nothing, so `debug()` or `{{ … }}` cannot reveal it.
//!
//! Requests authenticated otherwise than by the session cookie (machine
//! access with a bearer token, when it exists) carry no session and so no
//! form token; they are never accepted with a session cookie.

use sha2::{Digest, Sha256};

/// What a form is for. Its bytes are the HMAC message: a kind tag, then
/// each id length-prefixed, so no two scopes share bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormScope {
    /// The host's own pages (logout and other account pages of the host).
    Host,
    /// An area serving one structure.
    Structure {
        /// The area's id.
        area: String,
        /// The structure's id.
        structure: String,
    },
    /// A user-scoped area (`/me/{area}`), for the session's own user.
    User {
        /// The area's id.
        area: String,
    },
}

impl FormScope {
    fn message(&self) -> Vec<u8> {
        match self {
            FormScope::Host => b"host".to_vec(),
            FormScope::Structure { area, structure } => {
                [b"s".as_slice(), &prefixed(area), &prefixed(structure)].concat()
            }
            FormScope::User { area } => [b"u".as_slice(), &prefixed(area)].concat(),
        }
    }
}

fn prefixed(id: &str) -> Vec<u8> {
    let len = u32::try_from(id.len()).unwrap_or(u32::MAX);
    [len.to_be_bytes().as_slice(), id.as_bytes()].concat()
}

/// The token of `scope` for the session whose secret is `secret`.
pub fn form_token(secret: &str, scope: &FormScope) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), &scope.message()))
}

/// Whether `given` is the token of `scope` for this session, compared in
/// constant time. A session without a secret accepts nothing.
pub fn form_token_ok(secret: &str, scope: &FormScope, given: &str) -> bool {
    !secret.is_empty() && super::csrf_matches(&form_token(secret, scope), given)
}

/// HMAC-SHA256 (RFC 2104) over the `sha2` crate the host already uses; the
/// RFC 4231 test vectors below pin it.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_token_is_good_for_its_own_scope_only() {
        let secret = "0123456789abcdef0123456789abcdef";
        let area = |a: &str, s: &str| FormScope::Structure {
            area: a.into(),
            structure: s.into(),
        };
        let token = form_token(secret, &area("hostile", "73282932000074"));
        assert!(form_token_ok(
            secret,
            &area("hostile", "73282932000074"),
            &token
        ));
        for other in [
            area("manager-activities", "73282932000074"),
            area("hostile", "13000165200010"),
            FormScope::User {
                area: "hostile".into(),
            },
            FormScope::Host,
        ] {
            assert!(!form_token_ok(secret, &other, &token), "{other:?}");
        }
        // Another session's token is worth nothing here.
        let theirs = form_token("ffffffffffffffffffffffffffffffff", &FormScope::Host);
        assert!(!form_token_ok(secret, &FormScope::Host, &theirs));
        // Length prefixes keep ids from running into each other.
        assert_ne!(
            form_token(secret, &area("a", "b\0s\0c")),
            form_token(secret, &area("a\0s\0b", "c"))
        );
        assert!(!form_token_ok("", &FormScope::Host, ""));
    }
}
