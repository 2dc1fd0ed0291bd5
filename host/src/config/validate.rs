//! The second step, "validate": [`AreasFile`] → [`AreasSpec`]. Every check
//! runs on every area, and every problem is collected, so one `portico
//! check` shows the operator the whole list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::lines::{ItemLines, LineIndex};
use super::raw::{AreasFile, Checked, RawArea, RawLimits, Scalar};
use super::spec::{
    AreaId, AreaSpec, AreasSpec, Capability, Install, Limits, MAX_MEMORY_MIB, MAX_PAGE_CACHE_S,
    MAX_STORAGE_MIB, MAX_TIMEOUT_MS, MIN_MEMORY_MIB, MIN_STORAGE_MIB, MIN_TIMEOUT_MS, Scope, list,
};
use super::{
    ConfigError, ConfigErrors, Localized, MAX_DESCRIPTION_CHARS, MAX_PLUGIN_BYTES, MAX_TITLE_CHARS,
    WhenExpr,
};
use crate::directory::{Role, StructureKind};

/// The one area that may hold the `api-clients` capability.
pub(crate) const API_CLIENTS_AREA: &str = "edi-api-connections";

/// Validates a parsed file. `text` is the file's text (for line numbers),
/// `path` the file's name (for messages and to resolve plugins).
pub(super) fn validate(
    file: AreasFile,
    text: &str,
    path: &Path,
) -> Result<AreasSpec, ConfigErrors> {
    let index = LineIndex::new(text);
    let base_dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map_or_else(
        || "this file".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut v = Validator {
        path,
        base_dir,
        file_name,
        errors: Vec::new(),
    };

    // Pass 1: each area on its own.
    let mut drafts = Vec::new();
    // Every id written, even on areas that failed, with its line.
    let mut ids: Vec<(String, usize)> = Vec::new();
    for (i, item) in file.areas.into_iter().enumerate() {
        let lines = index.item(i);
        if let Some(id) = &item.id {
            ids.push((id.clone(), lines.of("id")));
        }
        for (field, message) in item.unknown {
            v.errors.push(ConfigError {
                file: path.to_path_buf(),
                line: lines.of(&field),
                area: item.id.clone(),
                field: Some(field),
                message,
            });
        }
        match item.area {
            Ok(raw) => drafts.push(v.area(raw, lines)),
            Err(message) => v.errors.push(ConfigError {
                file: path.to_path_buf(),
                line: lines.line,
                area: item.id,
                field: None,
                message,
            }),
        }
    }

    // Pass 2: between areas.
    v.duplicates(&ids);
    let versions: BTreeMap<&str, Option<&semver::Version>> = ids
        .iter()
        .map(|(id, _)| (id.as_str(), None))
        .chain(
            drafts
                .iter()
                .filter_map(|d| Some((d.raw_id.as_deref()?, d.version.as_ref()))),
        )
        .collect();
    let mut requires = Vec::new();
    for draft in &drafts {
        requires.push(v.requires(draft, &versions));
    }

    if !v.errors.is_empty() {
        v.errors.sort_by_key(|e| e.line);
        return Err(ConfigErrors(v.errors));
    }
    let mut areas: Vec<AreaSpec> = drafts
        .into_iter()
        .zip(requires)
        .filter_map(|(draft, requires)| draft.finish(requires))
        .collect();
    areas.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    Ok(AreasSpec {
        path: path.to_path_buf(),
        areas,
    })
}

/// Collects errors while checking.
struct Validator<'a> {
    path: &'a Path,
    base_dir: PathBuf,
    file_name: String,
    errors: Vec<ConfigError>,
}

/// An area after pass 1: each field present if it was valid.
struct Draft {
    raw_id: Option<String>,
    id: Option<AreaId>,
    title: Option<Localized>,
    description: Localized,
    plugin: Option<PathBuf>,
    version: Option<semver::Version>,
    order: i64,
    scope: Scope,
    install: Install,
    roles: BTreeSet<Role>,
    structure_kinds: BTreeSet<StructureKind>,
    when: Option<WhenExpr>,
    capabilities: BTreeSet<Capability>,
    /// `requires` as written: area → (requirement, line).
    requires: Vec<(String, String, usize)>,
    limits: Limits,
    page_cache_s: u32,
    lines: ItemLines,
}

