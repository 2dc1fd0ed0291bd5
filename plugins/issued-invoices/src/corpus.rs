//! The public EN 16931 conformance corpus (not kept in this repository; see
//! `tests/fixtures/en16931/README.md`), and the one change made to an example before it
//! is deposited on a portal: the seller's and buyer's legal registration
//! identifiers (BT-30, BT-47) become SIRETs of structures that exist there,
//! with scheme 0009. Done here, in code, so the files stay as published.

use roxmltree::{Document, Node};

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";

/// Which party to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The seller (BG-4): BT-30.
    Seller,
    /// The buyer (BG-7): BT-47.
    Buyer,
}

fn find<'a, 'i>(n: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

/// The qualified name a node was written with (`cbc:CompanyID`).
fn qname(text: &str, n: Node<'_, '_>) -> String {
    let start = n.range().start + 1;
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or("")
        .to_string()
}

/// The prefix bound to `ns` at `n` (`cbc`), or none for the default namespace.
fn prefix_of(n: Node<'_, '_>, ns: &str) -> String {
    n.namespaces()
        .find(|x| x.uri() == ns)
        .and_then(|x| x.name())
        .map(|p| format!("{p}:"))
        .unwrap_or_default()
}

/// `xml` with the party's legal registration identifier set to `siret`
/// (scheme 0009), replacing the one it has or adding it where the syntax
/// puts it. Everything else stays byte for byte.
pub fn with_siret(xml: &str, role: Role, siret: &str) -> Result<String, String> {
    let doc = Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    let (at, insert) = if root.tag_name().namespace() == Some(RSM) {
        cii_edit(xml, root, role, siret)?
    } else {
        ubl_edit(xml, root, role, siret)?
    };
    let mut out = String::with_capacity(xml.len() + 100);
    out.push_str(&xml[..at.start]);
    out.push_str(&insert);
    out.push_str(&xml[at.end..]);
    Ok(out)
}

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

fn ubl_edit(
    xml: &str,
    root: Node<'_, '_>,
    role: Role,
    siret: &str,
) -> Result<(std::ops::Range<usize>, String), String> {
    let wrapper = match role {
        Role::Seller => "AccountingSupplierParty",
        Role::Buyer => "AccountingCustomerParty",
    };
    let party = find(root, CAC, wrapper)
        .and_then(|w| find(w, CAC, "Party"))
        .ok_or_else(|| format!("no cac:{wrapper}/cac:Party"))?;
    let cbc = prefix_of(party, CBC);
    let cac = prefix_of(party, CAC);
    let element = format!("<{cbc}CompanyID schemeID=\"0009\">{siret}</{cbc}CompanyID>");
    if let Some(entity) = find(party, CAC, "PartyLegalEntity") {
        if let Some(id) = find(entity, CBC, "CompanyID") {
            let q = qname(xml, id);
            return Ok((id.range(), format!("<{q} schemeID=\"0009\">{siret}</{q}>")));
        }
        // After the registration name, as the schema orders them.
        let after = find(entity, CBC, "RegistrationName")
            .map(|n| n.range().end)
            .unwrap_or_else(|| {
                xml[..entity.range().end]
                    .rfind('<')
                    .unwrap_or(entity.range().end)
            });
        return Ok((after..after, element));
    }
    // No legal entity: add one before the contact, or at the party's end.
    let before = find(party, CAC, "Contact")
        .map(|n| n.range().start)
        .unwrap_or_else(|| {
            xml[..party.range().end]
                .rfind('<')
                .unwrap_or(party.range().end)
        });
    Ok((
        before..before,
        format!("<{cac}PartyLegalEntity>{element}</{cac}PartyLegalEntity>"),
    ))
}

fn cii_edit(
    xml: &str,
    root: Node<'_, '_>,
    role: Role,
    siret: &str,
) -> Result<(std::ops::Range<usize>, String), String> {
    let name = match role {
        Role::Seller => "SellerTradeParty",
        Role::Buyer => "BuyerTradeParty",
    };
    let party = find(root, RSM, "SupplyChainTradeTransaction")
        .and_then(|t| find(t, RAM, "ApplicableHeaderTradeAgreement"))
        .and_then(|a| find(a, RAM, name))
        .ok_or_else(|| format!("no ram:{name}"))?;
    let ram = prefix_of(party, RAM);
    let id = format!("<{ram}ID schemeID=\"0009\">{siret}</{ram}ID>");
    if let Some(org) = find(party, RAM, "SpecifiedLegalOrganization") {
        if let Some(old) = find(org, RAM, "ID") {
            return Ok((old.range(), id));
        }
        let inside = xml[org.range()]
            .find('>')
            .map_or(org.range().start, |p| org.range().start + p + 1);
        return Ok((inside..inside, id));
    }
    // The legal organisation comes after the name and description.
    let after = ["Description", "RoleCode", "Name"]
        .iter()
        .find_map(|n| find(party, RAM, n))
        .map(|n| n.range().end)
        .unwrap_or_else(|| {
            xml[party.range()]
                .find('>')
                .map_or(party.range().start, |p| party.range().start + p + 1)
        });
    Ok((
        after..after,
        format!("<{ram}SpecifiedLegalOrganization>{id}</{ram}SpecifiedLegalOrganization>"),
    ))
}
