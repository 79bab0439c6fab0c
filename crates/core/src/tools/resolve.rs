//! Shared steps: choosing a project and a label from the arguments, checking a
//! description, and finding and loading a week log.

use chrono::NaiveDate;
use erp_proto::tools::Project;

use crate::erp::WeekRef;
use crate::error::{CoreError, Result};
use crate::router::Ctx;
use crate::week::WeekDoc;

/// The tool-layer description limit (the ERP may enforce a smaller one).
pub(crate) const MAX_DESCRIPTION: usize = 5000;
/// The ERP's "General" label, used when no label is given.
pub(crate) const DEFAULT_LABEL_ID: i64 = 66;

/// A project as the arguments name it: exactly one of id or name.
#[derive(Debug, Clone)]
pub(crate) enum ProjectRef {
    Id(i64),
    Name(String),
}

impl ProjectRef {
    pub(crate) fn from_args(id: Option<i64>, name: Option<String>) -> Result<Self> {
        match (id, name) {
            (Some(_), Some(_)) => Err(CoreError::invalid("Give either project_id or project_name, not both.")),
            (None, None) => {
                Err(CoreError::invalid("Give project_id or project_name (get_active_projects lists them)."))
            }
            (Some(id), None) if id <= 0 => {
                Err(CoreError::invalid(format!("project_id must be a positive number, got {id}.")))
            }
            (Some(id), None) => Ok(Self::Id(id)),
            (None, Some(n)) if n.trim().is_empty() => Err(CoreError::invalid("project_name must not be empty.")),
            (None, Some(n)) if n.chars().count() > 200 => {
                Err(CoreError::invalid("project_name is longer than 200 characters."))
            }
            (None, Some(n)) => Ok(Self::Name(n)),
        }
    }

    /// Resolve against the active projects: by id; or by name, exact
    /// (case-insensitive) first, then a part of exactly one name.
    pub(crate) async fn resolve(&self, ctx: &Ctx) -> Result<Project> {
        pick_project(&ctx.erp.active_projects().await?, self)
    }
}

fn names(ps: &[&Project]) -> String {
    ps.iter().map(|p| format!("{:?} (id {})", p.name, p.id)).collect::<Vec<_>>().join(", ")
}

pub(crate) fn pick_project(projects: &[Project], r: &ProjectRef) -> Result<Project> {
    let all: Vec<&Project> = projects.iter().collect();
    match r {
        ProjectRef::Id(id) => projects.iter().find(|p| p.id == *id).cloned().ok_or_else(|| {
            CoreError::invalid(format!("project_id {id} is not one of your active projects: [{}].", names(&all)))
        }),
        ProjectRef::Name(name) => {
            let want = name.trim().to_lowercase();
            if let Some(p) = projects.iter().find(|p| p.name.trim().to_lowercase() == want) {
                return Ok(p.clone());
            }
            let hits: Vec<&Project> = projects.iter().filter(|p| p.name.to_lowercase().contains(&want)).collect();
            match hits.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(CoreError::invalid(format!(
                    "project_name {} matches none of your active projects: [{}].",
                    crate::error::shown(name),
                    names(&all)
                ))),
                many => Err(CoreError::invalid(format!(
                    "project_name {} matches several projects: [{}]. Use a longer name or project_id.",
                    crate::error::shown(name),
                    names(many)
                ))),
            }
        }
    }
}

/// A label as the arguments name it.
#[derive(Debug, Clone)]
pub(crate) enum LabelRef {
    Id(i64),
    Name(String),
}

impl LabelRef {
    pub(crate) fn from_args(id: Option<i64>, name: Option<String>) -> Result<Self> {
        match (id, name) {
            (Some(_), Some(_)) => Err(CoreError::invalid("Give either label_id or label_name, not both.")),
            (Some(id), None) if id <= 0 => {
                Err(CoreError::invalid(format!("label_id must be a positive number, got {id}.")))
            }
            (Some(id), None) => Ok(Self::Id(id)),
            (None, Some(n)) if n.trim().is_empty() => Err(CoreError::invalid("label_name must not be empty.")),
            (None, Some(n)) => Ok(Self::Name(n)),
            (None, None) => Ok(Self::Id(DEFAULT_LABEL_ID)),
        }
    }

