//! Data flows: invoice files deposited by a program (the API) or a person
//! (the Data flow overview area), followed to the last invoice; and the
//! webhooks that tell a client what became of them.
//!
//! A deposit is one transaction ([`Store::deposit_flow`]): the flow record,
//! its files (the original, and each invoice of a zip, in the file store
//! when large) and one durable message per invoice to the structure's
//! Issued invoices, so a flow number given out is never lost and never
//! half-queued. Each invoice's verdict comes back as a message to the
//! platform (`crate::dataflows`), recorded with [`Store::flow_invoice_result`]
//! in the same transaction that takes that message out of the outbox; the
//! last verdict settles the flow's status and queues the webhook event.
//!
//! Webhooks: `WebhookQueue` holds events (fanned out to each registration
//! of the structure in one transaction) and deliveries (retried with
//! backoff); `WebhookLog` keeps every attempt, newest first per structure.

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::keys::KeyBuf;
use super::outbox::{OutgoingMessage, consume, queue};
use super::{Result, Store, StoreError, decode, tx_read, tx_write};

/// Whether a flow's invoices may reach their recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowMode {
    /// Integrated and sent, as if entered by hand.
    Production,
    /// Everything checked and reported, nothing kept, nothing sent.
    Qualification,
}

/// A flow's status (brief §9.3: IN_RECU, IN_EN_COURS_TRAITEMENT_CPP,
/// IN_INTEGRE, IN_INTEGRE_PARTIEL, IN_REJETE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowStatus {
    /// Recorded, nothing checked yet.
    Received,
    /// Some invoices have their verdict, not all.
    InProcessing,
    /// Every invoice is receivable.
    Integrated,
    /// Some invoices are receivable, some not.
    PartiallyIntegrated,
    /// No invoice is receivable (or the file itself could not be read).
    Rejected,
}

impl FlowStatus {
    /// The spelling of the API and the area's filters.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::Received => "received",
            FlowStatus::InProcessing => "in-processing",
            FlowStatus::Integrated => "integrated",
            FlowStatus::PartiallyIntegrated => "partially-integrated",
            FlowStatus::Rejected => "rejected",
        }
    }

    /// Chorus Pro's code for the same status.
    pub fn chorus_code(self) -> &'static str {
        match self {
            FlowStatus::Received => "IN_RECU",
            FlowStatus::InProcessing => "IN_EN_COURS_TRAITEMENT_CPP",
            FlowStatus::Integrated => "IN_INTEGRE",
            FlowStatus::PartiallyIntegrated => "IN_INTEGRE_PARTIEL",
            FlowStatus::Rejected => "IN_REJETE",
        }
    }

    /// Whether nothing will change any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            FlowStatus::Integrated | FlowStatus::PartiallyIntegrated | FlowStatus::Rejected
        )
    }
}

/// One invoice's verdict (brief §9.3: QP_RECEVABLE, QP_RECEVABLE_AVEC_ERREUR,
/// QP_IRRECEVABLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Not checked yet.
    Pending,
    /// Integrated (or, in qualification, would be).
    Receivable,
    /// Integrated, but it could not reach its recipient (routing failed
    /// after the checks): the errors say why.
    ReceivableWithErrors,
    /// Refused: the errors say why and how to fix each.
    NotReceivable,
}

/// A text in both languages of the portal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

impl Text {
    /// The same words in both languages (codes, names).
    pub fn both(s: &str) -> Text {
        Text {
            fr: s.into(),
            en: s.into(),
        }
    }
}

/// One error of a report: what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowError {
    /// Rule or error code, e.g. `BR-16`, `CHORUS-BUYER`, `FLOW-ZIP-NESTED`.
    pub code: String,
    /// The field (business term such as `BT-48`, or `file`).
    pub field: String,
    /// What is wrong.
    pub message: Text,
    /// What would be right.
    pub fix: Text,
}

