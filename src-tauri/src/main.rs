//! `erp-helper`: the ERP Helper app. Parse, then run the chosen mode.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    std::process::exit(erp_helper::main())
}
