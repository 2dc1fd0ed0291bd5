//! Mail, through one module: SMTP when configured (`serve --smtp URL`, or
//! `PORTICO_SMTP_URL`), otherwise a mailbox directory under the data
//! directory (`<data>/mailbox/`, listed in `/ops`), so the demo and the
//! tests need no mail server.
//!
//! Messages are built once with lettre (RFC 5322, UTF-8 text, quoted-printable)
//! and either handed to the SMTP server or written, byte
//! for byte as they would have been sent, as one `.eml` file each.
//!
//! Sending never holds up a response: [`Mailer::send`] returns at once and a
//! task delivers, retrying an unreachable server a few times. Besides
//! keeping pages fast, this keeps "we sent you a link" and "there was
//! no account to send to" equally fast, so timing reveals no account.

pub mod letters;
mod mailbox;

pub use letters::Letter;
pub use mailbox::{Mailbox, StoredLetter, read_message};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox as Address};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Where the mailbox lives under the data directory.
pub const MAILBOX_DIR: &str = "mailbox";

/// Sender address when none is configured (mailbox mode only: an SMTP
/// server needs a real one, see [`MailConfig::from`]).
pub const DEFAULT_FROM: &str = "Portico <portico@localhost>";

/// How long one SMTP exchange may take before it counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Delays before the second and third delivery attempts: a server restart
/// or a short network cut is ridden out; past that the failure is logged
/// (the person can ask for the link again).
pub const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(5), Duration::from_secs(60)];

/// How mail leaves: the one place it is configured.
#[derive(Debug, Clone, Default)]
pub struct MailConfig {
    /// `smtps://user:password@host[:port]` (TLS), `smtp://host:port?tls=required`
    /// (STARTTLS) or `smtp://host:port` (plain, for a relay on the same host).
    /// `None`: messages go to the mailbox directory.
    pub smtp_url: Option<String>,
    /// The `From` address, e.g. `Portico <no-reply@portal.example.fr>`;
    /// required with `smtp_url`.
    pub from: Option<String>,
}

/// Why mail could not be configured or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration is wrong; the message says what would be right.
    #[error("{0}")]
    Config(String),
    /// The message could not be built (an address that is not one).
    #[error("cannot build the message: {0}")]
    Build(String),
    /// The SMTP server refused or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The mailbox directory could not be written.
    #[error("mailbox: {0}")]
    Io(#[from] std::io::Error),
}

enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without credentials, for logs and `/ops`.
        shown: String,
    },
    Mailbox(Mailbox),
}

/// Sends Portico's mail. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Address,
    transport: Transport,
}

