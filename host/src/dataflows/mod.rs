//! Data flows: a file of invoices (UBL 2.1, CII D16B, Factur-X, or a ZIP of
//! several) deposited by a program (`POST /api/v1/flows`) or a person (the
//! Data flow overview area, through the `flows` import), followed to the
//! last invoice.
//!
//! 1. [`deposit`] checks what can be checked at once (size, format, the
//!    zip's safety: [`unzip`]) and refuses with errors that say what is
//!    wrong and what would be right; otherwise it records the flow, its
//!    files and one durable `flow-invoice` message per invoice to the
//!    structure's Issued invoices, in one transaction, before answering the
//!    flow number (`Store::deposit_flow`).
//! 2. The delivery worker hands each message to Issued invoices, which
//!    checks the invoice exactly as its `POST /deposit` does and answers a
//!    `flow-invoice-result` message to the platform ([`PLATFORM_AREA`]):
//!    [`receive`] records the verdict in the same transaction that takes the
//!    answer out of the outbox; the last verdict settles the flow's status
//!    and queues the `flow.completed` webhook event.
//! 3. [`webhooks`] delivers the events, signed, with retries.

pub mod api;
pub mod webhooks;
mod zip;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::delivery::{DELIVERY_FAILED, PLATFORM_AREA};
use crate::store::dataflows::{
    DataFlow, FlowError, FlowFile, FlowInvoice, FlowMode, FlowSource, FlowStatus, InvoiceOutcome,
    Text, Verdict, new_flow_id, parse_invoice_message_id,
};
use crate::store::{OutgoingMessage, Store, StoreError};

pub use zip::{MAX_INVOICES, MAX_MEMBER_BYTES, MAX_TOTAL_BYTES};

/// The area that integrates each invoice.
pub const ISSUED_AREA: &str = "issued-invoices";

/// Largest deposited file: 10 MB for one invoice, 30 MB for a zip (Chorus
/// Pro's API limits, brief §4.5).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Largest deposited zip.
pub const MAX_ZIP_BYTES: usize = 30 * 1024 * 1024;
/// Longest file name kept.
const MAX_NAME: usize = 200;

/// What a deposited file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UBL 2.1 Invoice or CreditNote.
    Ubl,
    /// UN/CEFACT CII D16B.
    Cii,
    /// A PDF (Factur-X carries its CII inside).
    FacturX,
    /// A ZIP of several of the above.
    Zip,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Ubl => "ubl",
            Format::Cii => "cii",
            Format::FacturX => "factur-x",
            Format::Zip => "zip",
        }
    }
}

/// An error about the deposited file itself.
pub(crate) fn file_error(
    code: &str,
    fr: String,
    en: String,
    fix_fr: &str,
    fix_en: &str,
) -> FlowError {
    FlowError {
        code: code.into(),
        field: "file".into(),
        message: Text { fr, en },
        fix: Text {
            fr: fix_fr.into(),
            en: fix_en.into(),
        },
    }
}

const FIX_FORMATS_FR: &str = "Déposez une facture UBL 2.1 ou CII D16B (.xml), une Factur-X (.pdf) ou un .zip de ces fichiers.";
const FIX_FORMATS_EN: &str =
    "Deposit a UBL 2.1 or CII D16B invoice (.xml), a Factur-X (.pdf) or a .zip of such files.";

