//! Where things are in the text. serde_yaml 0.9 gives no spans for values, so
//! a small scan of the block-style YAML finds each item of `areas:` and each
//! `key:` inside it (and one level below `limits:` and `requires:`). Anything
//! it does not understand (flow mappings, anchors) falls back to the item's
//! line, then to the `areas:` line: a line a little early, never a wrong file.

use std::collections::BTreeMap;

/// Fields whose nested keys are indexed as `parent.child`.
const NESTED: [&str; 2] = ["limits", "requires"];

/// Lines of the `areas` items, in file order.
#[derive(Debug, Default)]
pub(super) struct LineIndex {
    /// Line of the `areas:` key (1 if absent).
    areas_line: usize,
    items: Vec<ItemLines>,
}

/// Lines inside one item.
#[derive(Debug, Clone, Default)]
pub(super) struct ItemLines {
    /// The line of the item's `-`.
    pub(super) line: usize,
    /// `key` or `parent.child` → line.
    pub(super) keys: BTreeMap<String, usize>,
}

impl ItemLines {
    /// The line of `field` (`roles`, `limits.memory-mib`): the field's own
    /// line, else its parent's, else the item's.
    pub(super) fn of(&self, field: &str) -> usize {
        if let Some(line) = self.keys.get(field) {
            return *line;
        }
        if let Some((parent, _)) = field.split_once('.')
            && let Some(line) = self.keys.get(parent)
        {
            return *line;
        }
        self.line
    }
}

impl LineIndex {
    /// Scans `text`.
    pub(super) fn new(text: &str) -> LineIndex {
        let mut index = LineIndex {
            areas_line: 1,
            items: Vec::new(),
        };
        let mut in_areas = false;
        let mut item_indent: Option<usize> = None;
        // Column of the item's keys, once known.
        let mut key_col: Option<usize> = None;
        // The current top-level key of the item if it is one of NESTED, and
        // the column of its children once known.
        let mut parent: Option<String> = None;
        let mut child_col: Option<usize> = None;

        for (n, raw) in text.lines().enumerate() {
            let number = n + 1;
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let content = raw[indent..].trim_end();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if indent == 0 && !content.starts_with('-') {
                // A top-level key: `areas:` starts the section, anything else ends it.
                in_areas = key_of(content) == Some("areas");
                if in_areas {
                    index.areas_line = number;
                }
                item_indent = None;
                continue;
            }
            if !in_areas {
                continue;
            }
            let item_col = *item_indent.get_or_insert(indent);
            if indent == item_col {
                let Some(rest) = list_item(content) else {
                    continue;
                };
                let mut item = ItemLines {
                    line: number,
                    keys: BTreeMap::new(),
                };
                parent = None;
                child_col = None;
                key_col = None;
                if !rest.is_empty() {
                    key_col = Some(indent + (content.len() - rest.len()));
                    if let Some(key) = key_of(rest) {
                        item.keys.insert(key.to_owned(), number);
                        parent = nested_parent(key, rest);
                    }
                }
                index.items.push(item);
                continue;
            }
            let Some(item) = index.items.last_mut() else {
                continue;
            };
            if indent < item_col {
                continue;
            }
            let col = *key_col.get_or_insert(indent);
            if indent == col {
                child_col = None;
                parent = None;
                if let Some(key) = key_of(content) {
                    item.keys.entry(key.to_owned()).or_insert(number);
                    parent = nested_parent(key, content);
                }
            } else if indent > col
                && let Some(p) = &parent
                && *child_col.get_or_insert(indent) == indent
                && let Some(key) = key_of(content)
            {
                item.keys.entry(format!("{p}.{key}")).or_insert(number);
            }
        }
        index
    }

    /// Lines of the `i`th item (0-based); a placeholder on the `areas:` line
    /// if the scan did not find it.
    pub(super) fn item(&self, i: usize) -> ItemLines {
        self.items.get(i).cloned().unwrap_or_else(|| ItemLines {
            line: self.areas_line,
            keys: BTreeMap::new(),
        })
    }
}

/// The text after `- ` if `content` is a list item.
fn list_item(content: &str) -> Option<&str> {
    if content == "-" {
        return Some("");
    }
    content
        .strip_prefix("- ")
        .map(|rest| rest.trim_start_matches(' '))
}

/// The key of a `key: value` or `key:` line, unquoted.
fn key_of(content: &str) -> Option<&str> {
    for quote in ['"', '\''] {
        if let Some(rest) = content.strip_prefix(quote) {
            let end = rest.find(quote)?;
            return rest[end + 1..].starts_with(':').then_some(&rest[..end]);
        }
    }
    if content.starts_with(['{', '[', '-', '&', '*', '!', '|', '>']) {
        return None;
    }
    let colon = content
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| matches!(content.as_bytes().get(i + 1), None | Some(b' ')))?;
    let key = content[..colon].trim_end();
    (!key.is_empty()).then_some(key)
}

/// `Some(key)` when `key` is one whose children are indexed and its value
/// continues on the next lines (not a flow mapping on the same line).
fn nested_parent(key: &str, line: &str) -> Option<String> {
    if !NESTED.contains(&key) {
        return None;
    }
    let after = line.split_once(':').map_or("", |(_, v)| v.trim());
    (after.is_empty() || after.starts_with('#')).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# header comment
areas:
  - id: first
    title: First
    limits:
      memory-mib: 32
      timeout-ms: 900
    requires: { second: \"^1\" }

  - id: second
    title: >
      folded: not a key
    'roles': [user]
  - { id: third, title: Third }
  -
    id: fourth
    requires:
      first: \"^1\"
other: 1
  - id: not-an-item
";

    #[test]
    fn finds_items_and_keys() {
        let index = LineIndex::new(TEXT);
        assert_eq!(index.items.len(), 4);
        let first = index.item(0);
        assert_eq!(first.line, 3);
        assert_eq!(first.of("id"), 3);
        assert_eq!(first.of("title"), 4);
        assert_eq!(first.of("limits"), 5);
        assert_eq!(first.of("limits.memory-mib"), 6);
        assert_eq!(first.of("limits.timeout-ms"), 7);
        assert_eq!(
            first.of("requires.second"),
            8,
            "flow mapping: the parent's line"
        );
        assert_eq!(first.of("plugin"), 3, "absent field: the item's line");

        let second = index.item(1);
        assert_eq!(second.line, 10);
        assert_eq!(second.of("roles"), 13, "quoted key");
        assert!(!second.keys.contains_key("folded"));

        let third = index.item(2);
        assert_eq!((third.line, third.of("title")), (14, 14));

        let fourth = index.item(3);
        assert_eq!(fourth.line, 15);
        assert_eq!(fourth.of("id"), 16);
        assert_eq!(fourth.of("requires.first"), 18);

        assert_eq!(index.item(9).line, 2, "unknown item: the `areas:` line");
    }

    #[test]
    fn zero_indented_list() {
        let index = LineIndex::new("areas:\n- id: a\n  title: A\n- id: b\n");
        assert_eq!(index.item(0).of("title"), 3);
        assert_eq!(index.item(1).line, 4);
    }

    #[test]
    fn keys_with_colons_in_values() {
        assert_eq!(key_of("when: \"a: b\""), Some("when"));
        assert_eq!(key_of("url: http://x"), Some("url"));
        assert_eq!(key_of("just text"), None);
        assert_eq!(key_of("\"quoted key\": 1"), Some("quoted key"));
    }
}
