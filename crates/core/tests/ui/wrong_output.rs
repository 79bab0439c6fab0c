use erp_core::Result;
use erp_core::router::{Ctx, Router};
use erp_proto::tools::{GetDayLogsOutput, GetWeekLogs, GetWeekLogsArgs};

// get_week_logs answers with a WeekLogOutput, not a day.
async fn week(_ctx: Ctx, _args: GetWeekLogsArgs) -> Result<GetDayLogsOutput> {
    unimplemented!()
}

fn main() {
    Router::new().add(GetWeekLogs, week);
}
