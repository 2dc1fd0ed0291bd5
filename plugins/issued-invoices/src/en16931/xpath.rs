//! Walking a parsed document by (namespace, local name) steps, and reading
//! values with the finding that a malformed one gives.

use super::decimal::Dec;
use super::findings::Finding;
use roxmltree::Node;

pub(crate) const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
pub(crate) const CAC: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
pub(crate) const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
pub(crate) const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
pub(crate) const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

/// One step of a path: (namespace, local name).
pub(crate) type Step = (&'static str, &'static str);

pub(crate) fn is(n: Node<'_, '_>, (ns, name): Step) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(ns)
}

pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, step: Step) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(*c, step))
}

pub(crate) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    step: Step,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| is(*c, step))
}

pub(crate) fn at<'a, 'i>(node: Node<'a, 'i>, path: &[Step]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |n, s| child(n, *s))
}

/// The trimmed text at `path`, if present and not blank.
pub(crate) fn text(node: Node<'_, '_>, path: &[Step]) -> Option<String> {
    at(node, path).and_then(own_text)
}

/// A node's own trimmed text, if not blank.
pub(crate) fn own_text(n: Node<'_, '_>) -> Option<String> {
    let t: String = n
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// An attribute of the node at `path`.
pub(crate) fn attr(node: Node<'_, '_>, path: &[Step], name: &str) -> Option<String> {
    at(node, path)
        .and_then(|n| n.attribute(name))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Reads decimals, collecting a finding for each value that is not one.
#[derive(Default)]
pub(crate) struct Numbers {
    pub(crate) findings: Vec<Finding>,
}

impl Numbers {
    /// The decimal at `path` under `node`; `term` names it in a finding.
    pub(crate) fn dec(
        &mut self,
        node: Node<'_, '_>,
        path: &[Step],
        term: &'static str,
    ) -> Option<Dec> {
        at(node, path).and_then(|n| self.of(n, term))
    }

    /// The decimal a node holds.
    pub(crate) fn of(&mut self, n: Node<'_, '_>, term: &'static str) -> Option<Dec> {
        let t = own_text(n)?;
        match Dec::parse(&t) {
            Ok(d) => Some(d),
            Err(_) => {
                self.findings.push(Finding::new("NUMBER", term, t, ""));
                None
            }
        }
    }
}