impl Draft {
    /// The spec, if every required field is valid (always the case when no
    /// error was reported).
    fn finish(self, requires: BTreeMap<AreaId, semver::VersionReq>) -> Option<AreaSpec> {
        Some(AreaSpec {
            id: self.id?,
            title: self.title?,
            description: self.description,
            plugin: self.plugin?,
            version: self.version?,
            order: self.order,
            scope: self.scope,
            install: self.install,
            roles: self.roles,
            structure_kinds: self.structure_kinds,
            when: self.when,
            capabilities: self.capabilities,
            requires,
            limits: self.limits,
            page_cache_s: self.page_cache_s,
            line: self.lines.line,
            field_lines: self.lines.keys,
        })
    }
}

/// One area's context while its fields are checked.
struct AreaCtx<'v, 'a> {
    v: &'v mut Validator<'a>,
    lines: &'v ItemLines,
    area: Option<String>,
}

impl AreaCtx<'_, '_> {
    /// Records an error on `field`.
    fn error(&mut self, field: &str, message: impl Into<String>) {
        let line = self.lines.of(field);
        self.v.errors.push(ConfigError {
            file: self.v.path.to_path_buf(),
            line,
            area: self.area.clone(),
            field: Some(field.to_owned()),
            message: message.into(),
        });
    }

    /// The field's value, or `None` after reporting serde's message.
    fn value<T>(&mut self, field: &str, checked: Option<Checked<T>>) -> Option<T> {
        match checked?.0 {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(field, message);
                None
            }
        }
    }

    /// A required field's text. Reports it missing or blank, with `hint`
    /// saying what to write; a value of the wrong shape was reported by
    /// [`Self::value`] already.
    fn required(
        &mut self,
        field: &str,
        checked: Option<Checked<Scalar>>,
        hint: &str,
    ) -> Option<String> {
        let written = checked.is_some();
        match self.value(field, checked) {
            Some(Scalar(s)) if !s.trim().is_empty() => Some(s),
            Some(_) => {
                self.error(field, format!("empty `{field}`: {hint}"));
                None
            }
            None if !written => {
                self.error(field, format!("missing `{field}`: {hint}"));
                None
            }
            None => None,
        }
    }

    /// A list of words, each parsed by `parse`; an unknown word reports
    /// `unknown {what} `x`; valid {whats} are …`, an empty list `if_empty`.
    /// `None` if absent.
    fn words<T: Ord>(
        &mut self,
        field: &str,
        checked: Option<Checked<Vec<Scalar>>>,
        (what, whats): (&str, &str),
        valid: &[&str],
        parse: impl Fn(&str) -> Option<T>,
        if_empty: Option<&str>,
    ) -> Option<BTreeSet<T>> {
        let words = self.value(field, checked)?;
        if let (true, Some(message)) = (words.is_empty(), if_empty) {
            self.error(field, message);
        }
        let mut set = BTreeSet::new();
        for Scalar(word) in words {
            match parse(&word) {
                Some(value) => {
                    set.insert(value);
                }
                None => self.error(
                    field,
                    format!(
                        "unknown {what} `{word}`; valid {whats} are {}",
                        list(valid.iter().copied())
                    ),
                ),
            }
        }
        Some(set)
    }
}