    /// The label id: as given, or looked up by exact (case-insensitive) name.
    pub(crate) async fn resolve(&self, ctx: &Ctx) -> Result<i64> {
        match self {
            Self::Id(id) => Ok(*id),
            Self::Name(name) => {
                let labels = ctx.erp.labels().await?;
                let want = name.trim().to_lowercase();
                labels.iter().find(|l| l.name.trim().to_lowercase() == want).map(|l| l.id).ok_or_else(|| {
                    let known: Vec<String> = labels.iter().map(|l| crate::error::shown(&l.name)).collect();
                    let name = crate::error::shown(name);
                    CoreError::invalid(format!("label_name {name} is not a label. Labels: [{}].", known.join(", ")))
                })
            }
        }
    }
}

/// A task description: trimmed, not empty, within the limit.
pub(crate) fn description(raw: &str) -> Result<String> {
    let d = raw.trim();
    if d.is_empty() {
        return Err(CoreError::invalid("description must not be empty."));
    }
    let n = d.chars().count();
    if n > MAX_DESCRIPTION {
        return Err(CoreError::invalid(format!("description is {n} characters long; the limit is {MAX_DESCRIPTION}.")));
    }
    if d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CoreError::invalid("description contains control characters."));
    }
    Ok(d.to_string())
}

/// The week logs of `year` (a failed list is an error, never "no week log").
pub(crate) async fn week_list(ctx: &Ctx, year: i32) -> Result<Vec<WeekRef>> {
    ctx.erp.week_list(year).await
}

/// The week log that starts on `monday`, if it exists.
pub(crate) async fn find_week(ctx: &Ctx, monday: NaiveDate) -> Result<Option<WeekRef>> {
    use chrono::Datelike;
    Ok(week_list(ctx, monday.year()).await?.into_iter().find(|w| w.monday == monday))
}

/// Load a week document.
pub(crate) async fn load_week(ctx: &Ctx, w: WeekRef) -> Result<WeekDoc> {
    WeekDoc::new(w.id, w.monday, ctx.erp.week_detail(w.id).await?)
}

/// Load the week that starts on `monday`, or say that it does not exist.
pub(crate) async fn require_week(ctx: &Ctx, monday: NaiveDate) -> Result<WeekDoc> {
    let Some(w) = find_week(ctx, monday).await? else {
        return Err(CoreError::NoWeekLog { monday });
    };
    load_week(ctx, w).await
}

/// The project is not in that week's log.
pub(crate) fn project_not_in_week(project: &Project, monday: NaiveDate) -> CoreError {
    CoreError::ProjectNotInWeek { project: project.name.clone(), monday }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps() -> Vec<Project> {
        [(10, "Alpha"), (11, "Alpha Project Extended"), (12, "Another Alpha Project"), (13, "Workstream / Backend")]
            .into_iter()
            .map(|(id, n)| Project { id, name: n.into(), subteam: n.into() })
            .collect()
    }

    #[test]
    fn exact_name_is_preferred_over_substring() {
        assert_eq!(pick_project(&ps(), &ProjectRef::Name(" alpha ".into())).unwrap().id, 10);
    }

    #[test]
    fn unique_substring_resolves_and_ambiguity_lists_the_candidates() {
        assert_eq!(pick_project(&ps(), &ProjectRef::Name("backend".into())).unwrap().id, 13);
        let e = pick_project(&ps(), &ProjectRef::Name("Alpha Pro".into())).unwrap_err().to_string();
        assert!(
            e.contains("several") && e.contains("Alpha Project Extended") && e.contains("Another Alpha Project"),
            "{e}"
        );
        let e = pick_project(&ps(), &ProjectRef::Name("nope".into())).unwrap_err().to_string();
        assert!(e.starts_with("project_name \"nope\" matches none") && e.contains("Workstream / Backend"), "{e}");
        let e = pick_project(&ps(), &ProjectRef::Id(99)).unwrap_err().to_string();
        assert!(e.starts_with("project_id 99"), "{e}");
    }
}
