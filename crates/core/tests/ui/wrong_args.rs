use erp_core::Result;
use erp_core::router::{Ctx, Router};
use erp_proto::tools::{GetDayLogsArgs, GetWeekLogs, WeekLogOutput};

// get_week_logs takes GetWeekLogsArgs, not a day.
async fn week(_ctx: Ctx, _args: GetDayLogsArgs) -> Result<WeekLogOutput> {
    unimplemented!()
}

fn main() {
    Router::new().add(GetWeekLogs, week);
}