impl<'a> Validator<'a> {
    /// Pass 1 for one area.
    fn area(&mut self, raw: RawArea, lines: ItemLines) -> Draft {
        let raw_id = match &raw.id {
            Some(Checked(Ok(Scalar(id)))) => Some(id.clone()),
            _ => None,
        };
        let base_dir = self.base_dir.clone();
        let mut cx = AreaCtx {
            v: self,
            lines: &lines,
            area: raw_id.clone(),
        };

        let id = cx
            .required(
                "id",
                raw.id,
                "every area needs a unique id, e.g. `id: issued-invoices`",
            )
            .and_then(|id| {
                if id == crate::delivery::PLATFORM_AREA {
                    cx.error(
                        "id",
                        format!("`{id}` is reserved: the platform's own messages come from it; choose another id"),
                    );
                    return None;
                }
                AreaId::parse(&id)
                    .map_err(|e| cx.error("id", e.to_string()))
                    .ok()
            });

        let title_written = raw.title.is_some();
        let title = match localized(&mut cx, &TITLE, raw.title) {
            Some(Some(t)) if !t.is_empty() => Some(t),
            Some(Some(_)) => {
                cx.error("title", format!("empty `title`: {}", TITLE.example));
                None
            }
            Some(None) => None,
            None => {
                if !title_written {
                    cx.error("title", format!("missing `title`: {}", TITLE.example));
                }
                None
            }
        };
        let description = localized(&mut cx, &DESCRIPTION, raw.description)
            .flatten()
            .unwrap_or_default();

        let plugin_hint = format!(
            "the area's component, relative to {}, e.g. `plugin: plugins/commitments.wasm`",
            cx.v.file_name
        );
        let plugin = cx
            .required("plugin", raw.plugin, &plugin_hint)
            .and_then(|p| plugin_path(&mut cx, &base_dir, &p));

        let version = cx
            .required(
                "version",
                raw.version,
                "the semver of the plugin build, e.g. `version: 1.0.0`",
            )
            .and_then(|v| match semver::Version::parse(v.trim()) {
                Ok(version) => Some(version),
                Err(e) => {
                    cx.error(
                        "version",
                        format!("invalid version `{v}`: {e}; expected semver like 1.0.0"),
                    );
                    None
                }
            });

        let order = cx.value("order", raw.order).unwrap_or(0);

        let page_cache_s = match cx.value("page-cache-s", raw.page_cache_s) {
            None => 0,
            Some(s) => in_range(s, 0, MAX_PAGE_CACHE_S).unwrap_or_else(|| {
                cx.error(
                    "page-cache-s",
                    format!(
                        "page-cache-s {s} is out of range; valid range is 0 (never) to {MAX_PAGE_CACHE_S} (seconds)"
                    ),
                );
                0
            }),
        };

        let scope = cx
            .value("scope", raw.scope)
            .and_then(|Scalar(s)| {
                let scope = Scope::parse(&s);
                if scope.is_none() {
                    cx.error(
                        "scope",
                        format!(
                            "unknown scope `{s}`; valid scopes are {}",
                            list(Scope::ALL.iter().map(|s| s.as_str()))
                        ),
                    );
                }
                scope
            })
            .unwrap_or_default();

        let install = cx
            .value("install", raw.install)
            .and_then(|Scalar(s)| {
                let install = Install::parse(&s);
                if install.is_none() {
                    cx.error(
                        "install",
                        format!(
                            "unknown install `{s}`; valid install values are {}",
                            list(Install::ALL.iter().map(|i| i.as_str()))
                        ),
                    );
                }
                install
            })
            .unwrap_or_default();

        let role_words: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        let roles = cx.words(
            "roles",
            raw.roles,
            ("role", "roles"),
            &role_words,
            Role::parse,
            Some("empty `roles`: nobody would see this area; omit the field to allow every role"),
        );
        let kind_words: Vec<&str> = StructureKind::ALL.iter().map(|k| k.as_str()).collect();
        let kinds = cx.words(
            "structure-kinds",
            raw.structure_kinds,
            ("structure kind", "structure kinds"),
            &kind_words,
            StructureKind::parse,
            Some("empty `structure-kinds`: no structure would have this area; omit the field to allow every kind"),
        );
        let capability_words: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
        let capabilities = cx
            .words(
                "capabilities",
                raw.capabilities,
                ("capability", "capabilities"),
                &capability_words,
                Capability::parse,
                None,
            )
            .unwrap_or_default();

        let when_written = raw.when.is_some();
        let when = cx.value("when", raw.when).and_then(|Scalar(source)| {
            WhenExpr::compile(&source)
                .map_err(|e| cx.error("when", e.to_string()))
                .ok()
        });
        let explained = localized(&mut cx, &WHEN_EXPLAINED, raw.when_explained);
        let when = match (when_written, explained) {
            (true, Some(Some(explained))) => when.map(|w| w.explained_by(explained)),
            // Written but refused: reported already.
            (true, Some(None)) => when,
            (true, None) if scope == Scope::Structure => {
                cx.error(
                    "when",
                    "a `when` needs `when-explained`: what managers read while the area is not available, in plain words (the expression is for operators), e.g. `when-explained: opens once one of the structure's invoices reached Payment`",
                );
                when
            }
            (false, Some(_)) => {
                cx.error(
                    "when-explained",
                    "`when-explained` explains a `when`, and this area has none; remove it or add the `when` it explains",
                );
                when
            }
            _ => when,
        };

        let requires: Vec<(String, String, usize)> = cx
            .value("requires", raw.requires)
            .unwrap_or_default()
            .into_iter()
            .map(|(Scalar(area), Scalar(req))| {
                let line = lines.of(&format!("requires.{area}"));
                (area, req, line)
            })
            .collect();

        let limits = cx
            .value("limits", raw.limits)
            .map_or_else(Limits::default, |l| limits(&mut cx, l));

        // A user-scoped area lives under /me, without a structure: nothing
        // that depends on a structure can apply to it.
        if scope == Scope::User {
            const WHY: &str = "user-scoped areas work without a structure";
            if when_written {
                cx.error(
                    "when",
                    format!(
                        "`when` makes no sense on a user-scoped area: {WHY}, so there are no facts, structure kind or role to test; remove it or use `scope: structure`"
                    ),
                );
            }
            if kinds.is_some() {
                cx.error(
                    "structure-kinds",
                    format!(
                        "`structure-kinds` makes no sense on a user-scoped area: {WHY}; remove it or use `scope: structure`"
                    ),
                );
            }
            if !requires.is_empty() {
                cx.error(
                    "requires",
                    format!(
                        "`requires` makes no sense on a user-scoped area: {WHY}, so it cannot depend on structure areas; remove it or use `scope: structure`"
                    ),
                );
            }
            if install == Install::OnRequest {
                cx.error(
                    "install",
                    format!(
                        "`install: on-request` makes no sense on a user-scoped area: {WHY}, so no manager installs it; remove it or use `scope: structure`"
                    ),
                );
            }
        }
        if capabilities.contains(&Capability::ApiClients)
            && id
                .as_ref()
                .is_some_and(|id| id.as_str() != API_CLIENTS_AREA)
        {
            cx.error(
                "capabilities",
                format!(
                    "capability `api-clients` is privileged: only the area `{API_CLIENTS_AREA}` may hold it (it makes API clients and their secrets); remove it"
                ),
            );
        }
        for capability in &capabilities {
            let Some(bound) = capability.required_scope() else {
                continue;
            };
            if bound != scope {
                let why = match capability {
                    Capability::Directory => "it reads and changes the current structure's members",
                    Capability::Timers => {
                        "a timer is a message to the area of the current structure"
                    }
                    Capability::Flows => "flows belong to the current structure",
                    Capability::ApiClients => {
                        "it makes the structure's API clients and their secrets"
                    }
                    _ => "it acts on the current user's own account",
                };
                let privileged = if matches!(capability, Capability::Timers | Capability::Flows) {
                    ""
                } else {
                    "privileged and "
                };
                cx.error(
                    "capabilities",
                    format!(
                        "capability `{capability}` is {privileged}only granted to {bound}-scoped areas ({why}); this area is {scope}-scoped"
                    ),
                );
            }
        }

        Draft {
            raw_id,
            id,
            title,
            description,
            plugin,
            version,
            order,
            scope,
            install,
            roles: roles.unwrap_or_else(|| Role::ALL.into_iter().collect()),
            structure_kinds: kinds.unwrap_or_else(|| StructureKind::ALL.into_iter().collect()),
            when,
            capabilities,
            requires,
            limits,
            page_cache_s,
            lines,
        }
    }

