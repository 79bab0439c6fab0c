//! erp-core's modules form layers: no import circle anywhere, and the leaves
//! (`error`, `secret`, `fsutil`, `config`) import nothing above them. Read from
//! the sources, so a new `use crate::…` that closes a circle fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules it names through `crate::`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.clone()];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
            continue;
        }
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        // Test modules may use anything; comments and docs are not imports.
        let code = text.split("#[cfg(test)]").next().unwrap();
        let text: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let deps = g.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // `crate::Config` and friends are lib.rs re-exports: resolve them.
            let name = match name.as_str() {
                "Config" => "config".to_string(),
                "CoreError" | "Result" => "error".to_string(),
                "CoreHandle" | "CoreDeps" | "SignInUi" => "core".to_string(),
                "APP_VERSION" => continue,
                _ => name,
            };
            if name != module && !name.is_empty() {
                deps.insert(name);
            }
        }
    }
    g
}

#[test]
fn there_is_no_import_circle() {
    let g = graph();
    // Depth-first search for a back edge, reporting the circle it closes.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut circle = path[i..].to_vec();
            circle.push(n.to_string());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(circle) = visit(n, &g, &mut Vec::new(), &mut done) {
            panic!("import circle in erp-core: {}", circle.join(" -> "));
        }
    }
    assert!(g.len() > 15, "too few modules found: {g:?}");
}

#[test]
fn the_leaves_import_nothing_above_them() {
    let g = graph();
    let allowed: &[(&str, &[&str])] =
        &[("error", &[]), ("secret", &[]), ("fsutil", &["error"]), ("config", &["error", "secret", "fsutil"])];
    for (leaf, may) in allowed {
        let deps = g.get(*leaf).unwrap_or_else(|| panic!("no module {leaf}"));
        let extra: Vec<&String> = deps.iter().filter(|d| !may.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "{leaf} imports {extra:?}; a leaf may import only {may:?}");
    }
}