/// What one file is, from its first bytes (never from its name alone).
pub fn sniff(name: &str, bytes: &[u8]) -> Result<Format, Box<FlowError>> {
    if bytes.is_empty() {
        return Err(Box::new(file_error(
            "FLOW-EMPTY",
            format!("Le fichier « {name} » est vide."),
            format!("The file “{name}” is empty."),
            FIX_FORMATS_FR,
            FIX_FORMATS_EN,
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(Format::Zip);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(Format::FacturX);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = &text[..text.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    if head.trim_start().starts_with('<') {
        // The root element is the first one that is not a declaration,
        // a comment or a processing instruction.
        let mut rest = head.trim_start();
        while let Some(r) = rest
            .strip_prefix("<?")
            .and_then(|r| r.split_once("?>").map(|(_, r)| r))
            .or_else(|| {
                rest.strip_prefix("<!--")
                    .and_then(|r| r.split_once("-->").map(|(_, r)| r))
            })
        {
            rest = r.trim_start();
        }
        let root: String = rest
            .trim_start_matches('<')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        let local = root.rsplit(':').next().unwrap_or("");
        match local {
            "CrossIndustryInvoice" => return Ok(Format::Cii),
            "Invoice" | "CreditNote" => return Ok(Format::Ubl),
            _ => {
                return Err(Box::new(file_error(
                    "FLOW-XML-ROOT",
                    format!(
                        "« {name} » est du XML, mais son élément racine <{root}> n'est ni une facture UBL (Invoice, CreditNote) ni une facture CII (CrossIndustryInvoice)."
                    ),
                    format!(
                        "“{name}” is XML, but its root element <{root}> is neither a UBL invoice (Invoice, CreditNote) nor a CII invoice (CrossIndustryInvoice)."
                    ),
                    FIX_FORMATS_FR,
                    FIX_FORMATS_EN,
                )));
            }
        }
    }
    Err(Box::new(file_error(
        "FLOW-FORMAT",
        format!("« {name} » n'est ni du XML, ni un PDF, ni un ZIP."),
        format!("“{name}” is neither XML, nor a PDF, nor a ZIP."),
        FIX_FORMATS_FR,
        FIX_FORMATS_EN,
    )))
}

/// A file name as kept: no directories, no control characters, bounded.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "flow".into()
    } else {
        cleaned
    }
}

/// Who deposits, and how.
pub struct DepositRequest<'a> {
    /// The depositing structure (checked by the caller: the session's or the client's).
    pub structure: &'a str,
    /// The file name given.
    pub filename: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
    /// Production or qualification.
    pub mode: FlowMode,
    /// Who.
    pub source: FlowSource,
}

/// Why a deposit was not recorded.
#[derive(Debug)]
pub enum DepositRefused {
    /// The file: what is wrong, what would be right. Nothing was recorded.
    File(Vec<FlowError>),
    /// Storage failed: nothing was acknowledged.
    Store(StoreError),
}

impl From<StoreError> for DepositRefused {
    fn from(e: StoreError) -> DepositRefused {
        DepositRefused::Store(e)
    }
}

/// Checks and records a flow; see the module's documentation. Returns the
/// flow as recorded (status `received`).
pub fn deposit(store: &Store, req: DepositRequest<'_>) -> Result<DataFlow, DepositRefused> {
    let name = clean_name(req.filename);
    let format = sniff(&name, req.bytes).map_err(|e| DepositRefused::File(vec![*e]))?;
    let limit = if format == Format::Zip {
        MAX_ZIP_BYTES
    } else {
        MAX_FILE_BYTES
    };
    if req.bytes.len() > limit {
        let mb = limit / (1024 * 1024);
        let got = req.bytes.len().div_ceil(1024 * 1024);
        return Err(DepositRefused::File(vec![file_error(
            "FLOW-TOO-LARGE",
            format!(
                "« {name} » fait {got} Mo ; un {} fait au plus {mb} Mo.",
                if format == Format::Zip {
                    "ZIP"
                } else {
                    "fichier de facture"
                }
            ),
            format!(
                "“{name}” is {got} MB; a {} is at most {mb} MB.",
                if format == Format::Zip {
                    "ZIP"
                } else {
                    "single invoice file"
                }
            ),
            "Découpez le dépôt en plusieurs flux.",
            "Split the deposit into several flows.",
        )]));
    }
    let files = if format == Format::Zip {
        zip::unzip(&name, req.bytes).map_err(DepositRefused::File)?
    } else {
        vec![FlowFile {
            name: name.clone(),
            bytes: req.bytes.to_vec(),
        }]
    };
    let now = store.clock().now_ms();
    let invoices = files
        .iter()
        .enumerate()
        .map(|(n, f)| FlowInvoice {
            index: n as u32,
            filename: f.name.clone(),
            number: String::new(),
            recipient: String::new(),
            verdict: Verdict::Pending,
            invoice_id: None,
            errors: Vec::new(),
            decided_ms: None,
        })
        .collect();
    let flow = DataFlow {
        id: new_flow_id(now),
        structure: req.structure.to_string(),
        created_ms: now,
        updated_ms: now,
        filename: name,
        format: format.as_str().into(),
        size: req.bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(req.bytes)),
        mode: req.mode,
        source: req.source,
        status: FlowStatus::Received,
        errors: Vec::new(),
        invoices,
    };
    store.deposit_flow(&flow, req.bytes, &files, ISSUED_AREA, PLATFORM_AREA)?;
    tracing::info!(flow = %flow.id, structure = %flow.structure, invoices = flow.invoices.len(), format = %flow.format, "flow deposited");
    Ok(flow)
}

/// The error of an invoice Issued invoices never processed: what the
/// delivery worker said (`reason`, a message reference), in both languages,
/// and the fix that fits it.
fn not_integrated(reason: &str) -> FlowError {
    use crate::i18n::{Lang, MESSAGE_PREFIX, translate_message};
    let key = reason
        .strip_prefix(MESSAGE_PREFIX)
        .and_then(|r| r.split(' ').next())
        .unwrap_or("");
    let (code, fr, en) = match key {
        crate::delivery::QUOTA_FULL => (
            "FLOW-STORAGE-FULL",
            "Supprimez les brouillons et pièces dont la structure n'a plus besoin dans « Factures émises », ou demandez à l'exploitant du portail d'augmenter `limits.storage-mib` de l'espace, puis déposez à nouveau les factures non intégrées.",
            "Delete drafts and files the structure no longer needs in “Issued invoices”, or ask the portal's operator to raise the area's `limits.storage-mib`; then deposit the invoices that were not integrated again.",
        ),
        "delivery.not-added" | "delivery.closed" => (
            "FLOW-NOT-INTEGRATED",
            "Un gestionnaire ajoute l'espace « Factures émises » à la structure, puis déposez le flux à nouveau.",
            "A manager adds the “Issued invoices” area to the structure, then deposit the flow again.",
        ),
        _ => (
            "FLOW-NOT-INTEGRATED",
            "Déposez le flux à nouveau plus tard ; si cette erreur revient, donnez le numéro du flux à l'exploitant du portail.",
            "Deposit the flow again later; if this error comes back, give the flow number to the portal's operator.",
        ),
    };
    FlowError {
        code: code.into(),
        field: String::new(),
        message: Text {
            fr: format!(
                "« Factures émises » n'a pas pu traiter cette facture : {}",
                translate_message(Lang::Fr, None, reason)
            ),
            en: format!(
                "Issued invoices could not process this invoice: {}",
                translate_message(Lang::En, None, reason)
            ),
        },
        fix: Text {
            fr: fr.into(),
            en: en.into(),
        },
    }
}

/// Handles a message addressed to the platform; `Ok(true)` once it left the
/// outbox. Called by the delivery worker instead of an area's `on-message`.
pub fn receive(store: &Store, m: &OutgoingMessage) -> Result<bool, StoreError> {
    let now = store.clock().now_ms();
    // Only an area of the structure itself speaks about its flows.
    let own = m.from_structure == m.to_structure;
    match m.kind.as_str() {
        "flow-invoice-result" if own && m.from_area == ISSUED_AREA => {
            match serde_json::from_str::<InvoiceOutcome>(&m.payload) {
                Ok(outcome) => {
                    let flow = store.flow_invoice_result(&m.from_structure, &outcome, m, now)?;
                    if let Some(f) = flow.filter(|f| f.status.is_final()) {
                        tracing::info!(flow = %f.id, status = f.status.as_str(), "flow settled");
                    }
                }
                Err(e) => {
                    tracing::warn!(message = %m.id, error = %e, "a flow result that does not parse; dropped");
                    store.mark_delivered(m, now)?;
                }
            }
        }
        // An invoice message that could not reach Issued invoices (not open
        // to the structure, out of attempts): the invoice is not receivable.
        DELIVERY_FAILED if m.from_area == PLATFORM_AREA => {
            let v: serde_json::Value = serde_json::from_str(&m.payload).unwrap_or_default();
            let original = v["message-id"].as_str().unwrap_or("");
            let reason = v["reason"].as_str().unwrap_or("").to_string();
            match parse_invoice_message_id(original) {
                Some((flow, index)) => {
                    let outcome = InvoiceOutcome {
                        flow,
                        index,
                        verdict: Verdict::NotReceivable,
                        number: String::new(),
                        recipient: String::new(),
                        invoice_id: None,
                        errors: vec![not_integrated(&reason)],
                    };
                    store.flow_invoice_result(&m.to_structure, &outcome, m, now)?;
                }
                None => store.mark_delivered(m, now)?,
            }
        }
        "invoice-status" if own && m.from_area == ISSUED_AREA => {
            let body: serde_json::Value =
                serde_json::from_str(&m.payload).unwrap_or_else(|_| json!({}));
            store.consume_with_event(m, &m.from_structure, "invoice.status-changed", &body, now)?;
        }
        _ => {
            tracing::warn!(message = %m.id, kind = %m.kind, from = %m.from_area, "a message to the platform it does not handle; dropped");
            store.mark_delivered(m, now)?;
        }
    }
    Ok(true)
}

/// A flow as the API and the area read it: the summary's fields, in the
/// words of the API.
pub fn summary(f: &DataFlow) -> serde_json::Value {
    let count = |v: &[Verdict]| f.invoices.iter().filter(|i| v.contains(&i.verdict)).count();
    json!({
        "id": f.id,
        "created-ms": f.created_ms,
        "updated-ms": f.updated_ms,
        "filename": f.filename,
        "format": f.format,
        "size": f.size,
        "sha256": f.sha256,
        "mode": f.mode,
        "status": f.status.as_str(),
        "chorus-status": f.status.chorus_code(),
        "source": f.source.channel,
        "client": f.source.name,
        "invoices": f.invoices.len(),
        "integrated": count(&[Verdict::Receivable, Verdict::ReceivableWithErrors]),
        "rejected": count(&[Verdict::NotReceivable]),
        "pending": count(&[Verdict::Pending]),
    })
}

/// The detailed report: the summary plus one entry per invoice.
pub fn report(f: &DataFlow) -> serde_json::Value {
    let mut v = summary(f);
    v["errors"] = json!(f.errors);
    v["report"] = f
        .invoices
        .iter()
        .map(|i| {
            json!({
                "index": i.index,
                "filename": i.filename,
                "number": i.number,
                "recipient": i.recipient,
                "verdict": i.verdict,
                "invoice-id": i.invoice_id,
                "errors": i.errors,
                "decided-ms": i.decided_ms,
            })
        })
        .collect();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_reads_the_bytes_not_the_name() {
        assert_eq!(
            sniff(
                "a.pdf",
                b"<?xml version=\"1.0\"?>\n<!-- x --><rsm:CrossIndustryInvoice xmlns:rsm=\"u\">"
            )
            .unwrap(),
            Format::Cii
        );
        assert_eq!(
            sniff("a.xml", b"\xEF\xBB\xBF<Invoice xmlns=\"u\">").unwrap(),
            Format::Ubl
        );
        assert_eq!(sniff("a.xml", b"%PDF-1.7").unwrap(), Format::FacturX);
        assert_eq!(sniff("a", b"PK\x03\x04rest").unwrap(), Format::Zip);
        let e = sniff("a.xml", b"<Order/>").unwrap_err();
        assert_eq!(e.code, "FLOW-XML-ROOT");
        assert!(e.message.en.contains("<Order>"), "{}", e.message.en);
        assert_eq!(sniff("a.xml", b"").unwrap_err().code, "FLOW-EMPTY");
        assert_eq!(sniff("a.xml", b"GIF89a").unwrap_err().code, "FLOW-FORMAT");
    }

    #[test]
    fn names_lose_their_directories_and_controls() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\f\u{7}.xml"), "f.xml");
        assert_eq!(clean_name(".."), "flow");
    }
}
#[cfg(test)]
mod api_tests;