    /// Every id declared more than once, reported at its later lines.
    fn duplicates(&mut self, ids: &[(String, usize)]) {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for (id, line) in ids {
            match first.get(id.as_str()) {
                Some(&earlier) => self.errors.push(ConfigError {
                    file: self.path.to_path_buf(),
                    line: *line,
                    area: Some(id.clone()),
                    field: Some("id".to_owned()),
                    message: format!(
                        "duplicate id: declared twice, at lines {earlier} and {line}; ids must be unique"
                    ),
                }),
                None => {
                    first.insert(id, *line);
                }
            }
        }
    }

    /// Pass 2 for one area's `requires`: known areas, valid requirements,
    /// requirements met by the declared versions.
    fn requires(
        &mut self,
        draft: &Draft,
        versions: &BTreeMap<&str, Option<&semver::Version>>,
    ) -> BTreeMap<AreaId, semver::VersionReq> {
        let mut out = BTreeMap::new();
        for (area, req, line) in &draft.requires {
            let mut error = |message: String| {
                self.errors.push(ConfigError {
                    file: self.path.to_path_buf(),
                    line: *line,
                    area: draft.raw_id.clone(),
                    field: Some("requires".to_owned()),
                    message,
                });
            };
            let parsed = match semver::VersionReq::parse(req.trim()) {
                Ok(parsed) => Some(parsed),
                Err(e) => {
                    error(format!(
                        "invalid version requirement `{req}` for `{area}`: {e}; write one like ^1.2 or >=1.0, <2"
                    ));
                    None
                }
            };
            if draft.raw_id.as_deref() == Some(area.as_str()) {
                error(format!("area `{area}` cannot require itself"));
                continue;
            }
            let Some(declared) = versions.get(area.as_str()) else {
                let others: Vec<&str> = versions
                    .keys()
                    .copied()
                    .filter(|id| Some(*id) != draft.raw_id.as_deref())
                    .collect();
                let valid = if others.is_empty() {
                    format!("{} declares no other area", self.file_name)
                } else {
                    format!("areas declared in {} are {}", self.file_name, list(others))
                };
                error(format!("requires unknown area `{area}`; {valid}"));
                continue;
            };
            let (Some(parsed), Ok(id)) = (parsed, AreaId::parse(area)) else {
                continue;
            };
            if let Some(version) = declared
                && !parsed.matches(version)
            {
                error(format!(
                    "requires {area} {req} but {} declares {area} {version}",
                    self.file_name
                ));
                continue;
            }
            out.insert(id, parsed);
        }
        out
    }
}

