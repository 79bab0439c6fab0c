//! Every tool and admin method, each registered once on the [`Router`]
//! against its erp-proto type. Each tool's checked argument type validates
//! before any ERP call (messages name the argument); tools that need a session
//! take a [`crate::router::Ctx`], whose ERP is bound to it.
//! Not here: framing (see `ipc`), HTTP details (see `erp`), the rules every
//! call obeys (see `router`).

mod admin;
mod changes;
mod fill;
mod leaves;
mod plan;
mod reads;
mod resolve;
mod spans;
mod writes;

use erp_proto::admin as a;
use erp_proto::tools as t;

use crate::router::Router;

/// The router with every method of the app.
pub fn router() -> Router {
    let mut r = Router::new();
    r.add(t::Whoami, reads::whoami)
        .add(t::SignIn, reads::sign_in)
        .add(t::GetActiveProjects, reads::projects)
        .add(t::GetLogLabels, reads::labels)
        .add(t::GetWeekLogs, reads::week)
        .add(t::GetDayLogs, reads::day)
        .add(t::GetLogsForDateRange, reads::range)
        .add(t::GetMonthLogs, reads::range)
        .add(t::CheckPersonWeekProjectExists, reads::check)
        .add(t::CreateOrUpdateLog, writes::upsert)
        .add(t::DeleteLog, writes::delete)
        .add(t::FillLogsForDays, fill::fill)
        .add(t::ApplyPlan, plan::apply)
        .add(t::CopyWeek, fill::copy)
        .add(t::ListChanges, changes::list)
        .add(t::UndoLastChange, changes::undo_last)
        .add(t::UndoChange, changes::undo_one)
        .add(t::CompleteWeekLog, writes::complete)
        .add(t::FindMissingLogs, spans::find_missing)
        .add(t::SummarizeLogs, spans::summarize)
        .add(t::LeavesGetChoices, leaves::choices)
        .add(t::LeavesGetFiscalYears, leaves::fiscal_years)
        .add(t::LeavesGetSummary, leaves::summary)
        .add(t::LeavesListMonth, leaves::list_month)
        .add(t::LeavesListMine, leaves::list_mine)
        .add(t::LeavesListTeam, leaves::list_team)
        .add(t::LeavesListEncashments, leaves::list_encashments)
        .add(t::LeavesApply, leaves::apply)
        .add(t::LeavesCancel, leaves::cancel)
        .add(t::LeavesCreateEncashment, leaves::encash);
    r.add(a::Status, admin::status)
        .add(a::SignInToken, admin::sign_in_token)
        .add(a::SignInGoogle, admin::sign_in_google)
        .add(a::OpenSignIn, admin::open_sign_in)
        .add(a::SignInDemo, admin::sign_in_demo)
        .add(a::SignOut, admin::sign_out)
        .add(a::AllowList, admin::allow_list)
        .add(a::AllowAdd, admin::allow_add)
        .add(a::AllowRemove, admin::allow_remove)
        .add(a::Audit, admin::audit)
        .add(a::ProbeErp, admin::probe_erp)
        .add(a::Disconnect, admin::disconnect)
        .add(a::StartAtLogin, admin::start_at_login)
        .add(a::ReadOnly, admin::read_only)
        .add(a::Quit, admin::quit);
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_catalogue_tool_and_admin_method_has_exactly_one_route() {
        let r = super::router();
        let mut routed: Vec<&str> = r.names().collect();
        routed.sort();
        let mut declared: Vec<&str> =
            erp_proto::tools::TOOL_NAMES.iter().chain(erp_proto::admin::ADMIN_NAMES).copied().collect();
        declared.sort();
        assert_eq!(routed, declared);
    }
}
