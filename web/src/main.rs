//! Chimera's page: drop a zipped reports folder and get its inventory, read
//! entirely in the browser by the same core the command line uses.

mod app;
mod download;
mod file_table;
mod generate_panel;
mod llm_widgets;
mod load;
mod metrics_view;
mod offload;
mod run_panel;
mod share_panel;
mod stream_client;
mod summary;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