/// One invoice of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowInvoice {
    /// Position in the flow, from 0.
    pub index: u32,
    /// File name (a zip member's name, or the flow's file name).
    pub filename: String,
    /// Invoice number (BT-1), once read.
    pub number: String,
    /// Recipient identifier (buyer's SIRET), once read.
    pub recipient: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// The Issued invoices id, when integrated in production.
    pub invoice_id: Option<String>,
    /// Why it is not (or not fully) receivable.
    pub errors: Vec<FlowError>,
    /// When its verdict came.
    pub decided_ms: Option<u64>,
}

/// Who deposited a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSource {
    /// `portal` (a person, in the Data flow overview) or `api` (a client).
    pub channel: String,
    /// The person's name or the client's name.
    pub name: String,
    /// The API client's id, for API deposits.
    pub client_id: Option<String>,
}

/// A deposited flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFlow {
    /// The flow number.
    pub id: String,
    /// The depositing structure.
    pub structure: String,
    /// Deposit time.
    pub created_ms: u64,
    /// Last change.
    pub updated_ms: u64,
    /// File name as deposited.
    pub filename: String,
    /// `ubl`, `cii`, `factur-x` or `zip` (what the file was read as).
    pub format: String,
    /// Size in bytes of the deposited file.
    pub size: u64,
    /// sha256 of the deposited file, hex.
    pub sha256: String,
    /// Production or qualification.
    pub mode: FlowMode,
    /// Who deposited it.
    pub source: FlowSource,
    /// Its status.
    pub status: FlowStatus,
    /// Errors of the flow itself (a file that could not be opened).
    pub errors: Vec<FlowError>,
    /// Its invoices, in file order.
    pub invoices: Vec<FlowInvoice>,
}

impl DataFlow {
    /// Recomputes the status from the invoices' verdicts.
    pub fn settle(&mut self) {
        let total = self.invoices.len();
        let pending = self
            .invoices
            .iter()
            .filter(|i| i.verdict == Verdict::Pending)
            .count();
        let refused = self
            .invoices
            .iter()
            .filter(|i| i.verdict == Verdict::NotReceivable)
            .count();
        self.status = if total == 0 {
            FlowStatus::Rejected
        } else if pending == total {
            FlowStatus::Received
        } else if pending > 0 {
            FlowStatus::InProcessing
        } else if refused == 0 {
            FlowStatus::Integrated
        } else if refused == total {
            FlowStatus::Rejected
        } else {
            FlowStatus::PartiallyIntegrated
        };
    }
}

/// What Issued invoices answers for one invoice of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceOutcome {
    /// The flow.
    pub flow: String,
    /// The invoice's index in it.
    pub index: u32,
    /// Its verdict (never `pending`).
    pub verdict: Verdict,
    /// Number read, if any.
    #[serde(default)]
    pub number: String,
    /// Recipient read, if any.
    #[serde(default)]
    pub recipient: String,
    /// The new invoice's id.
    #[serde(default)]
    pub invoice_id: Option<String>,
    /// Errors.
    #[serde(default)]
    pub errors: Vec<FlowError>,
}

/// One file of a deposit, as it will be stored.
#[derive(Debug)]
pub struct FlowFile {
    /// Its name.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A webhook registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Its id.
    pub id: String,
    /// The structure whose events it receives.
    pub structure: String,
    /// The API client that registered it.
    pub client_id: String,
    /// The client's name, for the log.
    pub client_name: String,
    /// Where notifications are POSTed.
    pub url: String,
    /// The signing secret (shown once to the client; the host needs it to sign).
    pub secret: String,
    /// When it was registered.
    pub created_ms: u64,
}

/// A queued webhook item: an event to fan out, or one delivery to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookItem {
    /// Queue id: due time first.
    pub id: String,
    /// The structure.
    pub structure: String,
    /// `flow.completed`, `invoice.status-changed`…
    pub event: String,
    /// The JSON body (without the envelope's id and time).
    pub body: String,
    /// When the event happened.
    pub created_ms: u64,
    /// For a delivery: the webhook; `None` for an event not fanned out yet.
    pub webhook: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Not before.
    pub next_attempt_ms: u64,
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookLogEntry {
    /// When the attempt was made.
    pub at_ms: u64,
    /// The event.
    pub event: String,
    /// The webhook's id.
    pub webhook: String,
    /// Where it went.
    pub url: String,
    /// HTTP status answered, if any.
    pub status: Option<u16>,
    /// Which attempt (1 = first).
    pub attempt: u32,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Whether this attempt was the last (success, or given up).
    pub settled: bool,
    /// The event's queue id (the delivery's `id` in the envelope).
    pub delivery: String,
}

