//! The texts of every message Portico sends. Plain text: links are visible,
//! nothing is hidden behind markup, and no mail client blocks anything.
//!
//! Each says why it was sent and what to do if the person did not ask for
//! it, so that a message triggered by someone else is harmless and useful.

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// A short name for logs (`verify-email`, `reset-password`…); the
    /// recipient and the text are never logged.
    pub kind: &'static str,
    /// The recipient's address.
    pub to: String,
    /// The subject line (ASCII).
    pub subject: String,
    /// The text.
    pub text: String,
}

const SIGNATURE: &str =
    "\n-- \nPortico. This message was sent automatically; replies are not read.\n";

fn hello(first_name: &str) -> String {
    if first_name.is_empty() {
        "Hello,".into()
    } else {
        format!("Hello {first_name},")
    }
}

/// A new account's confirmation link.
pub fn verify_email(to: &str, first_name: &str, link: &str, hours: u64) -> Letter {
    Letter {
        kind: "verify-email",
        to: to.into(),
        subject: "Confirm your email address for Portico".into(),
        text: format!(
            "{}\n\nYou created a Portico account with this address. To confirm that it is yours, open this link:\n\n{link}\n\nThe link works once, for {hours} hours. Until the address is confirmed you can sign in, but not create a structure or ask to join one.\n\nIf you did not create this account, ignore this message: without the link the address stays unconfirmed.\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// Someone signed up with an address that already has an account.
pub fn already_registered(to: &str, first_name: &str, login: &str, forgot: &str) -> Letter {
    Letter {
        kind: "already-registered",
        to: to.into(),
        subject: "You already have a Portico account".into(),
        text: format!(
            "{}\n\nSomeone (you, probably) tried to create a Portico account with this address, which already has one. No new account was created and nothing changed.\n\nSign in: {login}\nForgot your password? Choose a new one: {forgot}\n\nIf this was not you, you can ignore this message.\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// A password reset link.
pub fn reset_password(to: &str, first_name: &str, link: &str, minutes: u64) -> Letter {
    Letter {
        kind: "reset-password",
        to: to.into(),
        subject: "Choose a new Portico password".into(),
        text: format!(
            "{}\n\nA new password was asked for the Portico account of this address. To choose one, open this link:\n\n{link}\n\nThe link works once, for {minutes} minutes; asking again replaces it. Choosing a new password signs the account out everywhere.\n\nIf you did not ask, ignore this message: your password stays as it is.\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// The password was changed (by a reset link or from My account).
pub fn password_changed(to: &str, first_name: &str, how: &str, forgot: &str) -> Letter {
    Letter {
        kind: "password-changed",
        to: to.into(),
        subject: "Your Portico password was changed".into(),
        text: format!(
            "{}\n\nThe password of your Portico account was just changed {how}.\n\nIf this was not you, choose a new password at once: {forgot}\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// The link confirming a new login email, sent to the new address.
pub fn confirm_new_email(to: &str, first_name: &str, link: &str, hours: u64) -> Letter {
    Letter {
        kind: "confirm-new-email",
        to: to.into(),
        subject: "Confirm your new Portico login email".into(),
        text: format!(
            "{}\n\nYou asked to sign in to Portico with this address from now on. To confirm, open this link:\n\n{link}\n\nThe link works once, for {hours} hours. Until then your login email stays as it was.\n\nIf you did not ask, ignore this message.\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// A change of login email was asked: the warning to the current address.
pub fn email_change_requested(to: &str, first_name: &str, new_email: &str, forgot: &str) -> Letter {
    Letter {
        kind: "email-change-requested",
        to: to.into(),
        subject: "Your Portico login email is about to change".into(),
        text: format!(
            "{}\n\nSomeone signed in to your Portico account asked to use {new_email} as its login email. It changes once a link sent to that address is opened.\n\nIf this was not you, choose a new password now: {forgot}\nThat signs the account out everywhere and cancels the change.\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// The login email changed: the notice to the old address.
pub fn email_changed(to: &str, first_name: &str, new_email: &str) -> Letter {
    Letter {
        kind: "email-changed",
        to: to.into(),
        subject: "Your Portico login email was changed".into(),
        text: format!(
            "{}\n\nYour Portico account now signs in with {new_email}; this address no longer does.\n\nIf this was not you, contact your portal's operator at once.\n{SIGNATURE}",
            hello(first_name)
        ),
    }
}

/// A signed-in person asked to move their login to an address that
/// another account already uses: sent to that address, nothing changes.
pub fn email_in_use(to: &str) -> Letter {
    Letter {
        kind: "email-in-use",
        to: to.into(),
        subject: "Your address was given for another Portico account".into(),
        text: format!(
            "Hello,\n\nSomeone asked to use this address as the login email of another Portico account. This address already has its own account, so nothing changed.\n\nIf this was you, sign in with this address instead, or use another one.\n{SIGNATURE}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_names_its_link_and_what_to_do_otherwise() {
        let link = "https://portal.example.fr/password/reset?t=abc.def";
        let letters = [
            verify_email("a@b.fr", "Ada", link, 24),
            reset_password("a@b.fr", "Ada", link, 30),
            confirm_new_email("a@b.fr", "Ada", link, 24),
        ];
        for l in &letters {
            assert!(l.text.contains(link), "{}", l.kind);
            assert!(l.text.contains("Hello Ada,"), "{}", l.kind);
            assert!(l.text.contains("ignore this message"), "{}", l.kind);
            assert!(l.subject.is_ascii());
        }
        assert!(letters[1].text.contains("30 minutes"));
        let warn = email_change_requested("old@b.fr", "", "new@b.fr", link);
        assert!(warn.text.starts_with("Hello,\n"));
        assert!(warn.text.contains("new@b.fr") && warn.text.contains(link));
    }
}
