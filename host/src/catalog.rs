//! The live catalog: the validated `areas.yaml` plus, for each area, its
//! loaded plugin and compiled templates. Built whole, off the request path,
//! and shared behind an `Arc`: a request keeps the catalog it started with.

use crate::config::{self, AreaSpec, AreasSpec, ConfigError, ConfigErrors};
use crate::i18n::{AREA_CATALOGUE_EN, AREA_CATALOGUE_FR, Messages};
use crate::runtime::{LoadError, LoadedArea, Runtime};
use std::path::Path;
use std::time::Instant;

/// One area of the catalog.
pub struct CatalogArea {
    /// What `areas.yaml` says.
    pub spec: AreaSpec,
    /// The loaded plugin, or why it failed to load (the tab is then hidden).
    pub loaded: Result<Loaded, String>,
}

/// A plugin ready to serve.
pub struct Loaded {
    /// The pre-linked component.
    pub area: LoadedArea,
    /// Its templates, compiled once, HTML autoescape always on.
    pub templates: minijinja::Environment<'static>,
    /// Its message catalogues (empty if it ships none).
    pub messages: std::sync::Arc<Messages>,
}

/// Every area this deployment offers, in tab order.
pub struct Catalog {
    /// Areas sorted by `order`, then id.
    pub areas: Vec<CatalogArea>,
}

impl Catalog {
    /// An empty catalog (no areas).
    pub fn empty() -> Catalog {
        Catalog { areas: Vec::new() }
    }

    /// Validates `path` and loads every plugin. With `strict`, any plugin that
    /// fails to load is an error (for `portico check`); otherwise the area is
    /// kept, marked failed, and its tab hidden.
    pub fn build(path: &Path, runtime: &Runtime, strict: bool) -> Result<Catalog, ConfigErrors> {
        let spec: AreasSpec = config::load(path)?;
        let mut errors = Vec::new();
        let mut areas = Vec::with_capacity(spec.areas.len());
        for area in spec.areas {
            let started = Instant::now();
            let loaded = runtime.load(&area.plugin, &area).and_then(|loaded| {
                let messages =
                    area_messages(&loaded.templates).map_err(|problems| LoadError::Messages {
                        path: area.plugin.display().to_string(),
                        problems: problems.join("; "),
                    })?;
                let messages = std::sync::Arc::new(messages);
                let templates =
                    crate::web::templates::area_environment(&loaded.templates, messages.clone());
                for (name, source) in &loaded.templates {
                    if crate::web::templates::is_catalogue(name) {
                        continue;
                    }
                    let problems = crate::web::templates::template_problems(&templates, source);
                    if !problems.is_empty() {
                        return Err(LoadError::Template {
                            path: area.plugin.display().to_string(),
                            name: name.clone(),
                            reason: problems.join("; "),
                        });
                    }
                }
                Ok(Loaded {
                    area: loaded,
                    templates,
                    messages,
                })
            });
            match &loaded {
                Ok(l) => tracing::info!(
                    area = %area.id, version = %area.version, api = %l.area.api_version,
                    component = l.area.compiled.as_str(),
                    compile_ms = l.area.compile_time.as_millis() as u64,
                    ms = started.elapsed().as_millis() as u64, "area loaded"
                ),
                Err(e) => {
                    tracing::error!(area = %area.id, "area failed to load: {e}");
                    if strict {
                        errors.push(ConfigError::for_area(
                            &spec.path,
                            &area,
                            Some("plugin"),
                            e.to_string(),
                        ));
                    }
                }
            }
            areas.push(CatalogArea {
                spec: area,
                loaded: loaded.map_err(|e| e.to_string()),
            });
        }
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Catalog { areas })
    }

    /// The area with this id.
    pub fn area(&self, id: &str) -> Option<&CatalogArea> {
        self.areas.iter().find(|a| a.spec.id.as_str() == id)
    }
}

/// The area's catalogues from its `templates()` list: none, or both
/// languages agreeing on keys and placeholders.
fn area_messages(templates: &[(String, String)]) -> Result<Messages, Vec<String>> {
    let find = |name: &str| {
        templates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
    };
    match (find(AREA_CATALOGUE_FR), find(AREA_CATALOGUE_EN)) {
        (None, None) => Ok(Messages::default()),
        (Some(fr), Some(en)) => Messages::parse(fr, en),
        (Some(_), None) => Err(vec![
            "the area ships a French catalogue (i18n/fr.json) but no English one (i18n/en.json)"
                .into(),
        ]),
        (None, Some(_)) => Err(vec![
            "the area ships an English catalogue (i18n/en.json) but no French one (i18n/fr.json)"
                .into(),
        ]),
    }
}