/// Resolves and checks `plugin`: an existing file, no larger than
/// [`MAX_PLUGIN_BYTES`], inside the configuration's directory or one
/// allowed with `--plugin-dir` (after following symlinks, so neither `../`,
/// an absolute path nor a link can reach elsewhere). Compiling it is the
/// runtime's job. Messages name paths, never what a file holds.
fn plugin_path(cx: &mut AreaCtx<'_, '_>, base_dir: &Path, plugin: &str) -> Option<PathBuf> {
    let joined = base_dir.join(plugin.trim());
    let shown = std::path::absolute(&joined).unwrap_or_else(|_| joined.clone());
    match std::fs::metadata(&joined) {
        Ok(meta) if meta.is_file() => match joined.canonicalize() {
            Ok(path) => {
                let roots = super::plugin_roots(base_dir);
                if !roots.iter().any(|root| path.starts_with(root)) {
                    cx.error(
                        "plugin",
                        format!(
                            "plugin `{plugin}` resolves to {}, outside {}; keep plugins under the configuration's directory, or allow their directory with `portico serve --plugin-dir DIR`",
                            path.display(),
                            roots
                                .iter()
                                .map(|r| r.display().to_string())
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    );
                    return None;
                }
                if meta.len() > MAX_PLUGIN_BYTES {
                    cx.error(
                        "plugin",
                        format!(
                            "plugin `{plugin}` is {} MiB; a plugin is at most {} MiB",
                            meta.len() >> 20,
                            MAX_PLUGIN_BYTES >> 20
                        ),
                    );
                    return None;
                }
                Some(path)
            }
            Err(e) => {
                cx.error("plugin", format!("cannot resolve {}: {e}", shown.display()));
                None
            }
        },
        Ok(_) => {
            cx.error(
                "plugin",
                format!(
                    "plugin `{plugin}` is not a file (resolved to {})",
                    shown.display()
                ),
            );
            None
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            cx.error(
                "plugin",
                format!(
                    "plugin `{plugin}` not found (resolved to {})",
                    shown.display()
                ),
            );
            None
        }
        Err(e) => {
            cx.error(
                "plugin",
                format!(
                    "cannot read plugin `{plugin}` (resolved to {}): {e}",
                    shown.display()
                ),
            );
            None
        }
    }
}

/// Checks `limits` against their ranges; defaults for what is not written.
fn limits(cx: &mut AreaCtx<'_, '_>, raw: RawLimits) -> Limits {
    let mut limits = Limits::default();
    if let Some(mib) = cx.value("limits.memory-mib", raw.memory_mib) {
        match in_range(mib, MIN_MEMORY_MIB, MAX_MEMORY_MIB) {
            Some(mib) => limits.memory_mib = mib,
            None => cx.error(
                "limits.memory-mib",
                format!(
                    "memory-mib {mib} is out of range; valid range is {MIN_MEMORY_MIB} to {MAX_MEMORY_MIB} (MiB)"
                ),
            ),
        }
    }
    if let Some(ms) = cx.value("limits.timeout-ms", raw.timeout_ms) {
        match in_range(ms, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS) {
            Some(ms) => limits.timeout_ms = ms,
            None => cx.error(
                "limits.timeout-ms",
                format!(
                    "timeout-ms {ms} is out of range; valid range is {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS} (ms)"
                ),
            ),
        }
    }
    if let Some(mib) = cx.value("limits.storage-mib", raw.storage_mib) {
        match in_range(mib, MIN_STORAGE_MIB, MAX_STORAGE_MIB) {
            Some(mib) => limits.storage_mib = mib,
            None => cx.error(
                "limits.storage-mib",
                format!(
                    "storage-mib {mib} is out of range; valid range is {MIN_STORAGE_MIB} to {MAX_STORAGE_MIB} (MiB)"
                ),
            ),
        }
    }
    limits
}

/// `value` as a `u32` if it lies in `min..=max`.
fn in_range(value: i64, min: u32, max: u32) -> Option<u32> {
    u32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
}

/// What a people-facing text of `areas.yaml` may be: its field, its
/// longest length, an example, and whether it must fit one line.
struct TextRule {
    field: &'static str,
    max_chars: usize,
    example: &'static str,
    /// One line, no full stop at the end (the page adds its own).
    one_line: bool,
}

const TITLE: TextRule = TextRule {
    field: "title",
    max_chars: MAX_TITLE_CHARS,
    example: "the tab label, e.g. `title: Commitments` or `title: { fr: Engagements, en: Commitments }`",
    one_line: true,
};

const DESCRIPTION: TextRule = TextRule {
    field: "description",
    max_chars: MAX_DESCRIPTION_CHARS,
    example: "one or two sentences, e.g. `description: Orders from public buyers.` or `description: { fr: Commandes des acheteurs publics., en: Orders from public buyers. }`",
    one_line: false,
};

const WHEN_EXPLAINED: TextRule = TextRule {
    field: "when-explained",
    max_chars: super::when::MAX_EXPLAINED_CHARS,
    example: "e.g. `when-explained: opens once one of the structure's invoices reached Payment`",
    one_line: true,
};

/// A text one language for all (`title: Commitments`, read as English) or
/// one per language (`title: { fr: Engagements, en: Commitments }`, `en`
/// required). `None` if absent, `Some(None)` if refused (reported).
fn localized(
    cx: &mut AreaCtx<'_, '_>,
    rule: &TextRule,
    raw: Option<Checked<serde_yaml::Value>>,
) -> Option<Option<Localized>> {
    let field = rule.field;
    let value = cx.value(field, raw)?;
    let languages = Localized::LANGUAGES.join(", ");
    let shape = format!(
        "expected a text ({}) or a mapping of language to text, with `en` ({languages})",
        rule.example
    );
    let mut texts = BTreeMap::new();
    let mut ok = true;
    let plain = !matches!(value, serde_yaml::Value::Mapping(_));
    let mut text = |cx: &mut AreaCtx<'_, '_>, language: &str, value: &serde_yaml::Value| {
        let t = match value {
            serde_yaml::Value::String(s) => s.trim().to_owned(),
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::Bool(b) => b.to_string(),
            _ => {
                cx.error(field, format!("`{language}`: {shape}"));
                return false;
            }
        };
        let t = if field == WHEN_EXPLAINED.field {
            t.trim_end_matches('.').trim_end().to_owned()
        } else {
            t
        };
        let chars = t.chars().count();
        let problem = if t.is_empty() && (field == WHEN_EXPLAINED.field || !plain) {
            Some("is empty".to_string())
        } else if chars > rule.max_chars {
            Some(format!(
                "has {chars} characters; at most {} are allowed",
                rule.max_chars
            ))
        } else if rule.one_line && t.chars().any(char::is_control) {
            Some("contains a line break or another control character; write one line".into())
        } else {
            None
        };
        if let Some(problem) = problem {
            if plain && field != WHEN_EXPLAINED.field {
                cx.error(field, format!("{field} {problem}"));
            } else {
                cx.error(field, format!("the `{language}` text {problem}"));
            }
            return false;
        }
        texts.insert(language.to_owned(), t);
        true
    };
    match &value {
        serde_yaml::Value::Mapping(map) => {
            for (language, t) in map {
                match language.as_str() {
                    Some(l) if Localized::LANGUAGES.contains(&l) => ok &= text(cx, l, t),
                    _ => {
                        cx.error(
                            field,
                            format!(
                                "unknown language {}; write the text under one of {languages}",
                                serde_yaml::to_string(language)
                                    .map_or_else(|_| "?".into(), |s| format!("`{}`", s.trim()))
                            ),
                        );
                        ok = false;
                    }
                }
            }
            if ok && !map.contains_key("en") {
                cx.error(
                    field,
                    format!("the English text is missing: add `en:`; {shape}"),
                );
                ok = false;
            }
        }
        serde_yaml::Value::String(_)
        | serde_yaml::Value::Number(_)
        | serde_yaml::Value::Bool(_) => ok &= text(cx, "en", &value),
        _ => {
            cx.error(field, shape.clone());
            ok = false;
        }
    }
    Some(if ok { Localized::new(texts) } else { None })
}
