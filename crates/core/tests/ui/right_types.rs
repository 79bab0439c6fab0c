use erp_core::Result;
use erp_core::router::{Ctx, Router};
use erp_proto::tools::{GetWeekLogs, GetWeekLogsArgs, WeekLogOutput};

async fn week(_ctx: Ctx, _args: GetWeekLogsArgs) -> Result<WeekLogOutput> {
    unimplemented!()
}

fn main() {
    Router::new().add(GetWeekLogs, week);
}