impl Mailer {
    /// A mailer for `config`; the mailbox goes under `data_dir`.
    pub fn new(config: &MailConfig, data_dir: &Path) -> Result<Mailer, MailError> {
        let from_text = match (&config.smtp_url, &config.from) {
            (_, Some(from)) => from.as_str(),
            (None, None) => DEFAULT_FROM,
            (Some(_), None) => {
                return Err(MailError::Config(
                    "--mail-from (PORTICO_MAIL_FROM) is required with --smtp: the address your SMTP server lets Portico send from, e.g. \"Portico <no-reply@portal.example.fr>\"".into(),
                ));
            }
        };
        let from: Address = from_text.parse().map_err(|e| {
            MailError::Config(format!(
                "--mail-from {from_text:?} is not an address ({e}); write e.g. \"Portico <no-reply@portal.example.fr>\""
            ))
        })?;
        let transport = match &config.smtp_url {
            None => Transport::Mailbox(Mailbox::open(&data_dir.join(MAILBOX_DIR))?),
            Some(url) => {
                let shown = without_credentials(url);
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| {
                        MailError::Config(format!(
                            "--smtp {shown}: {e}; write smtps://user:password@host (TLS), smtp://host:587?tls=required (STARTTLS) or smtp://localhost:25 (a local relay)"
                        ))
                    })?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Transport::Smtp { transport, shown }
            }
        };
        Ok(Mailer {
            inner: Arc::new(Inner { from, transport }),
        })
    }

    /// The mailbox, when mail is not sent over SMTP.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match &self.inner.transport {
            Transport::Mailbox(m) => Some(m),
            Transport::Smtp { .. } => None,
        }
    }

    /// Where mail goes, in words, without secrets (start-up line, `/ops`).
    pub fn describe(&self) -> String {
        match &self.inner.transport {
            Transport::Smtp { shown, .. } => format!("SMTP {shown}"),
            Transport::Mailbox(m) => format!(
                "the mailbox {} (no SMTP configured: nothing leaves this machine)",
                m.dir().display()
            ),
        }
    }

    /// Queues `letter` and returns at once; a task delivers it (with
    /// retries for SMTP) and logs the outcome. Needs a tokio runtime.
    pub fn send(&self, letter: Letter) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let mut delays = RETRY_DELAYS.iter();
            loop {
                match mailer.deliver(&letter).await {
                    Ok(()) => {
                        tracing::info!(kind = letter.kind, "mail sent");
                        return;
                    }
                    Err(e @ (MailError::Build(_) | MailError::Config(_))) => {
                        tracing::error!(kind = letter.kind, error = %e, "mail not sent");
                        return;
                    }
                    Err(e) => match delays.next() {
                        Some(delay) => {
                            tracing::warn!(kind = letter.kind, error = %e, retry_in_s = delay.as_secs(), "mail not sent yet");
                            tokio::time::sleep(*delay).await;
                        }
                        None => {
                            tracing::error!(kind = letter.kind, error = %e, "mail not sent; giving up");
                            return;
                        }
                    },
                }
            }
        });
    }

    /// One delivery attempt, waited for.
    pub async fn deliver(&self, letter: &Letter) -> Result<(), MailError> {
        let message = self.build(letter)?;
        match &self.inner.transport {
            Transport::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| MailError::Smtp(e.to_string())),
            Transport::Mailbox(mailbox) => {
                let mailbox = mailbox.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || mailbox.store(&bytes))
                    .await
                    .map_err(|e| MailError::Io(std::io::Error::other(e)))??;
                Ok(())
            }
        }
    }

    fn build(&self, letter: &Letter) -> Result<Message, MailError> {
        let to: Address = letter
            .to
            .parse()
            .map_err(|e| MailError::Build(format!("recipient: {e}")))?;
        // Quoted-printable: links are longer than the line length 7-bit and
        // 8-bit bodies allow, and every mail client decodes it
        // ([`read_message`] does for the mailbox).
        let body = Body::new_with_encoding(
            letter.text.clone(),
            ContentTransferEncoding::QuotedPrintable,
        )
        .map_err(|_| MailError::Build("the text cannot be encoded".into()))?;
        Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(letter.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

/// `scheme://user:secret@host:port/…?…` → `scheme://host:port`.
fn without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            without_credentials("smtps://me:s3cret@mail.example.fr:465/ehlo?tls=required"),
            "smtps://mail.example.fr:465"
        );
        assert_eq!(
            without_credentials("smtp://localhost:25"),
            "smtp://localhost:25"
        );
        assert_eq!(without_credentials("nonsense"), "://nonsense");
    }

    #[test]
    fn configuration_errors_say_what_is_right() {
        let dir = tempfile::tempdir().unwrap();
        let no_from = MailConfig {
            smtp_url: Some("smtp://localhost:25".into()),
            from: None,
        };
        let e = Mailer::new(&no_from, dir.path()).err().unwrap().to_string();
        assert!(e.contains("--mail-from"), "{e}");
        let bad_url = MailConfig {
            smtp_url: Some("ftp://me:pw@x".into()),
            from: Some("a@b.fr".into()),
        };
        let e = Mailer::new(&bad_url, dir.path()).err().unwrap().to_string();
        assert!(e.contains("smtps://") && !e.contains("pw"), "{e}");
        let bad_from = MailConfig {
            smtp_url: None,
            from: Some("not an address".into()),
        };
        let e = Mailer::new(&bad_from, dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("--mail-from"), "{e}");
    }

    #[tokio::test]
    async fn the_mailbox_holds_the_message_as_it_would_be_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(&MailConfig::default(), dir.path()).unwrap();
        assert!(mailer.describe().contains("mailbox"));
        let long = crate::mail::letters::reset_password(
            crate::i18n::Lang::Fr,
            "ines@example.fr",
            "Inès",
            "http://x/password/reset?t=a.b",
            30,
        );
        mailer
            .deliver(&long)
            .await
            .expect("a real letter, longer than one mail line, goes out");
        let letter = Letter {
            kind: "test",
            to: "ines@example.fr".into(),
            subject: "Confirm your email address".into(),
            text: "Bonjour Inès,\n\nhttp://127.0.0.1:8080/email/confirm?t=abc.def\n".into(),
        };
        mailer.deliver(&letter).await.unwrap();
        let stored = mailer.mailbox().unwrap().list(10).unwrap();
        assert_eq!(stored.len(), 2);
        let m = stored
            .iter()
            .find(|m| m.subject == "Confirm your email address")
            .unwrap();
        assert_eq!(m.to, "ines@example.fr");
        assert_eq!(m.subject, "Confirm your email address");
        assert!(
            m.text
                .contains("http://127.0.0.1:8080/email/confirm?t=abc.def"),
            "{}",
            m.text
        );
        assert!(m.text.contains("Bonjour Inès"), "{}", m.text);
        let raw = std::fs::read_to_string(&m.path).unwrap();
        assert!(raw.contains("From: Portico <portico@localhost>"), "{raw}");
        assert!(
            raw.contains("Content-Transfer-Encoding: quoted-printable"),
            "{raw}"
        );
    }
}
