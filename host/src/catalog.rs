//! The live catalog: the validated `areas.yaml` plus, for each area, its
//! loaded plugin and compiled templates. Built whole, off the request path,
//! and shared behind an `Arc`: a request keeps the catalog it started with.

use crate::config::{self, AreaSpec, AreasSpec, ConfigError, ConfigErrors};
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
                let templates = crate::web::templates::area_environment(&loaded.templates);
                for (name, _) in &loaded.templates {
                    if let Err(e) = templates.get_template(name) {
                        return Err(LoadError::Template {
                            path: area.plugin.display().to_string(),
                            name: name.clone(),
                            reason: e.to_string(),
                        });
                    }
                }
                Ok(Loaded {
                    area: loaded,
                    templates,
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
