//! Chimera's page: drop a zipped reports folder and get its inventory, read
//! entirely in the browser by the same core the command line uses.

mod app;
mod download;
mod file_table;
mod load;
mod summary;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
