//! sdk/README.md quotes this crate as its complete example: fail when the
//! quote and the code drift apart.

const README: &str = include_str!("../../../sdk/README.md");

/// The body of the first fenced block of `lang` after `after` in the README.
fn block(after: &str, lang: &str) -> &'static str {
    let start = README
        .find(after)
        .unwrap_or_else(|| panic!("README lost the line {after:?}"));
    let rest = &README[start..];
    let fence = format!("```{lang}\n");
    let open = rest
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{lang} block after {after:?}"))
        + fence.len();
    let close = rest[open..].find("```\n").expect("unclosed code block") + open;
    &rest[open..close]
}

#[test]
fn readme_quotes_lib_rs_exactly() {
    assert_eq!(
        block("This is its whole `src/lib.rs`", "rust"),
        include_str!("../src/lib.rs"),
        "sdk/README.md and plugins/hello/src/lib.rs differ: copy the file into the README"
    );
}

#[test]
fn readme_quotes_the_template_exactly() {
    assert_eq!(
        block("And `templates/hello.html`", "html"),
        include_str!("../templates/hello.html"),
        "sdk/README.md and plugins/hello/templates/hello.html differ"
    );
}