/// A new flow number: deposit time (ms, 13 digits) then 8 random hex digits.
pub fn new_flow_id(now_ms: u64) -> String {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    format!("{now_ms:013}-{}", hex::encode(bytes))
}

/// Whether `id` has the shape of a flow number (anything else is unknown
/// without a read).
pub fn is_flow_id(id: &str) -> bool {
    id.len() == 22
        && id.as_bytes()[13] == b'-'
        && id[..13].bytes().all(|b| b.is_ascii_digit())
        && id[14..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The message id of invoice `index` of flow `flow`: time first (the outbox
/// walks oldest first), and the flow and index recoverable from a bounce.
pub fn invoice_message_id(now_ms: u64, flow: &str, index: u32) -> String {
    format!("{now_ms:013}-flow-{flow}-{index}")
}

/// The flow and index of a message id made by [`invoice_message_id`].
pub fn parse_invoice_message_id(id: &str) -> Option<(String, u32)> {
    let rest = id.get(14..)?.strip_prefix("flow-")?;
    let (flow, index) = rest.rsplit_once('-')?;
    is_flow_id(flow).then_some(())?;
    Some((flow.to_string(), index.parse().ok()?))
}

fn created_of(id: &str) -> u64 {
    id.get(..13).and_then(|t| t.parse().ok()).unwrap_or(0)
}

fn flow_key(structure: &str, id: &str) -> Vec<u8> {
    let inverted = u64::MAX - created_of(id);
    KeyBuf::new()
        .part(structure.as_bytes())
        .raw(format!("{inverted:016x}/{id}").as_bytes())
        .finish()
}

fn flows_prefix(structure: &str) -> Vec<u8> {
    KeyBuf::new().part(structure.as_bytes()).finish()
}

fn file_key(flow: &str, which: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(flow.as_bytes())
        .raw(which.as_bytes())
        .finish()
}

fn webhook_key(structure: &str, id: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .raw(id.as_bytes())
        .finish()
}

fn log_key(structure: &str, at_ms: u64, id: &str) -> Vec<u8> {
    let inverted = u64::MAX - at_ms;
    KeyBuf::new()
        .part(structure.as_bytes())
        .raw(format!("{inverted:016x}/{id}").as_bytes())
        .finish()
}

/// A queue id due at `at_ms`.
pub fn new_queue_id(at_ms: u64) -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    format!("{at_ms:013}-{}", hex::encode(bytes))
}

impl Store {
    /// Records a deposited flow, its files and one message per invoice to
    /// `to_area` of the structure, in one durable transaction. `invoices`
    /// empty (a file that could not be opened) records a rejected flow.
    pub fn deposit_flow(
        &self,
        flow: &DataFlow,
        original: &[u8],
        invoices: &[FlowFile],
        to_area: &str,
        from_area: &str,
    ) -> Result<()> {
        let now = flow.created_ms;
        let stored_original = self.inner.large.encode(original)?;
        let mut stored = Vec::with_capacity(invoices.len());
        for (n, f) in invoices.iter().enumerate() {
            // A lone file is its own invoice: the file store keeps one copy.
            stored.push((n, self.inner.large.encode(&f.bytes)?));
        }
        let messages: Vec<OutgoingMessage> = flow
            .invoices
            .iter()
            .map(|inv| OutgoingMessage {
                id: invoice_message_id(now, &flow.id, inv.index),
                from_structure: flow.structure.clone(),
                from_area: from_area.into(),
                to_structure: flow.structure.clone(),
                to_area: to_area.into(),
                kind: "flow-invoice".into(),
                payload: serde_json::json!({
                    "flow": flow.id,
                    "index": inv.index,
                    "filename": inv.filename,
                    "mode": flow.mode,
                })
                .to_string(),
            })
            .collect();
        let key = flow_key(&flow.structure, &flow.id);
        let final_event = flow.status.is_final().then(|| flow_event(flow, now));
        self.write(|tx| {
            if tx.get(TreeId::DataFlows, &key)?.is_some() {
                return Err(StoreError::Conflict(format!("flow {} exists", flow.id)));
            }
            tx_write(tx, TreeId::DataFlows, &key, flow)?;
            tx.put(
                TreeId::DataFlowFiles,
                &file_key(&flow.id, "original"),
                stored_original.stored(),
            )?;
            stored_original.put_row(tx)?;
            for (n, s) in &stored {
                tx.put(
                    TreeId::DataFlowFiles,
                    &file_key(&flow.id, &n.to_string()),
                    s.stored(),
                )?;
                s.put_row(tx)?;
            }
            for m in &messages {
                queue(tx, m, now)?;
            }
            if let Some(e) = &final_event {
                tx_write(tx, TreeId::WebhookQueue, e.id.as_bytes(), e)?;
            }
            Ok(())
        })
    }

    /// One flow of `structure`.
    pub fn data_flow(&self, structure: &str, id: &str) -> Result<Option<DataFlow>> {
        if !is_flow_id(id) {
            return Ok(None);
        }
        self.read(TreeId::DataFlows, &flow_key(structure, id))
    }

    /// Flows of `structure`, newest first, deposited in `[from_ms, to_ms)`,
    /// kept by `keep`, at most `limit`.
    pub fn data_flows(
        &self,
        structure: &str,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
        mut keep: impl FnMut(&DataFlow) -> bool,
    ) -> Result<Vec<DataFlow>> {
        let prefix = flows_prefix(structure);
        // Newest first: start at the first key deposited before `to_ms`.
        let start = KeyBuf::new()
            .part(structure.as_bytes())
            .raw(format!("{:016x}", u64::MAX - to_ms).as_bytes())
            .finish();
        let mut after = Some(start);
        let mut out = Vec::new();
        loop {
            let page = self
                .backend()
                .scan(TreeId::DataFlows, &prefix, after.as_deref(), 200)?;
            let full = page.len() == 200;
            for (k, v) in &page {
                let flow: DataFlow = decode(TreeId::DataFlows, k, v)?;
                if flow.created_ms < from_ms {
                    return Ok(out);
                }
                if flow.created_ms < to_ms && keep(&flow) {
                    out.push(flow);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
            if !full {
                return Ok(out);
            }
            after = page.into_iter().last().map(|(k, _)| k);
        }
    }

    /// A stored file of a flow: `original`, or an invoice's index.
    pub fn data_flow_file(&self, flow: &str, which: &str) -> Result<Option<Vec<u8>>> {
        match self
            .backend()
            .get(TreeId::DataFlowFiles, &file_key(flow, which))?
        {
            Some(stored) => Ok(Some(self.large_decode(&stored)?)),
            None => Ok(None),
        }
    }

    /// Records Issued invoices' verdict on one invoice and takes `message`
    /// (the verdict, or the bounce of the invoice's message) out of the
    /// outbox, in one transaction. A verdict for an invoice already decided
    /// (a redelivery) changes nothing. Returns the flow as it now stands.
    pub fn flow_invoice_result(
        &self,
        structure: &str,
        outcome: &InvoiceOutcome,
        message: &OutgoingMessage,
        now_ms: u64,
    ) -> Result<Option<DataFlow>> {
        let key = flow_key(structure, &outcome.flow);
        let event_id = new_queue_id(now_ms);
        self.write(|tx| {
            consume(tx, message, now_ms)?;
            let Some(mut flow) = tx_read::<DataFlow>(tx, TreeId::DataFlows, &key)? else {
                return Ok(None);
            };
            let Some(inv) = flow.invoices.iter_mut().find(|i| i.index == outcome.index) else {
                return Ok(Some(flow));
            };
            if inv.verdict != Verdict::Pending || outcome.verdict == Verdict::Pending {
                return Ok(Some(flow));
            }
            inv.verdict = outcome.verdict;
            if !outcome.number.is_empty() {
                inv.number = outcome.number.clone();
            }
            if !outcome.recipient.is_empty() {
                inv.recipient = outcome.recipient.clone();
            }
            inv.invoice_id = outcome.invoice_id.clone();
            inv.errors = outcome.errors.clone();
            inv.decided_ms = Some(now_ms);
            flow.settle();
            flow.updated_ms = now_ms;
            tx_write(tx, TreeId::DataFlows, &key, &flow)?;
            if flow.status.is_final() {
                let mut e = flow_event(&flow, now_ms);
                e.id = event_id.clone();
                tx_write(tx, TreeId::WebhookQueue, e.id.as_bytes(), &e)?;
            }
            Ok(Some(flow))
        })
    }

    /// Takes `message` out of the outbox and queues webhook event `event`
    /// of `structure`, in one transaction.
    pub fn consume_with_event(
        &self,
        message: &OutgoingMessage,
        structure: &str,
        event: &str,
        body: &serde_json::Value,
        now_ms: u64,
    ) -> Result<()> {
        let item = WebhookItem {
            id: new_queue_id(now_ms),
            structure: structure.into(),
            event: event.into(),
            body: body.to_string(),
            created_ms: now_ms,
            webhook: None,
            attempts: 0,
            next_attempt_ms: now_ms,
        };
        self.write(|tx| {
            consume(tx, message, now_ms)?;
            tx_write(tx, TreeId::WebhookQueue, item.id.as_bytes(), &item)
        })
    }

    /// Registers a webhook.
    pub fn webhook_add(&self, w: &Webhook) -> Result<()> {
        let key = webhook_key(&w.structure, &w.id);
        self.write(|tx| tx_write(tx, TreeId::Webhooks, &key, w))
    }

    /// Removes a webhook of `structure`; true if it existed.
    pub fn webhook_remove(&self, structure: &str, id: &str) -> Result<bool> {
        let key = webhook_key(structure, id);
        self.write(|tx| tx.delete(TreeId::Webhooks, &key))
    }

    /// The webhooks of `structure`.
    pub fn webhooks(&self, structure: &str) -> Result<Vec<Webhook>> {
        self.records(TreeId::Webhooks, &flows_prefix(structure))
    }

    /// One webhook.
    pub fn webhook(&self, structure: &str, id: &str) -> Result<Option<Webhook>> {
        self.read(TreeId::Webhooks, &webhook_key(structure, id))
    }

    /// Up to `limit` queued webhook items, soonest first.
    pub fn webhook_queue(&self, limit: usize) -> Result<Vec<WebhookItem>> {
        self.backend()
            .scan(TreeId::WebhookQueue, b"", None, limit)?
            .into_iter()
            .map(|(k, v)| decode(TreeId::WebhookQueue, &k, &v))
            .collect()
    }

    /// Replaces event `event` by one delivery per webhook of its structure
    /// (none: the event is dropped, nobody listens).
    pub fn webhook_fan_out(&self, event: &WebhookItem, hooks: &[Webhook]) -> Result<()> {
        let deliveries: Vec<WebhookItem> = hooks
            .iter()
            .map(|h| WebhookItem {
                id: new_queue_id(event.next_attempt_ms),
                webhook: Some(h.id.clone()),
                ..event.clone()
            })
            .collect();
        self.write(|tx| {
            if tx.delete(TreeId::WebhookQueue, event.id.as_bytes())? {
                for d in &deliveries {
                    tx_write(tx, TreeId::WebhookQueue, d.id.as_bytes(), d)?;
                }
            }
            Ok(())
        })
    }

    /// Records one delivery attempt: logs it and either removes the item
    /// (`retry_at` none: delivered or given up) or moves it to `retry_at`.
    pub fn webhook_attempted(
        &self,
        item: &WebhookItem,
        entry: &WebhookLogEntry,
        retry_at: Option<u64>,
    ) -> Result<()> {
        let log = log_key(&item.structure, entry.at_ms, &new_queue_id(entry.at_ms));
        let moved = retry_at.map(|at| WebhookItem {
            id: format!("{at:013}{}", &item.id[13..]),
            attempts: item.attempts + 1,
            next_attempt_ms: at,
            ..item.clone()
        });
        self.write(|tx| {
            if !tx.delete(TreeId::WebhookQueue, item.id.as_bytes())? {
                return Ok(());
            }
            tx_write(tx, TreeId::WebhookLog, &log, entry)?;
            if let Some(m) = &moved {
                tx_write(tx, TreeId::WebhookQueue, m.id.as_bytes(), m)?;
            }
            Ok(())
        })
    }

    /// The newest `limit` delivery attempts of `structure`.
    pub fn webhook_log(&self, structure: &str, limit: usize) -> Result<Vec<WebhookLogEntry>> {
        let out = self
            .backend()
            .scan(TreeId::WebhookLog, &flows_prefix(structure), None, limit)?;
        out.into_iter()
            .map(|(k, v)| decode(TreeId::WebhookLog, &k, &v))
            .collect()
    }
}

/// The `flow.completed` event of a settled flow.
fn flow_event(flow: &DataFlow, now_ms: u64) -> WebhookItem {
    WebhookItem {
        id: new_queue_id(now_ms),
        structure: flow.structure.clone(),
        event: "flow.completed".into(),
        body: serde_json::json!({
            "flow": flow.id,
            "status": flow.status.as_str(),
            "chorus-status": flow.status.chorus_code(),
            "mode": flow.mode,
            "invoices": flow.invoices.len(),
            "receivable": flow.invoices.iter().filter(|i| i.verdict != Verdict::NotReceivable).count(),
            "report": format!("/api/v1/flows/{}/report", flow.id),
        })
        .to_string(),
        created_ms: now_ms,
        webhook: None,
        attempts: 0,
        next_attempt_ms: now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_carry_the_flow_and_the_index() {
        let flow = new_flow_id(1_700_000_000_000);
        assert!(is_flow_id(&flow), "{flow}");
        let id = invoice_message_id(1_700_000_000_123, &flow, 41);
        assert_eq!(parse_invoice_message_id(&id), Some((flow, 41)));
        assert_eq!(
            parse_invoice_message_id("1700000000000-abcdef0123456789"),
            None
        );
        assert!(!is_flow_id("../../etc/passwd"));
    }

    #[test]
    fn status_follows_the_verdicts() {
        let inv = |verdict| FlowInvoice {
            index: 0,
            filename: String::new(),
            number: String::new(),
            recipient: String::new(),
            verdict,
            invoice_id: None,
            errors: Vec::new(),
            decided_ms: None,
        };
        let mut f = DataFlow {
            id: new_flow_id(1),
            structure: "s".into(),
            created_ms: 1,
            updated_ms: 1,
            filename: "a.zip".into(),
            format: "zip".into(),
            size: 1,
            sha256: String::new(),
            mode: FlowMode::Production,
            source: FlowSource {
                channel: "api".into(),
                name: "ERP".into(),
                client_id: None,
            },
            status: FlowStatus::Received,
            errors: Vec::new(),
            invoices: vec![inv(Verdict::Pending), inv(Verdict::Pending)],
        };
        f.settle();
        assert_eq!(f.status, FlowStatus::Received);
        f.invoices[0].verdict = Verdict::Receivable;
        f.settle();
        assert_eq!(f.status, FlowStatus::InProcessing);
        f.invoices[1].verdict = Verdict::NotReceivable;
        f.settle();
        assert_eq!(f.status, FlowStatus::PartiallyIntegrated);
        f.invoices[0].verdict = Verdict::NotReceivable;
        f.settle();
        assert_eq!(f.status, FlowStatus::Rejected);
        f.invoices[0].verdict = Verdict::ReceivableWithErrors;
        f.invoices[1].verdict = Verdict::Receivable;
        f.settle();
        assert_eq!(f.status, FlowStatus::Integrated);
    }
}
